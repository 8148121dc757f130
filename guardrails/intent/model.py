"""The intent model: word and character n-grams of the message and of the earlier turns, a
linear support-vector machine over the intents of the corpus (scores turned into probabilities by a
softmax), and per-role refusal thresholds.

The model proposes an intent with a score; whether that intent is refused for the user's role,
and with which rule, is the intent file's and the policy's business (``guardrails.intent.policy``).

Design (measured in ``evals/bench_intent.py``, report in ``evals/reports/intent_models.txt``):

- Features: TF-IDF of word 1-2 grams and character 2-5 grams (``char_wb``) of the normalised
  message (lower case, no diacritics, leetspeak and split letters undone) with a token naming the
  user's role in front (the same words are a refusal for one role and allowed for another),
  plus character 3-5
  grams of the earlier user turns in a separate block, so "en hoe lang duurt dat?" after "hij heeft
  een hernia" reads differently from the same words alone.
- Training data: the train split of the corpus; each single message is also seen once with the
  history of a random other message (seeded), so that an earlier turn alone does not decide.
- Refusal score for a role: the summed probability of the intents refused for that role.
  Thresholds are calibrated per role on out-of-fold predictions of the train split: the lowest
  threshold whose false-refusal rate stays within the role's budget (recall first).
"""

from __future__ import annotations

import hashlib
import logging
import random
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from sklearn.model_selection import StratifiedKFold

from guardrails.intent.corpus import ALLOW_INTENTS, ROLES, Corpus, Example
from guardrails.normalize import normalize_for_matching

log = logging.getLogger(__name__)

CODE_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class IntentConfig:
    """Tunables of the intent model (filled in by the app from its settings).

    Attributes:
        seed: Seed for augmentation, folds and the solver.
        c: Inverse regularisation strength of the linear SVM.
        temperature: Scale of the SVM scores in the softmax that turns them into probabilities.
        history_turns: How many earlier user turns the model reads.
        history_weight: Scale of the history feature block against the message block.
        augment: Share of single messages also trained with a random other message as history.
        max_false_refusal: Per role, the false-refusal budget used to calibrate the threshold.
        threshold_bounds: Calibrated thresholds are clamped into this range.
        thresholds: Fixed thresholds per role; when given, calibration is skipped.
        folds: Folds for the threshold calibration.
    """

    seed: int = 13
    c: float = 0.5
    temperature: float = 3.0
    history_turns: int = 3
    history_weight: float = 0.6
    augment: float = 0.5
    max_false_refusal: dict[str, float] = field(default_factory=lambda: {
        "casemanager": 0.045, "employer": 0.07, "trainer": 0.045, "reviewer": 0.045})
    threshold_bounds: tuple[float, float] = (0.2, 0.9)
    thresholds: dict[str, float] | None = None
    folds: int = 4

    def key(self) -> str:
        """Stable text of the configuration (part of the model fingerprint)."""
        return repr(sorted(self.__dict__.items()))


def prepare(text: str) -> str:
    """The model's view of a message: the matching form of ``guardrails.normalize``."""
    return normalize_for_matching(text or "")


def role_token(role: str) -> str:
    """A word feature naming the user's role (the same words mean another thing per role)."""
    return f"zzrol{role}"


def vocabulary_tokens(prepared: str, role: str) -> list[str]:
    """Tokens for the health lexicon (``guardrails/lexicon/health_nl.yaml``, defined once), per role.

    A specific health term or the generic health vocabulary ("diagnose", "medicijnen") in the
    message, crossed with the role: the same words are a refusal for an employer and a normal
    delegated question for a casemanager.
    """
    from guardrails.health import get_lexicon

    lex = get_lexicon()
    out = []
    if lex.find_normalized(prepared):
        out.append(f"zzhealth{role}")
    if any(cat == "generic" for *_x, cat in lex.find_normalized(prepared, include_generic=True)):
        out.append(f"zzgeneric{role}")
    return out


def with_role(prepared: str, role: str) -> str:
    """A prepared message with the role token and the vocabulary tokens in front."""
    return " ".join([role_token(role), *vocabulary_tokens(prepared, role), prepared])


@dataclass(frozen=True)
class Neighbour:
    """A training example close to the message (for the explanation)."""

    text: str
    intent: str
    similarity: float


@dataclass(frozen=True)
class IntentPrediction:
    """What the model proposes for one message."""

    intent: str                       # the most probable intent
    score: float                      # its probability
    refuse_score: float               # summed probability of intents refused for the role
    refuse_intent: str | None         # the most probable refused intent for the role
    refuse_intent_score: float
    threshold: float
    neighbours: tuple[Neighbour, ...] = ()

    @property
    def refused(self) -> bool:
        """Whether the refusal score reaches the role's threshold."""
        return self.refuse_intent is not None and self.refuse_score >= self.threshold


class IntentModel:
    """A trained intent model (see the module docstring)."""

    def __init__(self, *, config: IntentConfig, intents: dict[str, dict], vec_word: TfidfVectorizer,
                 vec_char: TfidfVectorizer, vec_hist: TfidfVectorizer, clf: LinearSVC,
                 thresholds: dict[str, float], train_texts: list[str], train_labels: list[str],
                 train_matrix: sp.csr_matrix, fingerprint: str = "") -> None:
        self.config = config
        self.intents = intents          # id -> {"decision", "roles", "category"}
        self.vec_word = vec_word
        self.vec_char = vec_char
        self.vec_hist = vec_hist
        self.clf = clf
        self.thresholds = thresholds
        self.train_texts = train_texts
        self.train_labels = train_labels
        self.train_matrix = train_matrix
        self.fingerprint = fingerprint
        self.classes = [str(c) for c in clf.classes_]
        # Per role, a mask over the classes: the intents refused for that role.
        self._refuse_mask = {
            role: np.array([self._refused_for(c, role) for c in self.classes], dtype=bool) for role in ROLES
        }

    def _refused_for(self, intent: str, role: str) -> bool:
        spec = self.intents.get(intent)
        return bool(spec and spec["decision"] == "refuse" and role in spec["roles"])

    # -- features ------------------------------------------------------------------------------
    def _message_block(self, texts: list[str]) -> sp.csr_matrix:
        return sp.hstack([self.vec_word.transform(texts), self.vec_char.transform(texts)]).tocsr()

    def features(self, texts: list[str], histories: list[str]) -> sp.csr_matrix:
        """Feature matrix of prepared messages and their prepared, joined histories."""
        hist = self.vec_hist.transform(histories) * self.config.history_weight
        return sp.hstack([self._message_block(texts), hist]).tocsr()

    # -- prediction ----------------------------------------------------------------------------
    def probabilities(self, text: str, role: str, history: list[str] | tuple[str, ...] = ()) -> np.ndarray:
        """Class probabilities for one message of ``role`` with its earlier user turns (oldest first)."""
        hist = " \n ".join(prepare(h) for h in list(history)[-self.config.history_turns:])
        return self.proba(self.features([with_role(prepare(text), role)], [hist]))[0]

    def proba(self, x) -> np.ndarray:
        """Softmax of the SVM scores: one row of class probabilities per row of ``x``."""
        d = np.atleast_2d(self.clf.decision_function(x)) * self.config.temperature
        d -= d.max(axis=1, keepdims=True)
        e = np.exp(d)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, text: str, role: str, history: list[str] | tuple[str, ...] = (), *,
                neighbours: int = 3) -> IntentPrediction:
        """The intent the model proposes for ``text`` read with ``history``, for ``role``."""
        probs = self.probabilities(text, role, history)
        top = int(np.argmax(probs))
        mask = self._refuse_mask[role]
        refuse_score = float(probs[mask].sum())
        refuse_intent, refuse_intent_score = None, 0.0
        if mask.any():
            masked = np.where(mask, probs, -1.0)
            j = int(np.argmax(masked))
            refuse_intent, refuse_intent_score = self.classes[j], float(probs[j])
        return IntentPrediction(
            intent=self.classes[top], score=float(probs[top]), refuse_score=refuse_score,
            refuse_intent=refuse_intent, refuse_intent_score=refuse_intent_score,
            threshold=self.thresholds[role],
            neighbours=self.nearest(text, neighbours) if neighbours else (),
        )

    def nearest(self, text: str, k: int = 3) -> tuple[Neighbour, ...]:
        """The ``k`` training messages most similar to ``text`` (cosine over the message block)."""
        q = self._message_block([prepare(text)])  # without the role token: nearest by wording
        norm = np.sqrt(q.multiply(q).sum())
        if norm == 0:
            return ()
        train_t = self.__dict__.get("_train_t")
        if train_t is None:  # rows of the transpose: only the query's own features are touched (7x faster)
            train_t = self.__dict__["_train_t"] = self.train_matrix.T.tocsr()
        sims = ((q / norm) @ train_t).toarray().ravel()
        order = np.argsort(-sims, kind="stable")[:k]
        return tuple(Neighbour(self.train_texts[i], self.train_labels[i], round(float(sims[i]), 3)) for i in order)


# ------------------------------------------------------------------------------------ training
def _training_rows(examples: list[Example], config: IntentConfig, rng: random.Random):
    """(message, history, label) rows: every example, plus augmented copies with a random history."""
    rows = [(with_role(prepare(e.text), e.role), " \n ".join(prepare(h) for h in e.history[-config.history_turns:]),
             e.intent) for e in examples]
    pool = [e.joined for e in examples]
    for e in examples:
        if not e.history and rng.random() < config.augment:
            rows.append((with_role(prepare(e.text), e.role), prepare(rng.choice(pool)), e.intent))
    return rows


def _vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer, TfidfVectorizer]:
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                           token_pattern=r"(?u)\b\w+\b", dtype=np.float32)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, dtype=np.float32)
    hist = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2, dtype=np.float32)
    return word, char, hist


def _fit(rows, intents: dict[str, dict], config: IntentConfig, thresholds: dict[str, float],
         fingerprint: str = "") -> IntentModel:
    texts = [r[0] for r in rows]
    hists = [r[1] for r in rows]
    labels = [r[2] for r in rows]
    word, char, hist = _vectorizers()
    word.fit(texts)
    char.fit(texts)
    hist.fit([h for h in hists if h] or ["-"])
    msg = sp.hstack([word.transform(texts), char.transform(texts)]).tocsr()
    x = sp.hstack([msg, hist.transform(hists) * config.history_weight]).tocsr()
    clf = LinearSVC(C=config.c, random_state=config.seed, max_iter=5000)
    clf.fit(x, labels)
    # Row-normalised message block of the single training messages, for the nearest examples.
    single = [i for i, h in enumerate(hists) if not h]
    m = msg[single]
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    m = sp.diags(1.0 / norms) @ m
    return IntentModel(config=config, intents=intents, vec_word=word, vec_char=char, vec_hist=hist, clf=clf,
                       thresholds=thresholds, train_texts=[_strip_tokens(texts[i]) for i in single],
                       train_labels=[labels[i] for i in single], train_matrix=m.tocsr(), fingerprint=fingerprint)


def _strip_tokens(text: str) -> str:
    """A prepared training text without the role and vocabulary tokens in front."""
    words = text.split(" ")
    while words and words[0].startswith("zz"):
        words.pop(0)
    return " ".join(words)


def intent_table(corpus: Corpus) -> dict[str, dict]:
    """Per intent id: decision, roles, category, rules (counter-example labels are allow intents)."""
    table = {iid: {"decision": s.decision, "roles": list(s.roles), "category": s.category,
                   "rules": list(s.rules), "role_rules": dict(s.role_rules), "description": s.description}
             for iid, s in corpus.intents.items()}
    for iid in (*ALLOW_INTENTS, "allow_other"):
        table.setdefault(iid, {"decision": "allow", "roles": list(ROLES), "category": None, "rules": [],
                               "role_rules": {}, "description": "allowed"})
    return table


def calibrate(examples: list[Example], intents: dict[str, dict], config: IntentConfig) -> dict[str, float]:
    """Per-role thresholds from out-of-fold refusal scores of ``examples`` (the train split only).

    For each role, the lowest threshold whose false-refusal rate on that role's allowed examples
    stays within ``config.max_false_refusal[role]``, clamped into ``config.threshold_bounds``.
    """
    oof = out_of_fold_scores(examples, intents, config)
    lo, hi = config.threshold_bounds
    thresholds = {}
    for role in ROLES:
        neg = np.array([s for e, s in zip(examples, oof[role]) if e.role == role and e.decision == "allow"])
        if len(neg) == 0:
            neg = np.array([s for e, s in zip(examples, oof[role]) if e.decision == "allow"])
        budget = config.max_false_refusal.get(role, 0.03)
        # the smallest t with mean(neg >= t) <= budget
        t = float(np.quantile(neg, 1.0 - budget)) + 1e-6 if len(neg) else hi
        thresholds[role] = round(min(hi, max(lo, t)), 4)
    return thresholds


def out_of_fold_scores(examples: list[Example], intents: dict[str, dict], config: IntentConfig) -> dict[str, np.ndarray]:
    """Per role, the refusal score of each example predicted by a model that did not see it."""
    labels = [e.intent for e in examples]
    counts: dict[str, int] = {}
    for lab in labels:
        counts[lab] = counts.get(lab, 0) + 1
    strat = [lab if counts[lab] >= config.folds else "_rare" for lab in labels]
    skf = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=config.seed)
    scores = {role: np.zeros(len(examples)) for role in ROLES}
    fixed = {r: 0.5 for r in ROLES}
    with warnings.catch_warnings():  # a small class has fewer members than folds: fine for calibration
        warnings.simplefilter("ignore", UserWarning)
        folds = list(skf.split(np.zeros(len(examples)), strat))
    for k, (tr, te) in enumerate(folds):
        rng = random.Random(config.seed + k)
        model = _fit(_training_rows([examples[i] for i in tr], config, rng), intents, config, fixed)
        for i in te:
            e = examples[i]
            probs = model.probabilities(e.text, e.role, e.history)
            for role in ROLES:
                scores[role][i] = float(probs[model._refuse_mask[role]].sum())
    return scores


def train(corpus: Corpus, config: IntentConfig | None = None, *, examples: list[Example] | None = None,
          fingerprint: str = "") -> IntentModel:
    """Train on the corpus's train split (or on ``examples``), deterministically.

    Args:
        corpus: The validated corpus (its intents define decisions and roles).
        config: Tunables; defaults when None.
        examples: Training examples; default: ``corpus.split("train")``.
        fingerprint: Stored on the model (see ``guardrails.intent.store``).
    """
    config = config or IntentConfig()
    examples = list(examples if examples is not None else corpus.split("train"))
    intents = intent_table(corpus)
    thresholds = dict(config.thresholds) if config.thresholds else calibrate(examples, intents, config)
    rows = _training_rows(examples, config, random.Random(config.seed))
    model = _fit(rows, intents, config, thresholds, fingerprint)
    log.info("intent model trained on %d rows, %d intents; thresholds %s", len(rows), len(model.classes), thresholds)
    return model

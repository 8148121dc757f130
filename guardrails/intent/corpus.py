"""The intent corpus: one YAML file per intent in ``guardrails/intents/``, validated and split.

An intent file (NeMo canonical forms, Rasa NLU training data)::

    id: medical_prognosis
    decision: refuse                 # allow | refuse
    category: medical_judgement      # refusal category of the reply contract; null for allow
    rules: [medical.no_prognosis]    # policy rule(s) in policies/rules.yaml; the first is cited
    role_rules: {}                   # optional: a different rule for one role
    roles: [casemanager, employer, trainer, reviewer]   # roles the decision applies to
    description: One line: what messages of this intent ask.
    examples:                        # messages of this intent
      - Hoe lang zit iemand met een hernia gemiddeld thuis?
      - {text: "...", role: employer}
      - {turns: ["earlier user turn", "...", "the current message"], role: employer}
    counter_examples:                # allowed messages that look alike (hard negatives)
      - {text: "...", role: employer, intent: permission_question}

A plain string example is written for the intent's first role. ``turns`` is a conversation: the
earlier user turns, then the current message; the intent holds for the current message read
with the earlier ones. ``intent`` on a counter-example names the allow intent it belongs to.

Every message is assigned to ``train`` or ``test`` by a stable hash of its text (80/20). The test
split is only measured, never tuned on (see ``guardrails/intents/README.md``).

Run ``python -m guardrails.intent.corpus [FILES]`` to validate files and print counts.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from guardrails.types import CATEGORIES, CategoryId  # noqa: F401  (CATEGORIES re-exported)
from vocab import ROLES, Role

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster on the corpora

INTENT_DIR = Path(__file__).resolve().parent.parent / "intents"
# The allow intents a counter-example may name (each has its own file in guardrails/intents/).
ALLOW_INTENTS = ("permission_question", "process_question", "recording_question", "volunteered_information",
                 "script_request", "smalltalk")
TEST_PERCENT = 20
MAX_TEXT = 2000


def split_of(text: str) -> str:
    """``"test"`` or ``"train"``, by a stable hash of the whitespace-normalised, lower-cased text."""
    key = " ".join(text.lower().split()).encode("utf-8")
    bucket = int.from_bytes(hashlib.sha256(key).digest()[:4], "big") % 100
    return "test" if bucket < TEST_PERCENT else "train"


class ExampleSpec(BaseModel):
    """One example as written in the YAML file."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = None
    turns: list[str] | None = None
    role: Role | None = None
    intent: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> "ExampleSpec":
        if (self.text is None) == (self.turns is None):
            raise ValueError("an example has either `text` or `turns`")
        msgs = [self.text] if self.text is not None else list(self.turns or [])
        if self.turns is not None and len(self.turns) < 2:
            raise ValueError("`turns` needs at least two user messages")
        for m in msgs:
            if not isinstance(m, str) or not m.strip():
                raise ValueError("empty message")
            if len(m) > MAX_TEXT:
                raise ValueError(f"message longer than {MAX_TEXT} characters")
        return self


class IntentSpec(BaseModel):
    """One intent file."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    decision: Literal["allow", "refuse"]
    category: CategoryId | None = None
    rules: list[str] = Field(default_factory=list)
    role_rules: dict[str, str] = Field(default_factory=dict)
    roles: list[Role]
    description: str
    examples: list[ExampleSpec | str]
    counter_examples: list[ExampleSpec | str] = Field(default_factory=list)

    @field_validator("examples", "counter_examples", mode="before")
    @classmethod
    def _strings(cls, v):
        return [{"text": x} if isinstance(x, str) else x for x in (v or [])]

    @model_validator(mode="after")
    def _consistent(self) -> "IntentSpec":
        if self.decision == "refuse":
            if not self.category or not self.rules:
                raise ValueError(f"{self.id}: a refusal intent needs `category` and `rules`")
        elif self.category is not None:
            raise ValueError(f"{self.id}: an allow intent has no category")
        for role in self.role_rules:
            if role not in ROLES:
                raise ValueError(f"{self.id}: role_rules: unknown role {role!r}")
        return self


@dataclass(frozen=True)
class Example:
    """One labelled message of the corpus."""

    text: str                    # the current message
    history: tuple[str, ...]     # earlier user turns (empty for a single message)
    intent: str                  # label: an intent id
    decision: str                # allow | refuse, for ``role``
    role: str
    source: str                  # "<file>:examples" or "<file>:counter_examples"
    split: str                   # train | test

    @property
    def joined(self) -> str:
        """History and message as the model reads them for a conversation."""
        return "\n".join([*self.history, self.text])


@dataclass(frozen=True)
class Corpus:
    """All intents and their examples."""

    intents: dict[str, IntentSpec]
    examples: tuple[Example, ...]

    def split(self, name: str) -> list[Example]:
        """The examples of split ``name`` (``train`` or ``test``)."""
        return [e for e in self.examples if e.split == name]

    def fingerprint(self) -> str:
        """SHA-256 over the intent files' content (order-independent)."""
        h = hashlib.sha256()
        for iid in sorted(self.intents):
            h.update(self.intents[iid].model_dump_json().encode("utf-8"))
        return h.hexdigest()


def load_intent_file(path: Path) -> IntentSpec:
    """Load and validate one intent file."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_YAML_LOADER)
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: not a mapping")
    spec = IntentSpec.model_validate(data)
    if spec.id != path.stem:
        raise ValueError(f"{path.name}: id {spec.id!r} differs from the file name")
    return spec


def load_corpus(directory: Path | str | None = None, files: list[Path] | None = None) -> Corpus:
    """Load every ``*.yaml`` in ``directory`` (or ``files``) into a validated corpus.

    Raises:
        ValueError: on a schema error, a duplicate id, an unknown counter-example intent, or a
            message that occurs with two different decisions for the same role.
    """
    directory = Path(directory or INTENT_DIR)
    paths = sorted(files) if files else sorted(directory.glob("*.yaml"))
    intents: dict[str, IntentSpec] = {}
    for p in paths:
        spec = load_intent_file(Path(p))
        if spec.id in intents:
            raise ValueError(f"intent {spec.id!r} defined twice")
        intents[spec.id] = spec
    allow_ids = set(ALLOW_INTENTS) | {i for i, s in intents.items() if s.decision == "allow"}
    examples: list[Example] = []
    seen: dict[tuple[str, str], str] = {}
    for spec in intents.values():
        for kind, items in (("examples", spec.examples), ("counter_examples", spec.counter_examples)):
            for ex in items:
                assert isinstance(ex, ExampleSpec)
                msgs = [ex.text] if ex.text is not None else list(ex.turns or [])
                msgs = [" ".join(m.split()) if "\n" not in m else m.strip() for m in msgs]
                role = ex.role or spec.roles[0]
                if kind == "examples":
                    if ex.intent not in (None, spec.id):
                        raise ValueError(f"{spec.id}: an example cannot name another intent ({ex.intent})")
                    label = spec.id
                    decision = spec.decision if role in spec.roles else "allow"
                else:
                    label = ex.intent or "allow_other"
                    if ex.intent is not None and ex.intent not in allow_ids:
                        raise ValueError(f"{spec.id}: counter-example intent {ex.intent!r} is not an allow intent")
                    decision = "allow"
                e = Example(text=msgs[-1], history=tuple(msgs[:-1]), intent=label, decision=decision,
                            role=role, source=f"{spec.id}:{kind}", split="")
                key = (e.joined.lower(), role)
                if key in seen and seen[key] != decision:
                    raise ValueError(f"{spec.id}: message labelled both allow and refuse for {role}: {e.joined!r}")
                seen[key] = decision
                examples.append(Example(**{**e.__dict__, "split": split_of(e.joined)}))
    return Corpus(intents=intents, examples=tuple(examples))


def summary(corpus: Corpus) -> str:
    """Counts per intent: examples, multi-turn, counter-examples, test share."""
    lines = [f"{'intent':34} {'dec':6} {'ex':>5} {'multi':>5} {'counter':>7} {'test':>5}"]
    for iid, spec in sorted(corpus.intents.items()):
        exs = [e for e in corpus.examples if e.source == f"{iid}:examples"]
        cts = [e for e in corpus.examples if e.source == f"{iid}:counter_examples"]
        multi = sum(1 for e in exs + cts if e.history)
        test = sum(1 for e in exs + cts if e.split == "test")
        lines.append(f"{iid:34} {spec.decision:6} {len(exs):5} {multi:5} {len(cts):7} {test:5}")
    lines.append(f"total messages: {len(corpus.examples)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Validate intent files and print counts; exit code 1 on an error."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        corpus = load_corpus(files=[Path(a) for a in argv] if argv else None)
    except Exception as exc:  # report any validation error plainly
        print(f"ERROR: {exc}")
        return 1
    print(summary(corpus))
    for iid, spec in corpus.intents.items():
        n_ex = len(spec.examples)
        if spec.decision == "refuse" and (n_ex < 60 or len(spec.counter_examples) < 20):
            print(f"WARNING: {iid}: a refusal intent needs >= 60 examples and >= 20 counter_examples")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


_WRITE_LOCK = threading.Lock()


def add_example(intent_id: str, text: str, *, role: str | None = None, counter_intent: str | None = None,
                directory: Path | str | None = None) -> str:
    """Append a trainer's example to an intent file, validated; returns the split it falls in.

    Args:
        intent_id: The intent the message belongs to (or, with ``counter_intent``, the refusal
            intent it is a counter-example of).
        text: The message (one user turn).
        role: The role the message is written for (default: the intent's first role).
        counter_intent: Add as a counter-example of ``intent_id`` belonging to this allow intent.
        directory: The corpus directory (default ``guardrails/intents``).

    Raises:
        ValueError: unknown intent, a role the intent does not cover, an empty or too long
            message, a duplicate, or a message that would get two decisions.
    """
    directory = Path(directory or INTENT_DIR)
    path = directory / f"{intent_id}.yaml"
    text = " ".join(str(text or "").split())
    if not text:
        raise ValueError("het voorbeeld is leeg")
    if len(text) > MAX_TEXT:
        raise ValueError(f"het voorbeeld is langer dan {MAX_TEXT} tekens")
    with _WRITE_LOCK:
        if not path.is_file():
            raise ValueError(f"onbekende intentie {intent_id!r}")
        spec = load_intent_file(path)
        if role is not None and role not in ROLES:
            raise ValueError(f"onbekende rol {role!r}")
        if counter_intent is None and role is not None and role not in spec.roles:
            raise ValueError(f"intentie {intent_id} geldt niet voor de rol {role}")
        if counter_intent is not None and counter_intent not in ALLOW_INTENTS:
            raise ValueError(f"{counter_intent!r} is geen toegestane intentie")
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        entry: dict = {"text": text}
        if role:
            entry["role"] = role
        key = "examples"
        if counter_intent is not None:
            entry["intent"] = counter_intent
            key = "counter_examples"
        existing = [x if isinstance(x, str) else x.get("text") for x in data.get(key) or []]
        if text in existing:
            raise ValueError("dit voorbeeld staat al in de intentie")
        data.setdefault(key, []).append(entry)
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
        # validate the whole corpus with the new file in place; restore the old file on failure
        backup = path.read_bytes()
        os.replace(tmp, path)
        try:
            load_corpus(directory)
        except Exception:
            path.write_bytes(backup)
            raise
    return split_of(text)

"""Dutch PII detection and redaction with Presidio, fully offline.

Public interface (used by the rails)::

    get_analyzer() -> AnalyzerEngine          # cached, language "nl", nothing downloaded
    analyze(text, entities=None) -> list[RecognizerResult]   # overlaps resolved, sorted
    redact(text, *, entities=None, include_health=True) -> RedactionResult

The analyzer uses a tokenizer-only ``spacy.blank("nl")`` engine (``guardrails.nlp_engine``) so
that context words work, the Dutch recognizers of ``guardrails.recognizers``, and Presidio's IBAN
and e-mail recognizers set to "nl". Names, places and care institutions come from deduce.
Measured quality and latency: ``evals/pii/REPORT.md`` (``python -m evals.pii.bench``).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional

import yaml

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

logger = logging.getLogger(__name__)

LANGUAGE = "nl"
HEALTH_ENTITY = "HEALTH_DATA"
# Entities redacted by default (HEALTH_DATA is added when include_health=True).
PII_ENTITIES: List[str] = [
    "NL_BSN",
    "IBAN_CODE",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "NL_POSTCODE",
    "ADDRESS",
    "PERSON",
    "ORGANIZATION",
    "LOCATION",
    "DATE_TIME",
]
ALL_ENTITIES: List[str] = PII_ENTITIES + [HEALTH_ENTITY]
NAME_ENTITIES = frozenset({"PERSON", "ORGANIZATION", "LOCATION"})

# Results below this score are dropped. Pattern scores are set so that a bare valid BSN (0.4),
# a valid NL phone number (0.4) and every date/postcode/address pattern pass; context words
# raise scores further but are not required.
SCORE_THRESHOLD = 0.35
# Texts longer than this are analysed in overlapping chunks (deduce and the regexes stay fast).
CHUNK_SIZE = 4000
CHUNK_OVERLAP = 200

# Words and titles that look like names but are never PII (guardrails/lexicon/not_names.yaml).
NOT_NAMES_FILE = Path(__file__).parent / "lexicon" / "not_names.yaml"


def _load_not_names() -> tuple[frozenset, "re.Pattern | None"]:
    data = yaml.safe_load(NOT_NAMES_FILE.read_text(encoding="utf-8")) or {}
    terms = frozenset(w.lower() for w in str(data.get("terms", "")).split())
    phrases = [p for p in data.get("phrases") or () if isinstance(p, str) and p.strip()]
    rx = None
    if phrases:
        alts = sorted((r"\s+".join(re.escape(w) for w in p.split()) for p in phrases), key=len, reverse=True)
        rx = re.compile("|".join(alts), re.IGNORECASE)
    return terms, rx


DOMAIN_TERMS, _PROTECTED_PHRASES = _load_not_names()

_ENGINE_LOCK = threading.Lock()
_ANALYZER: Optional[AnalyzerEngine] = None


@dataclass(frozen=True)
class RedactionSpan:
    """One redacted value; offsets refer to the ORIGINAL text."""

    entity: str
    start: int
    end: int
    score: float = 0.0
    detector: str = ""

    def to_dict(self) -> dict:
        """Return ``{"entity", "start", "end"}`` as used in the reply object."""
        return {"entity": self.entity, "start": self.start, "end": self.end}

    def __getitem__(self, key: str):
        """Allow dict-style access (``span["entity"]``)."""
        return getattr(self, key)


@dataclass(frozen=True)
class RedactionResult:
    """Outcome of :func:`redact`.

    Attributes:
        text: The text with every found value replaced by a tag such as ``<NL_BSN>``.
        spans: The replaced values, sorted by start, with offsets in the original text.
        failed: True when detection crashed; ``text`` is then a fail-closed placeholder.
    """

    text: str
    spans: List[RedactionSpan] = field(default_factory=list)
    failed: bool = False

    @property
    def entities(self) -> List[str]:
        """Entity names found, in text order."""
        return [s.entity for s in self.spans]


def get_analyzer() -> AnalyzerEngine:
    """Return the process-wide Dutch ``AnalyzerEngine`` (built on first use, nothing downloaded).

    deduce's lookup tables load lazily on the first :func:`analyze` call that needs names.
    """
    global _ANALYZER
    if _ANALYZER is None:
        with _ENGINE_LOCK:
            if _ANALYZER is None:
                _ANALYZER = _build_analyzer()
    return _ANALYZER


def _build_analyzer(recognizers: Optional[Iterable] = None) -> AnalyzerEngine:
    from guardrails.nlp_engine import BlankSpacyNlpEngine
    from guardrails.recognizers import build_recognizers

    # Presidio logs context words of the analysed text at DEBUG; never let user text reach logs.
    for name in ("presidio-analyzer", "presidio-anonymizer"):
        lib_logger = logging.getLogger(name)
        if lib_logger.level == logging.NOTSET or lib_logger.level < logging.INFO:
            lib_logger.setLevel(logging.WARNING)
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for rec in recognizers if recognizers is not None else build_recognizers(language=LANGUAGE):
        registry.add_recognizer(rec)
    engine = BlankSpacyNlpEngine([LANGUAGE])
    engine.load()
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=engine,
        supported_languages=[LANGUAGE],
        default_score_threshold=SCORE_THRESHOLD,
        context_aware_enhancer=LemmaContextAwareEnhancer(
            context_similarity_factor=0.35, min_score_with_context_similarity=0.4
        ),
    )


def _safe_text(text: str) -> str:
    """Same-length copy of ``text`` that every recognizer can handle (offsets stay valid).

    Lone surrogates, NUL and other control characters (except tab and newlines) become a space.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in "\n\r\t":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _chunks(text: str) -> List[tuple[int, str]]:
    """Split a long text into overlapping chunks, cutting at whitespace where possible."""
    if len(text) <= CHUNK_SIZE:
        return [(0, text)]
    chunks, start = [], 0
    while start < len(text):
        end = min(start + CHUNK_SIZE, len(text))
        if end < len(text):
            cut = text.rfind(" ", start + CHUNK_SIZE // 2, end)
            end = cut if cut > start else end
        chunks.append((start, text[start:end]))
        if end >= len(text):
            break
        nxt = end - CHUNK_OVERLAP
        ws = text.find(" ", nxt, end)
        start = ws + 1 if ws != -1 else nxt
    return chunks


def _is_domain_term(span_text: str) -> bool:
    words = [w.strip(".,;:!?()\"'").lower() for w in span_text.split()]
    words = [w for w in words if w and w not in ("de", "het", "van", "der", "den")]
    return bool(words) and all(w in DOMAIN_TERMS for w in words)


def resolve_overlaps(results: Iterable[RecognizerResult]) -> List[RecognizerResult]:
    """Keep a non-overlapping subset: the longest span wins, then the highest score.

    A longer span hides more of the value (e.g. "Bakkerij de Vries B.V." beats the PERSON
    "de Vries" inside it). Returned sorted by start.
    """
    ordered = sorted(results, key=lambda r: (-(r.end - r.start), -r.score, r.start, r.entity_type))
    kept: List[RecognizerResult] = []
    for r in ordered:
        if r.end <= r.start:
            continue
        if all(r.end <= k.start or r.start >= k.end for k in kept):
            kept.append(r)
    return sorted(kept, key=lambda r: (r.start, r.end))


# Recognizers whose spans yield to the others: deduce finds names by lookup and its spans can run
# into a neighbouring organisation or title ("Werkgever Stichting Arens", "Jan bij Jansen B.V.").
LOOKUP_RECOGNIZERS = frozenset({"DeduceRecognizer"})
# Words trimmed from the edges of a lookup span: titles, roles and sentence starters.
_EDGE_WORDS = frozenset(
    """
    mevrouw meneer mevr mevr. mw mw. dhr dhr. hr hr. heer de het een
    werkgever werknemer namens mag kan moet wil
    collega teamleider medewerker leidinggevende casemanager bedrijfsarts van bij te en of via voor met
    op aan in naar om uit over tot door na per
    graag hallo hoi beste groet groeten dank bedankt alvast svp
    """.split()
)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past whitespace, punctuation and edge words (titles, roles, particles)."""
    tokens = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]

    def bare(tok):
        return text[tok[0] : tok[1]].strip(".,;:!?()[]\"'").lower()

    while tokens and (bare(tokens[0]) in _EDGE_WORDS or not bare(tokens[0])):
        tokens.pop(0)
    while tokens and (bare(tokens[-1]) in _EDGE_WORDS or not bare(tokens[-1])):
        tokens.pop()
    if not tokens:
        return start, start
    s, e = tokens[0][0], tokens[-1][1]
    while e > s and text[e - 1] in ".,;:!?()[]\"'":
        e -= 1
    while s < e and text[s] in "([\"'":
        s += 1
    return s, e


def merge_results(text: str, results: Iterable[RecognizerResult]) -> List[RecognizerResult]:
    """Resolve overlaps, letting pattern recognizers win over lookup recognizers (deduce).

    Pattern results are resolved among themselves (:func:`resolve_overlaps`). Each lookup result
    then loses the parts covered by a kept pattern result; the remaining fragments are trimmed of
    titles, roles and particles and kept when they still hold a word.
    """
    strong, weak = [], []
    for r in results:
        name = str((r.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY, ""))
        (weak if name.split("(")[0] in LOOKUP_RECOGNIZERS else strong).append(r)
    kept = resolve_overlaps(strong)
    fragments: List[RecognizerResult] = []
    for r in weak:
        pieces = [(r.start, r.end)]
        for k in kept:
            nxt = []
            for a, b in pieces:
                if b <= k.start or a >= k.end:
                    nxt.append((a, b))
                    continue
                if a < k.start:
                    nxt.append((a, k.start))
                if b > k.end:
                    nxt.append((k.end, b))
            pieces = nxt
        for a, b in pieces:
            a, b = _trim(text, a, b)
            frag = text[a:b]
            if b - a < 2 or not any(ch.isalpha() for ch in frag):
                continue
            fragments.append(
                RecognizerResult(r.entity_type, a, b, r.score, r.analysis_explanation, r.recognition_metadata)
            )
    return resolve_overlaps(kept + fragments)


def analyze(text: str, entities: Optional[List[str]] = None) -> List[RecognizerResult]:
    """Find PII (and health data) in Dutch ``text``.

    Args:
        text: Any string; long texts are analysed in chunks.
        entities: Entities to look for; None means all of :data:`ALL_ENTITIES`.

    Returns:
        Non-overlapping results sorted by start, offsets in ``text``. Name-like results that
        consist only of domain words (UWV, bedrijfsarts, ...) or lie inside a source title
        (``lexicon/not_names.yaml``) are dropped.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    analyzer = get_analyzer()
    wanted = list(entities) if entities else list(ALL_ENTITIES)
    supported = set(analyzer.get_supported_entities(LANGUAGE))
    unknown = [e for e in wanted if e not in supported]
    if unknown:
        logger.warning("ignoring unknown PII entities %s", unknown)
        wanted = [e for e in wanted if e in supported]
        if not wanted:
            return []
    safe = _safe_text(text)
    raw: List[RecognizerResult] = []
    for offset, chunk in _chunks(safe):
        if not chunk.strip():
            continue
        for r in analyzer.analyze(text=chunk, language=LANGUAGE, entities=wanted):
            r.start += offset
            r.end += offset
            raw.append(r)
    protected = [(m.start(), m.end()) for m in _PROTECTED_PHRASES.finditer(safe)] if _PROTECTED_PHRASES else []
    filtered = [
        r for r in raw
        if not (r.entity_type in NAME_ENTITIES
                and (_is_domain_term(safe[r.start : r.end]) or any(a <= r.start and r.end <= b for a, b in protected)))
    ]
    return merge_results(safe, filtered)


def _detector(r: RecognizerResult) -> str:
    meta = r.recognition_metadata or {}
    return str(meta.get(RecognizerResult.RECOGNIZER_NAME_KEY, ""))


def redact(
    text: str, *, entities: Optional[List[str]] = None, include_health: bool = True
) -> RedactionResult:
    """Replace PII in ``text`` by tags such as ``<NL_BSN>`` or ``<PERSON>``; never raises.

    Args:
        text: Any string (empty, very long, binary-ish and control characters are fine).
        entities: Entities to redact; None means :data:`PII_ENTITIES` (plus HEALTH_DATA when
            ``include_health``).
        include_health: Also redact HEALTH_DATA (ignored for an explicit list without it;
            when False, HEALTH_DATA is removed even from an explicit list).

    Returns:
        The redacted text and the spans (original offsets, sorted). If detection crashes, the
        error is logged without the text and a fail-closed result (``failed=True``) is returned.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if not text.strip():
        return RedactionResult(text=text)
    wanted = list(entities) if entities else list(PII_ENTITIES) + ([HEALTH_ENTITY] if include_health else [])
    if not include_health:
        wanted = [e for e in wanted if e != HEALTH_ENTITY]
    if not wanted:
        return RedactionResult(text=text)
    try:
        results = analyze(text, wanted)
        spans = [
            RedactionSpan(r.entity_type, int(r.start), int(r.end), round(float(r.score), 3), _detector(r))
            for r in results
        ]
        return RedactionResult(text=_replace(text, spans), spans=spans)
    except Exception:
        logger.exception("PII redaction failed on a text of %d characters; failing closed", len(text))
        return RedactionResult(text="<REDACTIE_MISLUKT>", spans=[], failed=True)


_ANONYMIZER = None


def _replace(text: str, spans: List[RedactionSpan]) -> str:
    """Replace each span by ``<ENTITY>`` with presidio-anonymizer."""
    global _ANONYMIZER
    if not spans:
        return text
    from presidio_anonymizer import AnonymizerEngine
    from presidio_anonymizer.entities import OperatorConfig
    from presidio_anonymizer.entities import RecognizerResult as AnonResult

    if _ANONYMIZER is None:
        _ANONYMIZER = AnonymizerEngine()
    operators = {s.entity: OperatorConfig("replace", {"new_value": f"<{s.entity}>"}) for s in spans}
    result = _ANONYMIZER.anonymize(
        text=text,
        analyzer_results=[AnonResult(s.entity, s.start, s.end, s.score) for s in spans],
        operators=operators,
    )
    return result.text


# The last line of defence before text is stored: whatever the recognizers left, a run of 7 or more
# digits (separators allowed) or an e-mail-like token is masked. Examples (fictitious):
# "06 7445 0378" -> "<NUMMER>", "NL91ABNA0417164300" -> "NL91ABNA<NUMMER>", "x@y.zz" -> "<EMAIL_ADDRESS>".
SCRUB_TAG = "<NUMMER>"
_SCRUB_DIGITS = re.compile(r"(?<![\d])\d(?:[\s.\-/]?\d){6,}(?!\d)")
_SCRUB_EMAIL = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+\.[^\s<>()\[\]\"',;:]+")


def scrub_identifiers(text: str) -> tuple[str, int]:
    """Mask every remaining run of 7+ digits and every e-mail-like token; returns (text, count)."""
    text, n_mail = _SCRUB_EMAIL.subn("<EMAIL_ADDRESS>", text)
    text, n_digits = _SCRUB_DIGITS.subn(SCRUB_TAG, text)
    return text, n_mail + n_digits


def redact_for_storage(text: str) -> RedactionResult:
    """:func:`redact` (all entities, health included), then :func:`scrub_identifiers`: recall first,
    for every text that is about to be written anywhere. Never raises; fails closed like ``redact``."""
    result = redact(text)
    if result.failed:
        return result
    scrubbed, _n = scrub_identifiers(result.text)
    return RedactionResult(text=scrubbed, spans=result.spans, failed=False)

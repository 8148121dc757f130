"""Names, places, addresses and care institutions through the deduce de-identifier.

deduce (Menger et al. 2018, UMC Utrecht) is a rule- and lookup-based de-identifier for Dutch
clinical text; it needs no model download. Its lookup tables ship in the package and are loaded
once, lazily, on the first call (a few seconds), shared by every recognizer instance.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Dict, List, Optional

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

logger = logging.getLogger(__name__)

_LOCK = threading.Lock()
_DEDUCE = None

# deduce tag -> presidio entity. "locatie" is split into ADDRESS / LOCATION in _entity_for().
TAG_MAP: Dict[str, str] = {
    "persoon": "PERSON",
    "patient": "PERSON",
    "locatie": "LOCATION",
    "ziekenhuis": "ORGANIZATION",
    "zorginstelling": "ORGANIZATION",
    "instelling": "ORGANIZATION",
    # Only used when all deduce groups run (baseline "deduce alone"); the project has
    # dedicated recognizers for these.
    "datum": "DATE_TIME",
    "bsn": "NL_BSN",
    "telefoonnummer": "PHONE_NUMBER",
    "emailadres": "EMAIL_ADDRESS",
    "url": "URL",
    "leeftijd": "AGE",
    "id": "ID",
    "patientnummer": "ID",
}

# Processor groups / annotators switched off in the project setup: dedicated recognizers cover
# them (postcode, dates, BSN, phone, e-mail), and the redactor output is not used.
PROJECT_DISABLED = frozenset(
    {"postal_code", "dates", "ages", "identifiers", "phone_numbers", "email_addresses", "urls", "redactor"}
)

_HAS_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]+(?:['\-][^\W\d_]+)*")
_POSTBUS = re.compile(r"^\s*postbus\b", re.IGNORECASE)


_CACHE_DIR = None


def configure(cache_dir=None) -> None:
    """Set where the fast lookup cache lives (before the first use; the app passes its own dir)."""
    global _CACHE_DIR
    _CACHE_DIR = cache_dir


def _fast_deduce(structs):
    """A ``Deduce`` on the given lookup structures, built as ``Deduce.__init__`` does (deduce 3.0.x)."""
    import docdeid as dd
    from deduce import Deduce
    from deduce.deduce import _LOOKUP_LIST_PATH, _DeduceProcessorLoader

    class _Deduce(Deduce):
        def __init__(self) -> None:  # noqa: D401 - mirrors deduce.Deduce.__init__ without its pickle
            dd.DocDeid.__init__(self)
            self.config = self._initialize_config(load_base_config=True, user_config=None)
            self.lookup_data_path = self._initialize_path_or_str(_LOOKUP_LIST_PATH)
            self.cache_path = self.lookup_data_path
            self.tokenizers = {"default": self._initialize_tokenizer(self.lookup_data_path)}
            self.lookup_structs = structs
            extras = {"tokenizer": self.tokenizers["default"], "ds": self.lookup_structs}
            self.processors = _DeduceProcessorLoader().load(config=self.config, extras=extras)

    return _Deduce()


def _import_deduce():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import deduce  # noqa: F401  (its module calls logging.basicConfig(level=DEBUG))

    # undo deduce's global logging setup: DEBUG logs of other libraries would
    # otherwise print user text (presidio logs context words at DEBUG)
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def get_deduce():
    """Return the process-wide ``deduce.Deduce`` instance, loading it on first use.

    The lookup tables come from the fast cache (:mod:`guardrails.deduce_cache`, about a
    second); when that cannot be read or written, deduce loads its own pickle (8-16 s).
    """
    global _DEDUCE
    if _DEDUCE is None:
        with _LOCK:
            if _DEDUCE is None:
                _import_deduce()
                from guardrails.deduce_cache import load_lookup_structs

                logger.info("loading deduce lookup tables")
                instance = None
                try:
                    structs = load_lookup_structs(_CACHE_DIR)
                    if structs is not None:
                        instance = _fast_deduce(structs)
                except Exception:
                    logger.warning("fast deduce lookup cache failed; loading deduce's own", exc_info=True)
                if instance is None:
                    from deduce import Deduce

                    instance = Deduce()
                _DEDUCE = instance
    return _DEDUCE


class DeduceRecognizer(LocalRecognizer):
    """Wrap deduce as a Presidio recognizer for PERSON, LOCATION, ADDRESS and ORGANIZATION.

    deduce tags are mapped as follows: ``persoon``/``patient`` -> PERSON; ``locatie`` -> ADDRESS
    when the span holds a house number or starts with "Postbus", else LOCATION;
    ``ziekenhuis``/``zorginstelling`` -> ORGANIZATION.

    deduce only knows capitalised names. Chat messages are often typed in lower case
    ("ik heb jan de vries gesproken"), so with ``recase=True`` a lower-case word that is a known
    first name (deduce lookup) and not a common Dutch word (deduce whitelist), followed by a
    surname (a known surname, a hyphenated name, or any non-common word after a particle such as
    "van der"), is capitalised in a same-length copy before deduce runs. A first name on its own
    is left alone ("roos", "mark" are also words).

    With ``full=True`` every deduce annotator
    runs and dates, BSNs, phone numbers and e-mail addresses are mapped too (used for the
    "deduce alone" baseline in ``evals/pii/bench.py``).

    Args:
        supported_language: Language code (default "nl").
        full: Run all deduce annotators instead of the project subset.
        recase: Restore capitals of lower-case first name + surname pairs before deduce runs.
        score: Score given to every deduce annotation (deduce has no scores).
        name: Recognizer name.
    """

    ENTITIES = ["PERSON", "LOCATION", "ADDRESS", "ORGANIZATION"]
    FULL_ENTITIES = ENTITIES + ["DATE_TIME", "NL_BSN", "PHONE_NUMBER", "EMAIL_ADDRESS"]

    def __init__(
        self,
        supported_language: str = "nl",
        *,
        full: bool = False,
        recase: bool = True,
        score: float = 0.8,
        name: Optional[str] = None,
    ):
        self.full = full
        self.recase = recase
        self.score = score
        super().__init__(
            supported_entities=list(self.FULL_ENTITIES if full else self.ENTITIES),
            supported_language=supported_language,
            name=name or ("DeduceRecognizer(full)" if full else "DeduceRecognizer"),
        )

    def load(self) -> None:
        """Nothing to do here: deduce loads lazily on the first :meth:`analyze` call."""

    @staticmethod
    def recase_names(text: str) -> str:
        """Return a same-length copy of ``text`` with lower-case full names capitalised.

        Args:
            text: Input text.

        Returns:
            ``text`` itself when nothing changes.
        """
        if not any(ch.islower() for ch in text):
            return text
        lookups = get_deduce().lookup_structs
        first, surname, interfix = lookups["first_name"], lookups["surname"], lookups["interfix"]
        common = (lookups["whitelist"], lookups["common_word"], lookups["stop_word"])

        def is_common(word: str) -> bool:
            return any(word in ds for ds in common)

        tokens = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        chars = None
        i = 0
        while i < len(tokens):
            s0, e0, w0 = tokens[i]
            if not (w0.islower() and len(w0) > 1 and not is_common(w0)
                    and first.longest_matching_prefix([w0.capitalize()])):
                i += 1
                continue
            to_cap, j, last_end = [], i + 1, e0
            while j < len(tokens) and len(to_cap) < 3 and text[last_end : tokens[j][0]] == " ":
                sj, ej, wj = tokens[j]
                after_particle = j > i + 1 and tokens[j - 1][2] in interfix
                if wj in interfix:
                    pass
                elif (wj.islower() and len(wj) > 1 and not is_common(wj)
                      and (after_particle or "-" in wj
                           or surname.longest_matching_prefix([wj.capitalize()]))):
                    to_cap.append((sj, ej))
                else:
                    break
                last_end, j = ej, j + 1
            # the name must end in a capitalised surname, not in a particle
            while j > i + 1 and tokens[j - 1][2] in interfix:
                j -= 1
            to_cap = [t for t in to_cap if t[1] <= tokens[j - 1][1]]
            if to_cap:
                chars = chars if chars is not None else list(text)
                for start, end in [(s0, e0)] + to_cap:
                    for k in range(start, end):
                        if k == start or text[k - 1] in "-'":
                            up = text[k].upper()
                            chars[k] = up if len(up) == 1 else text[k]
            i = j
        return "".join(chars) if chars is not None else text

    @staticmethod
    def _entity_for(tag: str, span_text: str) -> Optional[str]:
        entity = TAG_MAP.get(tag)
        if entity == "LOCATION" and (_HAS_DIGIT.search(span_text) or _POSTBUS.match(span_text)):
            entity = "ADDRESS"
        return entity

    def analyze(
        self, text: str, entities: List[str], nlp_artifacts: Optional[NlpArtifacts] = None
    ) -> List[RecognizerResult]:
        """Run deduce on ``text`` and return mapped results.

        Args:
            text: Text to analyse.
            entities: Entities requested; others are skipped.
            nlp_artifacts: Unused.

        Returns:
            One result per deduce annotation whose mapped entity was requested. Errors inside
            deduce are logged (without the text) and yield no results.
        """
        wanted = set(entities or self.supported_entities) & set(self.supported_entities)
        if not wanted or not text or not text.strip():
            return []
        try:
            source = self.recase_names(text) if self.recase else text
            doc = get_deduce().deidentify(source, disabled=None if self.full else set(PROJECT_DISABLED))
        except Exception:  # deduce is third-party code; a crash must not break redaction
            logger.exception("deduce failed on a text of %d characters", len(text))
            return []
        results = []
        for ann in doc.annotations:
            entity = self._entity_for(ann.tag, ann.text)
            if entity not in wanted:
                continue
            explanation = AnalysisExplanation(
                recognizer=self.name,
                original_score=self.score,
                textual_explanation=f"deduce tag '{ann.tag}'",
            )
            results.append(
                RecognizerResult(
                    entity_type=entity,
                    start=int(ann.start_char),   # deduce may give numpy integers; Presidio wants int
                    end=int(ann.end_char),
                    score=self.score,
                    analysis_explanation=explanation,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results

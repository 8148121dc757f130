"""Health data (gezondheidsgegevens) as a Presidio entity, backed by ``guardrails.health``."""

from __future__ import annotations

import logging
import re
from typing import List, Optional

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

logger = logging.getLogger(__name__)

# Runs of non-space characters longer than this are no words (base64, hashes, "aaaa..."); the
# lexicon matcher's cost grows fast with token length, so they are blanked before matching.
MAX_TOKEN_CHARS = 64
_LONG_TOKEN = re.compile(r"\S{%d,}" % (MAX_TOKEN_CHARS + 1))


def blank_long_tokens(text: str) -> str:
    """Return a same-length copy of ``text`` with over-long tokens replaced by spaces."""
    return _LONG_TOKEN.sub(lambda m: " " * len(m.group()), text)


class HealthDataRecognizer(LocalRecognizer):
    """Wrap the Dutch health lexicon (``guardrails.health.find_health``) as HEALTH_DATA.

    Health data are a special category of personal data (AVG art. 9); an employer may not
    register them (source 002, the NVAB Leidraad). The lexicon, its normalisation against evasion
    and its offsets live in ``guardrails.health``; this class only adapts the matches, after
    blanking tokens longer than ``MAX_TOKEN_CHARS`` (no words; they made matching slow). The module
    is imported lazily on the first call, so the analyzer builds even when it is missing.

    Args:
        supported_language: Language code (default "nl").
        supported_entity: Entity name (default "HEALTH_DATA").
        score: Score given to every lexicon match.
        name: Recognizer name.
    """

    def __init__(
        self,
        supported_language: str = "nl",
        supported_entity: str = "HEALTH_DATA",
        score: float = 0.85,
        name: Optional[str] = None,
    ):
        self.score = score
        self._find = None
        super().__init__(
            supported_entities=[supported_entity],
            supported_language=supported_language,
            name=name or "HealthDataRecognizer",
        )

    def load(self) -> None:
        """Nothing to do here: the lexicon is imported on the first :meth:`analyze` call."""

    def _finder(self):
        if self._find is None:
            from guardrails.health import find_health  # lazy: owned by another module

            self._find = find_health
        return self._find

    def analyze(
        self, text: str, entities: List[str], nlp_artifacts: Optional[NlpArtifacts] = None
    ) -> List[RecognizerResult]:
        """Return one HEALTH_DATA result per lexicon match.

        Args:
            text: Text to analyse.
            entities: Requested entities; nothing is returned unless HEALTH_DATA is among them.
            nlp_artifacts: Unused.
        """
        entity = self.supported_entities[0]
        if (entities and entity not in entities) or not text:
            return []
        try:
            matches = self._finder()(blank_long_tokens(text))
        except ImportError:
            logger.warning("guardrails.health is not available; HEALTH_DATA not detected")
            return []
        except Exception:  # the lexicon is another module's code; never break redaction
            logger.exception("find_health failed on a text of %d characters", len(text))
            return []
        results = []
        for m in matches:
            start, end = int(m.start), int(m.end)
            if not 0 <= start < end <= len(text):
                continue
            category = getattr(m, "category", "")
            results.append(
                RecognizerResult(
                    entity_type=entity,
                    start=start,
                    end=end,
                    score=self.score,
                    analysis_explanation=AnalysisExplanation(
                        recognizer=self.name,
                        original_score=self.score,
                        textual_explanation=f"health lexicon category '{category}'",
                    ),
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        "category": category,
                    },
                )
            )
        return results

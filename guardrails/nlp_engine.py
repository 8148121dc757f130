"""A tokenizer-only Dutch NLP engine for Presidio: ``spacy.blank("nl")``, nothing downloaded.

Presidio's context enhancer (``LemmaContextAwareEnhancer``) needs tokens and lemmas; without them it
leaves every score unchanged, so context words such as "bsn" or "telefoon" would do nothing. The
official ``nl_core_news_*`` models are not on PyPI and may not be downloaded at run time, so this
engine tokenises with spaCy's rule-based Dutch tokenizer and uses the lower-cased token text as its
"lemma". Context words are therefore matched on surface forms (substring mode, so "telefoonnummer"
also matches "telefoon"). The engine produces no named entities; names come from deduce
(``guardrails.recognizers.deduce_recognizer``).
"""

from __future__ import annotations

import logging
from typing import Any, Iterable, Iterator, List, Tuple, Union

from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

logger = logging.getLogger(__name__)


class BlankSpacyNlpEngine(NlpEngine):
    """Presidio ``NlpEngine`` backed by tokenizer-only ``spacy.blank`` pipelines.

    Args:
        languages: Language codes to support; each gets ``spacy.blank(code)``.

    Example:
        >>> engine = BlankSpacyNlpEngine(["nl"])
        >>> engine.load()
        >>> engine.process_text("BSN: 111222333", "nl").lemmas
        ['bsn', ':', '111222333']
    """

    engine_name = "spacy_blank"
    is_available = True

    def __init__(self, languages: Iterable[str] = ("nl",)):
        self.languages = list(languages)
        self.nlp: dict | None = None

    def load(self) -> None:
        """Create the blank pipelines (rule-based tokenizer only; no model files)."""
        import spacy

        self.nlp = {lang: spacy.blank(lang) for lang in self.languages}
        logger.debug("blank spaCy pipelines loaded for %s", self.languages)

    def is_loaded(self) -> bool:
        """Return True once :meth:`load` ran."""
        return self.nlp is not None

    def _pipeline(self, language: str):
        if self.nlp is None:
            self.load()
        try:
            return self.nlp[language]
        except KeyError as exc:
            raise ValueError(f"language {language!r} not loaded; have {self.languages}") from exc

    def _artifacts(self, doc, language: str) -> NlpArtifacts:
        return NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[t.idx for t in doc],
            lemmas=[t.text.lower() for t in doc],
            nlp_engine=self,
            language=language,
            scores=[],
        )

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        """Tokenise ``text``; lemmas are lower-cased token texts."""
        return self._artifacts(self._pipeline(language)(text), language)

    def process_batch(
        self,
        texts: Iterable[Union[str, Tuple[str, Any]]],
        language: str,
        batch_size: int = 1,
        n_process: int = 1,
        as_tuples: bool = False,
        **kwargs,
    ) -> Iterator[Union[Tuple[str, NlpArtifacts], Tuple[str, NlpArtifacts, Any]]]:
        """Tokenise several texts (sequentially; tokenising is cheap)."""
        for item in texts:
            if as_tuples:
                text, context = item
                yield text, self.process_text(str(text), language), context
            else:
                yield item, self.process_text(str(item), language)

    def is_stopword(self, word: str, language: str) -> bool:
        """Return True for a Dutch stop word ("de", "het", "van", ...)."""
        return word.lower() in self._pipeline(language).Defaults.stop_words

    def is_punct(self, word: str, language: str) -> bool:
        """Return True when the word consists of punctuation only."""
        return bool(word) and all(not ch.isalnum() for ch in word)

    def get_supported_entities(self) -> List[str]:
        """No NER: this engine supports no entities of its own."""
        return []

    def get_supported_languages(self) -> List[str]:
        """Return the configured language codes."""
        return list(self.languages)

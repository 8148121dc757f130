"""E-mail addresses: Presidio's ``EmailRecognizer`` with an offline domain check."""

from __future__ import annotations

import threading
from typing import List, Optional

from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import EmailRecognizer

_LOCK = threading.Lock()
_EXTRACT = None


def _extractor():
    """A ``tldextract`` instance that uses only the suffix list bundled with the package.

    The default ``tldextract.extract`` fetches the public suffix list from the internet on first
    use; this project may not download anything at run time.
    """
    global _EXTRACT
    if _EXTRACT is None:
        with _LOCK:
            if _EXTRACT is None:
                import tldextract

                _EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return _EXTRACT


class OfflineEmailRecognizer(EmailRecognizer):
    """Recognize e-mail addresses (Presidio pattern) with Dutch context words, fully offline.

    Validation: the domain must end in a known public suffix (bundled snapshot).
    Examples (fictitious): j.jansen@example.nl, verzuim@bedrijf-example.com

    Args:
        patterns: Override Presidio's patterns.
        context: Override the Dutch context words.
        supported_language: Language code (default "nl").
        supported_entity: Entity name (default "EMAIL_ADDRESS").
        name: Recognizer name.
    """

    CONTEXT = ["e-mail", "email", "mail", "mailadres", "e-mailadres", "mailen", "gemaild"]

    def __init__(
        self,
        patterns: Optional[List[Pattern]] = None,
        context: Optional[List[str]] = None,
        supported_language: str = "nl",
        supported_entity: str = "EMAIL_ADDRESS",
        name: Optional[str] = None,
    ):
        super().__init__(
            patterns=patterns,
            context=context if context else self.CONTEXT,
            supported_language=supported_language,
            supported_entity=supported_entity,
            name=name or "OfflineEmailRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        """Return True when the address has a domain with a known public suffix.

        Args:
            pattern_text: The matched address.
        """
        return _extractor()(pattern_text).fqdn != ""

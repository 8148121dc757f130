"""E-mail addresses: every address, with an offline public-suffix check for the score."""

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
    """Recognize every e-mail address (any case, plus tags, subdomains), fully offline.

    Recall first: any ``local@domain.tld`` whose last label is 2-24 letters is an address, whether
    or not the suffix is in the bundled public-suffix list; a known suffix raises the score to the
    maximum.

    Args:
        patterns: Override the default pattern.
        context: Override the Dutch context words.
        supported_language: Language code (default "nl").
        supported_entity: Entity name (default "EMAIL_ADDRESS").
        name: Recognizer name.
    """

    PATTERNS = [
        Pattern("e-mail", r"(?i)(?<![\w.+\-])[\w.+\-']*\w@(?:[\w\-]+\.)+[a-z]{2,24}(?![\w\-])", 0.5),
    ]
    CONTEXT = ["e-mail", "email", "mail", "mailadres", "e-mailadres", "mailen", "gemaild"]
    EXAMPLES = ["mail j.jansen@example.nl", "J.JANSEN@EXAMPLE.NL", "piet+verzuim@mail.bedrijf-x.com",
                "a_b-c@sub.domein.amsterdam", "o'brien@firma.eu", "info@praktijk.zorg"]
    NOT_EXAMPLES = ["@werkgever", "mail mij", "jansen@", "versie 2.0", "www.example.nl"]

    def __init__(
        self,
        patterns: Optional[List[Pattern]] = None,
        context: Optional[List[str]] = None,
        supported_language: str = "nl",
        supported_entity: str = "EMAIL_ADDRESS",
        name: Optional[str] = None,
    ):
        super().__init__(
            patterns=patterns if patterns else self.PATTERNS,
            context=context if context else self.CONTEXT,
            supported_language=supported_language,
            supported_entity=supported_entity,
            name=name or "OfflineEmailRecognizer",
        )

    def validate_result(self, pattern_text: str) -> Optional[bool]:
        """True (maximum score) when the domain has a known public suffix, else None (pattern score).

        Args:
            pattern_text: The matched address.
        """
        return True if _extractor()(pattern_text).fqdn != "" else None

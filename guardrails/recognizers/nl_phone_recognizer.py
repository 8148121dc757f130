"""Phone numbers: python-phonenumbers (possible numbers, not only numbers in service) plus the
Dutch notations as patterns, so a number outside an allocated range is masked too."""

from __future__ import annotations

from typing import List, Optional

from presidio_analyzer import Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

PHONE_CONTEXT = ["telefoon", "telefoonnummer", "tel", "mobiel", "gsm", "bel", "bellen", "gebeld", "nummer",
                 "bereikbaar", "whatsapp", "sms", "app", "nr"]

# Each (fictitious) example is found by every phone recognizer here; no not-example is.
PHONE_EXAMPLES = [
    "bel 06-74450378", "+31 6 95682321 is zijn nummer", "thuis (0378)-322061", "+3152-6346971",
    "vast 0397 550307", "06.12.34.56.78", "06 12 34 56 78", "+31 (0)6 12345678", "0031612345678",
    "(020) 1234567", "(06) 12345678", "+32 470 12 34 56", "+49 30 123456", "0049 170 1234567",
]
PHONE_NOT_EXAMPLES = [
    "ziek sinds 01-03-2026", "artikel 7:629 BW", "€ 1.250,00", "104 weken", "om 14:30 uur",
    "postcode 1234 AB", "BSN 111222333", "dossier 2026-0042", "0,5 fte", "week 42 van 2026",
    "https://wetten.overheid.nl/BWBR0001888/2024-01-01",
]

# One optional separator between digits: space, dot, hyphen or slash.
_SEP = r"[\s.\-/]?"


class NlPhoneRecognizer(PhoneRecognizer):
    """Recognize phone numbers with python-phonenumbers at leniency 0 (POSSIBLE).

    Leniency 0 accepts every number of a possible length for its region, also when the range is
    not allocated (``06-74450378``, ``0397 550307``): recall first, since a number that is not in
    service today is still somebody's number tomorrow, and the text is about to be stored.
    Region NL; a number written with ``+`` or ``00`` parses whatever its country. A national match
    needs ten digits (``0`` + nine): at leniency 0 a parser also accepts 8- and 9-digit strings,
    which are dates, case numbers and BSNs far more often than (service) numbers.

    Examples (fictitious): 06-12345678, 06 1234 5678, +31 6 12345678, 0031 6 12345678,
    020-1234567, 010 123 4567, (030) 2345678, +32 470 12 34 56

    Args:
        context: Override the Dutch context words.
        supported_language: Language code (default "nl").
        supported_entity: Entity name (default "PHONE_NUMBER").
        supported_regions: phonenumbers regions (default ``("NL", "BE", "DE")``).
        leniency: phonenumbers leniency (0 possible .. 3 strict).
        name: Recognizer name.
    """

    EXAMPLES = PHONE_EXAMPLES
    NOT_EXAMPLES = PHONE_NOT_EXAMPLES

    def __init__(
        self,
        context: Optional[List[str]] = None,
        supported_language: str = "nl",
        supported_entity: str = "PHONE_NUMBER",
        supported_regions=("NL",),
        leniency: Optional[int] = 0,
        name: Optional[str] = None,
    ):
        super().__init__(
            context=context if context else PHONE_CONTEXT,
            supported_language=supported_language,
            supported_entity=supported_entity,
            supported_regions=supported_regions,
            leniency=leniency,
            name=name or "NlPhoneRecognizer",
        )

    def analyze(self, text, entities, nlp_artifacts=None):
        """phonenumbers' matches, without national ones shorter than ten digits and without digits
        embedded in a longer token (``BWBR0001888/2024-01-01`` in a URL)."""
        results = super().analyze(text, entities, nlp_artifacts)
        return [r for r in results
                if (_international(text[r.start:r.end]) or _digits(text[r.start:r.end]) >= 10)
                and not _embedded(text, r.start, r.end)]


def _digits(value: str) -> int:
    return sum(ch.isdigit() for ch in value)


def _embedded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return before.isalnum() or before in "/_" or after.isalnum() or after == "/"


def _international(value: str) -> bool:
    return value.lstrip("( ").startswith(("+", "00"))


class NlPhoneFormatRecognizer(PatternRecognizer):
    """Recognize Dutch phone notations by their shape, whatever the digits.

    A Dutch number has ten digits nationally (``0`` + nine) and nine after ``+31``/``0031``; the
    area code may be in parentheses and every digit may be followed by one separator. These
    patterns catch what a parser rejects (``+3152-6346971``, ``(0378)-322061``, ``06.12.34.56.78``).
    A generic international pattern covers ``+`` and ``00`` numbers of other countries.
    """

    PATTERNS = [
        Pattern("NL international",
                rf"(?<![\w+])(?:\+|00)\s?31{_SEP}(?:\(0\){_SEP})?\s?(?:\d{_SEP}){{8}}\d(?!\d)", 0.5),
        Pattern("NL national", rf"(?<![\w.,:/\-])0(?:{_SEP}\d){{9}}(?![\d\-])", 0.45),
        Pattern("NL area code in parentheses",
                rf"(?<![\w])\((?:0\d\){_SEP}\s?\d(?:{_SEP}\d){{7}}|0\d\d\){_SEP}\s?\d(?:{_SEP}\d){{6}}"
                rf"|0\d\d\d\){_SEP}\s?\d(?:{_SEP}\d){{5}})(?!\d)", 0.45),
        Pattern("international", rf"(?<![\w+])(?:\+|00)(?!31)[1-9]\d{{0,2}}{_SEP}(?:\(0\){_SEP})?\s?"
                rf"(?:\d{_SEP}){{6,11}}\d(?!\d)", 0.4),
    ]
    EXAMPLES = PHONE_EXAMPLES
    NOT_EXAMPLES = PHONE_NOT_EXAMPLES

    def __init__(
        self,
        patterns: Optional[List[Pattern]] = None,
        context: Optional[List[str]] = None,
        supported_language: str = "nl",
        supported_entity: str = "PHONE_NUMBER",
        name: Optional[str] = None,
    ):
        super().__init__(
            supported_entity=supported_entity,
            patterns=patterns if patterns else self.PATTERNS,
            context=context if context else PHONE_CONTEXT,
            supported_language=supported_language,
            name=name or "NlPhoneFormatRecognizer",
        )

"""IBANs in any case and spacing, Dutch ones even with a wrong check number."""

from __future__ import annotations

from typing import List, Optional

from presidio_analyzer import Pattern, PatternRecognizer

# An IBAN: country code, two check digits, then the account in groups that may be separated.
_SEP = r"[ .\-]?"


def iban_ok(value: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    compact = "".join(ch for ch in value if ch.isalnum()).upper()
    if len(compact) < 15 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


class NlIbanRecognizer(PatternRecognizer):
    """Recognize IBANs written in any case, compact or in groups (``nl91abna0417164300``,
    ``NL91 ABNA 0417 1643 00``).

    A Dutch IBAN has a fixed shape (``NL`` + 2 digits + 4-letter bank code + 10 digits), so the shape
    alone is masked (recall first: a typo in the check digits is still an account number); a
    correct ISO 13616 check raises the score to the maximum. IBANs of other countries need the check
    to pass, since their shapes vary.

    Args:
        patterns: Override the default patterns.
        context: Override the default context words.
        supported_language: Language code (default "nl").
        supported_entity: Entity name (default "IBAN_CODE").
        name: Recognizer name.
    """

    PATTERNS = [
        Pattern("NL IBAN", rf"(?i)(?<![\p{{L}}\d])NL{_SEP}\d{_SEP}\d{_SEP}(?:[A-Z]{_SEP}){{4}}(?:\d{_SEP}){{9}}\d(?!\d)",
                0.5),
        Pattern("IBAN (other)", rf"(?i)(?<![\p{{L}}\d])(?!NL)[A-Z]{{2}}\d\d(?:{_SEP}[A-Z0-9]{{4}}){{2,7}}"
                rf"(?:{_SEP}[A-Z0-9]{{1,3}})?(?![\p{{L}}\d])", 0.1),
    ]
    CONTEXT = ["iban", "rekening", "rekeningnummer", "bankrekening", "bank", "overmaken", "storten"]
    EXAMPLES = ["nl91abna0417164300", "NL91 ABNA 0417 1643 00", "nl91 abna 0417 1643 00", "IBAN: NL91ABNA0417164300",
                "NL20INGB0001234567 klopt", "nl02rabo0123456789", "Nl44 Knab 0123 4567 89", "BE68 5390 0754 7034",
                "DE89 3704 0044 0532 0130 00", "rekening NL00ABNA0123456789"]
    NOT_EXAMPLES = ["NLABNA", "artikel 7:629 BW", "NL 2026", "BE68 wordt", "DE12 3456 7890 1234 5678 90",
                    "versie NL1.2.3"]

    def __init__(
        self,
        patterns: Optional[List[Pattern]] = None,
        context: Optional[List[str]] = None,
        supported_language: str = "nl",
        supported_entity: str = "IBAN_CODE",
        name: Optional[str] = None,
    ):
        super().__init__(
            supported_entity=supported_entity,
            patterns=patterns if patterns else self.PATTERNS,
            context=context if context else self.CONTEXT,
            supported_language=supported_language,
            name=name or "NlIbanRecognizer",
        )

    def validate_result(self, pattern_text: str) -> Optional[bool]:
        """Maximum score with a correct check; a Dutch shape without one keeps the pattern score;
        any other country's IBAN without a correct check is dropped."""
        if iban_ok(pattern_text):
            return True
        compact = "".join(ch for ch in pattern_text if ch.isalnum())
        return None if compact[:2].upper() == "NL" else False

"""Dutch burgerservicenummer (BSN) recognizer."""

from __future__ import annotations

from typing import List, Optional, Tuple

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer


class NlBsnRecognizer(PatternRecognizer):
    """Recognize the Dutch burgerservicenummer (BSN) using regex and the elfproef.

    Format: 9 digits (8-digit numbers are padded with a leading zero by law), also written
    as ``1234.56.782`` or ``1234 56 782``.
    Check (elfproef): 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 must be divisible by 11
    (Wet algemene bepalingen burgerservicenummer; the "-1" weight distinguishes the BSN from
    the bank-account elfproef).
    Examples (fictitious): 111222333, 123456782, 1234.56.782

    About 1 in 11 random 9-digit numbers passes the check, so a pass is not certainty: the
    check lives in :meth:`invalidate_result` (a failing number is dropped, a passing one keeps
    the modest pattern score) and context words such as "bsn" raise the score.

    Args:
        patterns: Override the default patterns.
        context: Override the default context words.
        supported_language: Language code (default "nl").
        supported_entity: Entity name (default "NL_BSN").
        replacement_pairs: Characters stripped before the check.
        name: Recognizer name.
    """

    PATTERNS = [
        Pattern("BSN (weak)", r"(?<![\d.,\-/])\d{9}(?![\d\-/]|[.,]\d)", 0.4),
        Pattern("BSN dotted", r"(?<![\d.,\-/])\d{4}[. ]\d{2}[. ]\d{3}(?![\d\-/]|[.,]\d)", 0.4),
    ]
    CONTEXT = ["bsn", "burgerservicenummer", "burgerservice", "sofinummer", "sofi-nummer", "sofi"]

    def __init__(
        self,
        patterns: Optional[List[Pattern]] = None,
        context: Optional[List[str]] = None,
        supported_language: str = "nl",
        supported_entity: str = "NL_BSN",
        replacement_pairs: Optional[List[Tuple[str, str]]] = None,
        name: Optional[str] = None,
    ):
        self.replacement_pairs = replacement_pairs or [(".", ""), (" ", "")]
        super().__init__(
            supported_entity=supported_entity,
            patterns=patterns if patterns else self.PATTERNS,
            context=context if context else self.CONTEXT,
            supported_language=supported_language,
            name=name,
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        """Return True (drop the match) when the value fails the BSN elfproef.

        Args:
            pattern_text: The matched text, possibly with dots or spaces.

        Returns:
            True when the number is not a valid BSN.
        """
        digits = EntityRecognizer.sanitize_value(pattern_text, self.replacement_pairs)
        return not self.elfproef(digits)

    @staticmethod
    def elfproef(digits: str) -> bool:
        """Return True when ``digits`` is a 9-digit string passing the BSN elfproef.

        Args:
            digits: Candidate number, digits only.
        """
        if len(digits) != 9 or not digits.isascii() or not digits.isdigit() or digits == "000000000":
            return False
        total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
        return total % 11 == 0

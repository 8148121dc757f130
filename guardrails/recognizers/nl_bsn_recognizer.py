"""Dutch burgerservicenummer (BSN) recognizer."""

from __future__ import annotations

from typing import List, Optional, Tuple

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer


class NlBsnRecognizer(PatternRecognizer):
    """Recognize the Dutch burgerservicenummer (BSN) in every usual notation; the elfproef sets the score.

    Format: 9 digits (8-digit numbers are padded with a leading zero by law, and written without it
    by many), also written as
    ``1234.56.782``, ``1234 56 782``, ``123 456 782``, ``123.456.782`` or ``123-456-782``.
    Check (elfproef): 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 must be divisible by 11
    (Wet algemene bepalingen burgerservicenummer; the "-1" weight distinguishes the BSN from
    the bank-account elfproef).

    Recall first: a number that fails the elfproef is a mistyped BSN as often as anything else, so
    it is masked too, at a score just above the threshold; a passing number gets a higher score, and
    context words such as "bsn" raise both.

    Args:
        patterns: Override the default patterns.
        context: Override the default context words.
        supported_language: Language code (default "nl").
        supported_entity: Entity name (default "NL_BSN").
        replacement_pairs: Characters stripped before the check.
        name: Recognizer name.
    """

    PATTERNS = [
        Pattern("BSN (weak)", r"(?<![\d.,\-/])\d{9}(?![\d\-/]|[.,]\d)", 0.36),
        Pattern("BSN 4-2-3", r"(?<![\d.,\-/])\d{4}[. ]\d{2}[. ]\d{3}(?![\d\-/]|[.,]\d)", 0.36),
        Pattern("BSN 8 digits", r"(?<![\d.,\-/])\d{8}(?![\d\-/]|[.,]\d)", 0.36),
        Pattern("BSN 3-3-3", r"(?<![\d.,\-/])\d{3}([. \-])\d{3}\1\d{3}(?![\d\-/]|[.,]\d)", 0.36),
    ]
    CONTEXT = ["bsn", "burgerservicenummer", "burgerservice", "sofinummer", "sofi-nummer", "sofi"]
    #: Score of a number that passes the elfproef (before context).
    VALID_SCORE = 0.5
    EXAMPLES = ["BSN 111222333", "bsn 12345672", "bsn: 1234.56.782", "nummer 123 456 782", "123.456.782", "123-456-782",
                "burgerservicenummer 1234 56 782", "bsn 123456789"]
    NOT_EXAMPLES = ["bel 0612345678", "1.250.000 euro", "12-03-2026", "postcode 1234 AB", "12345678", "ordernummer 20261201",
                    "1234567890"]

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

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        """Pattern matches, scored up when the digits pass the elfproef. Eight digits are a BSN
        written without its leading zero only when the padded number passes the elfproef (eight
        digits are dates and order numbers far more often)."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        kept = []
        for r in results:
            digits = EntityRecognizer.sanitize_value(text[r.start:r.end], self.replacement_pairs + [("-", "")])
            if len(digits) == 8:
                if not self.elfproef("0" + digits):
                    continue
                digits = "0" + digits
            if self.elfproef(digits):
                r.score = max(r.score, self.VALID_SCORE)
            kept.append(r)
        return kept

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

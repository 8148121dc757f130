"""Dates written the Dutch way."""

from __future__ import annotations

import re
from typing import List, Optional

from presidio_analyzer import Pattern, PatternRecognizer

_MONTH = (
    r"(?:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
    r"|(?:jan|feb|febr|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec)\b\.?)"
)
_DAY = r"(?:maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|ma|di|wo|do|vr|za|zo)\.?"
_NUMS = re.compile(r"\d+")


class NlDateRecognizer(PatternRecognizer):
    """Recognize dates in Dutch notations as DATE_TIME.

    Formats: "3 maart 2024", "3 maart", "4 mrt. 2024", "maandag 4 maart", "03-03-2024",
    "3-3-2024", "03/03/2024", "3.3.2024", "2024-03-03", "maandag 4-3", "vrijdag de 14e", and
    "op 12/4" (a bare "4-3" is matched only after a time preposition and not before a unit such
    as "weken": it is too often a score or a range). Numeric forms are checked
    for a valid day (1-31) and month (1-12) in :meth:`invalidate_result`.
    Examples (fictitious): 3 maart 2024, 03-03-2024, maandag 4 maart, 4 mrt. 2024

    Args:
        patterns: Override the default patterns.
        context: Override the default context words.
        supported_language: Language code (default "nl").
        supported_entity: Entity name (default "DATE_TIME").
        name: Recognizer name.
    """

    PATTERNS = [
        Pattern(
            "day month [year]",
            rf"\b(?:{_DAY},?\s+)?\d{{1,2}}\s+{_MONTH}(?:\s+'?\d{{4}}\b|\s+'\d{{2}}\b)?",
            0.6,
        ),
        Pattern(
            "weekday d-m",
            rf"\b{_DAY},?\s+\d{{1,2}}[-/]\d{{1,2}}(?:[-/](?:\d{{4}}|\d{{2}}))?(?![\d\-/])",
            0.6,
        ),
        Pattern("d-m-yyyy", r"(?<![\d\-/.])\d{1,2}([-/.])\d{1,2}\1(?:\d{4}|\d{2})(?![\d\-/]|\.\d)", 0.6),
        Pattern("weekday de Ne", rf"\b{_DAY}\s+(?:de\s+)?\d{{1,2}}(?:e|ste|de)\b", 0.6),
        # d/m or d-m without a year only after a time preposition ("op 12/4", "vanaf 3-6"),
        # and not when a unit follows ("na 3-4 weken")
        Pattern(
            "context d/m",
            r"(?<=\b(?:op|na|voor|tot|vanaf|per|sinds|t/m|tussen|en)\s)\d{1,2}[/-]\d{1,2}(?![\d/\-]|\.\d)"
            r"(?!\s*(?:weken|week|dagen|dag|uur|maanden|maand|jaar|keer|x|%|procent|uren))",
            0.5,
        ),
        Pattern("yyyy-mm-dd", r"(?<![\d\-/])\d{4}-\d{2}-\d{2}(?![\d\-/])", 0.6),
        Pattern("month year", rf"\b(?:januari|februari|maart|april|juni|juli|augustus|september|oktober"
                rf"|november|december)\s+\d{{4}}\b", 0.5),
    ]
    CONTEXT = ["datum", "sinds", "per", "op", "vanaf", "tot", "geboren", "ziekmelding", "afspraak"]

    def __init__(
        self,
        patterns: Optional[List[Pattern]] = None,
        context: Optional[List[str]] = None,
        supported_language: str = "nl",
        supported_entity: str = "DATE_TIME",
        name: Optional[str] = None,
    ):
        super().__init__(
            supported_entity=supported_entity,
            patterns=patterns if patterns else self.PATTERNS,
            context=context if context else self.CONTEXT,
            supported_language=supported_language,
            name=name,
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        """Return True when a numeric date has an impossible day or month.

        Args:
            pattern_text: The matched text.
        """
        nums = [int(n) for n in _NUMS.findall(pattern_text)]
        if not nums:
            return True
        if re.search(r"[a-z]", pattern_text, re.IGNORECASE) and not re.search(r"\d[-/]\d", pattern_text):
            first = _NUMS.search(pattern_text).group()
            return len(first) <= 2 and not 1 <= int(first) <= 31  # "september 2024" has no day
        if len(nums) >= 3 and nums[0] > 31:  # yyyy-mm-dd
            _, month, day = nums[:3]
        else:
            day, month = nums[0], nums[1] if len(nums) > 1 else 0
        return not (1 <= day <= 31 and 1 <= month <= 12)

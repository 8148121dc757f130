"""Dutch postcode recognizer."""

from __future__ import annotations

from typing import List, Optional

import regex

from presidio_analyzer import Pattern, PatternRecognizer


class NlPostcodeRecognizer(PatternRecognizer):
    """Recognize Dutch postcodes: four digits (first not 0) and two capital letters.

    Format: ``1234 AB`` or ``1234AB`` (PostNL). The letter pairs SA, SD and SS are never issued,
    so they are rejected. Lower-case letters are accepted only when written without a space
    ("1234ab"), because "1234 ab" is more often a number followed by a word.
    Examples (fictitious): 1234 AB, 9876ZX

    Args:
        patterns: Override the default patterns.
        context: Override the default context words.
        supported_language: Language code (default "nl").
        supported_entity: Entity name (default "NL_POSTCODE").
        name: Recognizer name.
    """

    PATTERNS = [
        Pattern("postcode", r"\b[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}\b", 0.5),
        Pattern("postcode lower", r"\b[1-9]\d{3}(?!sa|sd|ss)[a-z]{2}\b", 0.4),
    ]
    CONTEXT = ["postcode", "adres", "woonplaats", "woont", "wonend", "straat"]

    def __init__(
        self,
        patterns: Optional[List[Pattern]] = None,
        context: Optional[List[str]] = None,
        supported_language: str = "nl",
        supported_entity: str = "NL_POSTCODE",
        name: Optional[str] = None,
    ):
        super().__init__(
            supported_entity=supported_entity,
            patterns=patterns if patterns else self.PATTERNS,
            context=context if context else self.CONTEXT,
            supported_language=supported_language,
            name=name,
            # case-sensitive: "1234 ab" is usually a number and a word, not a postcode
            global_regex_flags=regex.DOTALL | regex.MULTILINE,
        )

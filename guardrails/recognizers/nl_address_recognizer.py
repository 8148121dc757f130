"""Dutch street addresses (street name + house number)."""

from __future__ import annotations

from typing import List, Optional

import regex

from presidio_analyzer import Pattern, PatternRecognizer

# Common endings of Dutch street names (BAG openbare ruimte); a name ending in one of these and
# followed by a house number is an address.
STREET_SUFFIXES = (
    "straat", "laan", "weg", "plein", "gracht", "kade", "singel", "dijk", "dreef", "hof", "pad", "steeg",
    "baan", "boulevard", "ring", "wal", "markt", "plantsoen", "park", "erf", "veld", "hoek", "haven",
    "burg", "kwartier", "plaats", "zijde", "oord", "kamp", "brink", "dam", "werf", "poort", "straatje",
    "allee", "wijk", "hout", "akker", "kanaal", "lei", "vliet", "wetering", "polder", "gang", "steiger",
)
_SUFFIX = "|".join(sorted(STREET_SUFFIXES, key=len, reverse=True))
# A capitalised word, a name particle, or a number word inside a street name ("Van der Helststraat",
# "Burgemeester de Withlaan", "Laan van Meerdervoort", "Plein 1944").
_CAP = r"\p{Lu}[\p{L}'’\-]*\.?"
_PARTICLE = r"(?:van|de|der|den|het|'t|op|aan|in|ter|ten|te|la|le)"
# Leading words of a street name: capitalised words, each optionally followed by particles.
_LEAD = rf"(?:{_CAP}\s+(?:{_PARTICLE}\s+){{0,2}}){{0,2}}"
_HOUSE_NO = r"\d{1,5}(?:\s?[A-Za-z](?![\p{L}])|[-\s](?:\d{1,3}|[IVX]{1,4}|hoog|bis)(?![\p{L}\d]))?"


class NlAddressRecognizer(PatternRecognizer):
    """Recognize Dutch street addresses as ADDRESS.

    Format: a street name ending in a street word (straat, laan, weg, gracht, kade, ...),
    or starting with one ("Laan van Meerdervoort"), followed by a house number with an
    optional letter or addition ("12a", "12-II", "12 bis"). Also "Postbus 123".
    Examples (fictitious): Kerkstraat 12, Van der Helststraat 3-II, Laan van Meerdervoort 221a,
    Postbus 4021

    Args:
        patterns: Override the default patterns.
        context: Override the default context words.
        supported_language: Language code (default "nl").
        supported_entity: Entity name (default "ADDRESS").
        name: Recognizer name.
    """

    PATTERNS = [
        Pattern(
            "street+number",
            rf"(?<![\p{{L}}])(?:{_LEAD})?\p{{Lu}}[\p{{L}}'’\-]*(?:{_SUFFIX})\s+{_HOUSE_NO}(?![\d\p{{L}}])",
            0.6,
        ),
        Pattern(
            "street word first",
            rf"(?<![\p{{L}}])(?:Laan|Plein|Kade|Dijk|Singel|Weg|Gracht|Markt)\s+"
            rf"(?:{_PARTICLE}\s+){{0,3}}(?:{_CAP}\s+){{0,2}}"
            rf"\p{{Lu}}[\p{{L}}'’\-]*\s+{_HOUSE_NO}(?![\d\p{{L}}])",
            0.6,
        ),
        Pattern("postbus", r"(?<![\p{L}])[Pp]ostbus\s+\d{1,6}(?!\d)", 0.6),
    ]
    CONTEXT = ["adres", "woont", "wonend", "woonachtig", "gevestigd", "straat", "postcode", "huisnummer"]

    def __init__(
        self,
        patterns: Optional[List[Pattern]] = None,
        context: Optional[List[str]] = None,
        supported_language: str = "nl",
        supported_entity: str = "ADDRESS",
        name: Optional[str] = None,
    ):
        super().__init__(
            supported_entity=supported_entity,
            patterns=patterns if patterns else self.PATTERNS,
            context=context if context else self.CONTEXT,
            supported_language=supported_language,
            name=name,
            # case matters: street names are capitalised
            global_regex_flags=regex.DOTALL | regex.MULTILINE,
        )

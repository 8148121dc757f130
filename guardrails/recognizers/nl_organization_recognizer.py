"""Dutch organisation names by legal form, sector word and context."""

from __future__ import annotations

from typing import List, Optional

import regex

from presidio_analyzer import Pattern, PatternRecognizer

_CAP = r"\p{Lu}[\p{L}\d'’\-]*"
_PARTICLE = r"(?:van|de|der|den|het|'t|ter|ten|te|la|le|du|op)"
# Capitalised words that start sentences or questions and are never the first word of a name.
_NOT_FIRST = (
    r"(?!(?:Namens|Wij|Ik|Mijn|Onze|Ons|Bij|Voor|Is|Kan|Mag|Moet|Wie|Wat|Hoe|Waar|Wanneer|Het|Een|Dit|Deze"
    r"|Die|Dat|Graag|Als|Op|In|Werkgever|Werknemer|Collega|Meneer|Mevrouw|Dhr|Mevr)\b)"
)
# A name: optional particles, a capitalised word, then up to four more words, particles or "&".
# Inside a name "van" is not allowed: "Ruben Jekel van Heijmen B.V." is a person of a company.
_INNER_PARTICLE = r"(?:de|der|den|het|'t|ter|ten|te|la|le|du|op)"
_NAME = (
    rf"(?:{_PARTICLE}\s+){{0,3}}{_NOT_FIRST}{_CAP}"
    rf"(?:\s+(?:&\s+(?:{_PARTICLE}\s+){{0,3}}|(?:{_INNER_PARTICLE}\s+){{0,2}}){_CAP}){{0,4}}"
)
_LEGAL = (
    r"(?:B\.V\.|BV|N\.V\.|NV|V\.O\.F\.|VOF|C\.V\.|CV|U\.A\.|Holding(?:\s+(?:B\.V\.|BV|N\.V\.))?|Groep|Group"
    r"|&\s+Zonen|en\s+Zonen|&\s+Co\.?|Nederland\s+B\.V\.)"
)
# Sector words that open an organisation name ("Transportbedrijf Jansen", "Stichting De Linde").
_SECTOR_FIRST = (
    r"(?:\p{Lu}\p{Ll}*(?:bedrijf|kantoor|praktijk|centrum|groep|dienst|bureau|winkel|zaak|fabriek|kwekerij"
    r"|opvang|handel|atelier|studio)"
    r"|Bakkerij|Drukkerij|Slagerij|Kapsalon|Apotheek|Stichting|Vereniging|Coöperatie|Gemeente|Ziekenhuis"
    r"|Kliniek|Zorggroep|Kinderopvang|Woonzorgcentrum|Verpleeghuis|Hogeschool|Universiteit|Basisschool"
    r"|Fysiotherapie|Uitzendbureau|Arbodienst|Tandartspraktijk|Huisartsenpraktijk)"
)
# Words that open a remark in parentheses rather than a name ("de werkgever (of zijn HR-afdeling)").
_NOT_IN_PARENS = (
    r"zie|bijvoorbeeld|bijv|of|en|die|dat|niet|ook|dus|want|maar|vaak|meestal|in|op|met|voor|de|het|een|als"
    r"|dit|deze|wie|wat|hoe|vooral|meestal|namelijk|ofwel|oftewel|incl|inclusief|exclusief|excl|ca|circa"
    r"|leidinggevende|casemanager|bedrijfsarts|werknemer|werkgever|HR|P&O|personeelszaken"
)
# Words after which a capitalised name is an employer ("werkt bij Vanderlande").
_EMPLOYER_CONTEXT = (
    r"(?:werkt\s+bij|werkzaam\s+bij|in\s+dienst\s+(?:bij|van)|werkgever\s+is|werkgever:|werkt\s+voor"
    r"|[Ww]erkgever|\bbij|[Kk]lant|[Oo]pdrachtgever|[Ll]everancier"
    r"|(?:leidinggevende|manager|directeur|eigenaar|teamleider|collega|medewerker|werknemer|stagiair)"
    r"\s+(?:\S+\s+){0,4}?bij)\s+"
)


class NlOrganizationRecognizer(PatternRecognizer):
    """Recognize organisation names as ORGANIZATION, complementing deduce (care institutions only).

    Patterns: a name followed by a legal form or group word ("Jansen Bouw B.V.",
    "De Vries Holding", "Jansen & Zonen"); a sector word followed by a name
    ("Transportbedrijf Bakker", "Stichting De Linde", "Gemeente Zwolle"); two names joined by
    "&" ("Van Dijk & De Boer"); a capitalised name right after "werkt bij", "in dienst bij",
    "werkgever is", "klant", "opdrachtgever", or "<role> ... bij" (lower score). Matching is
    case-sensitive: names are capitalised.
    Examples (fictitious): Bakker Logistiek B.V., Stichting Het Anker, Meijer & Visser

    Args:
        patterns: Override the default patterns.
        context: Override the default context words.
        supported_language: Language code (default "nl").
        supported_entity: Entity name (default "ORGANIZATION").
        name: Recognizer name.
    """

    PATTERNS = [
        Pattern("name + legal form", rf"(?<![\p{{L}}\d])(?:{_NAME})\s+{_LEGAL}(?![\p{{L}}])", 0.6),
        Pattern(
            "sector + name",
            rf"(?<![\p{{L}}]){_SECTOR_FIRST}\s+(?:{_PARTICLE}\s+){{0,3}}{_CAP}"
            rf"(?:\s+(?:{_PARTICLE}\s+){{0,3}}{_CAP}){{0,2}}",
            0.6,
        ),
        Pattern(
            "name & name",
            rf"(?<![\p{{L}}])(?:{_PARTICLE}\s+){{0,3}}{_NOT_FIRST}{_CAP}\s+&\s+"
            rf"(?:{_PARTICLE}\s+){{0,3}}{_CAP}",
            0.5,
        ),
        Pattern(
            "employer context",
            rf"(?<={_EMPLOYER_CONTEXT}){_NOT_FIRST}{_CAP}(?:\s+(?:{_PARTICLE}\s+){{0,2}}{_CAP}){{0,3}}",
            0.45,
        ),
        Pattern(
            "in parentheses after an employer word",
            rf"(?<=\b(?:[Ww]erkgever|[Bb]edrijf|[Oo]rganisatie|[Ff]irma|[Kk]lant|[Oo]pdrachtgever|[Bb]aas|[Zz]aak)"
            rf"\s?\()(?!(?:{_NOT_IN_PARENS})\b)(?=[^()\n]*(?:\p{{Lu}}|\b(?:bv|b\.v\.|nv|n\.v\.|vof|v\.o\.f\.)(?!\p{{L}})))"
            rf"[^()\n\d]{{2,60}}?(?=\))",
            0.5,
        ),
    ]
    EXAMPLES = ["De werkgever (Lekkerland) vraagt om een gesprek", "mijn werkgever (lekkerland bv) belde",
                "werkgever Lekkerland wil weten", "ze werkt bij Vanderlande", "ziekgemeld bij Albert Heijn",
                "Jansen Bouw B.V.", "Stichting De Linde", "bedrijf (Kees Smit Tuinmeubelen)"]
    NOT_EXAMPLES = ["bij de bedrijfsarts", "werkgever mag dat niet vragen", "bij Mag ik",
                    "de werkgever (zie artikel 7:629 BW)", "de werkgever (of de leidinggevende) belt",
                    "het bedrijf (2 vestigingen)",
                    "werkgever (leidinggevende of casemanager namens de werkgever)", "de werkgever (in de zin van de wet)"]
    CONTEXT = ["werkgever", "bedrijf", "organisatie", "firma", "werkt", "dienst", "namens", "arbodienst"]

    def __init__(
        self,
        patterns: Optional[List[Pattern]] = None,
        context: Optional[List[str]] = None,
        supported_language: str = "nl",
        supported_entity: str = "ORGANIZATION",
        name: Optional[str] = None,
    ):
        super().__init__(
            supported_entity=supported_entity,
            patterns=patterns if patterns else self.PATTERNS,
            context=context if context else self.CONTEXT,
            supported_language=supported_language,
            name=name,
            global_regex_flags=regex.DOTALL | regex.MULTILINE,
        )

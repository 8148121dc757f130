"""Independent generated benchmark for Dutch PII detection.

Run: ``python -m evals.pii.independent`` (writes ``evals/pii/independent.jsonl``).

The values are built from sources that are independent of the project's recognizers:

- phone numbers from python-phonenumbers' NL metadata (type descriptions, ``number_format``
  groupings, national prefix) with random digits, valid as well as possible-but-invalid numbers
  (e.g. ``06-9xxxxxxx``, area code ``0378``), plus Belgian and German numbers;
- IBANs from the NL IBAN structure (``NL`` + ISO 13616 mod-97 check digits + bank code + 10
  digits) with real Dutch bank codes;
- BSNs from the elfproef (weights 9..2 and -1);
- person names from deduce's lookup *files* (first names, surnames, surnames after an interfix),
  filtered against deduce's common-word lists, combined with initials, interfixes and titles;
- organisations and e-mail domains from surnames and invented brand words.

Every item is ``{"id", "text", "split", "template", "spans": [{"entity", "start", "end",
"value", "format"}]}``. ``format`` is a ``/``-separated list of facets whose names are in
:data:`FORMAT_FACETS` (the first facet is the notation). The split is decided by a sha256 hash of
the template id (about 30 % of the templates are ``test``), so the test split holds sentence
shapes never seen in dev; the notation of each slot is cycled per template, so every notation
occurs in both splits. Negative templates (ids starting with ``neg-``) hold look-alikes of
identifiers that are not personal data (articles of law, amounts, times, case numbers, document
and institution names) and have no spans.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import phonenumbers as pn
from phonenumbers import NumberFormat, PhoneMetadata, PhoneNumber, PhoneNumberType

HERE = Path(__file__).parent
DATA = HERE / "independent.jsonl"
DEFAULT_SEED = 20261201
DEFAULT_N_PER_TEMPLATE = 24
TEST_SHARE_PERCENT = 30
NEGATIVE_PREFIX = "neg-"

#: Facet names of each entity's ``format`` string, in order.
FORMAT_FACETS: Dict[str, Tuple[str, ...]] = {
    "PHONE_NUMBER": ("notation", "kind", "validity"),
    "IBAN_CODE": ("notation", "cue"),
    "NL_BSN": ("notation", "cue"),
    "EMAIL_ADDRESS": ("local", "domain", "case"),
    "PERSON": ("shape", "case"),
    "ORGANIZATION": ("shape",),
}

SLOT_ENTITY = {"PHONE": "PHONE_NUMBER", "IBAN": "IBAN_CODE", "BSN": "NL_BSN", "EMAIL": "EMAIL_ADDRESS",
               "PERSON": "PERSON", "ORG": "ORGANIZATION"}


def template_split(template_id: str) -> str:
    """``"test"`` for about 30 % of template ids (stable sha256 hash), else ``"dev"``."""
    digest = hashlib.sha256(template_id.encode("utf-8")).hexdigest()
    return "test" if int(digest, 16) % 100 < TEST_SHARE_PERCENT else "dev"


def is_negative(item: dict) -> bool:
    """True for items from a negative template (no personal data by construction)."""
    return item["template"].startswith(NEGATIVE_PREFIX)


# ---------------------------------------------------------------- checksums


def elfproef(bsn: str) -> bool:
    """True when ``bsn`` (8 or 9 digits; 8 means a dropped leading zero) passes the elfproef."""
    digits = bsn.zfill(9)
    if not re.fullmatch(r"\d{9}", digits) or digits == "0" * 9:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return total % 11 == 0


def _iban_numeric(text: str) -> int:
    """ISO 13616 letter-to-number conversion (A=10 ... Z=35) of an alphanumeric string."""
    return int("".join(str(int(ch, 36)) for ch in text))


def iban_valid(iban: str) -> bool:
    """True when ``iban`` (any case, any spaces or dots) passes the ISO 13616 mod-97 check."""
    compact = re.sub(r"[\s.]", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
        return False
    return _iban_numeric(compact[4:] + compact[:4]) % 97 == 1


def _iban_check_digits(country: str, bban: str) -> str:
    """Two ISO 13616 check digits for ``country`` + ``bban``."""
    return f"{98 - _iban_numeric(bban + country + '00') % 97:02d}"


# ---------------------------------------------------------------- phone numbers

NL_META: PhoneMetadata = PhoneMetadata.metadata_for_region("NL")
NL_TYPES: Tuple[PhoneNumberType, ...] = tuple(
    t for t in (getattr(PhoneNumberType, name) for name in sorted(vars(PhoneNumberType)) if name.isupper())
    if isinstance(t, int) and pn.example_number_for_type("NL", t) is not None
    and t != PhoneNumberType.FIXED_LINE_OR_MOBILE  # same example and numbers as FIXED_LINE
)
FOREIGN_REGIONS = ("BE", "DE")
FOREIGN_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE)

#: Notations of an NL number with a national prefix and at least 9 digits.
NL_NOTATIONS = ("national", "hyphen", "parens", "parens-hyphen", "e164", "international", "plus-zero",
                "intl-00", "plus-hyphen", "dots", "pairs", "compact")
SHORT_NOTATIONS = ("national", "hyphen", "compact")  # 0800/0900 numbers: dialled nationally
NO_PREFIX_NOTATIONS = ("national", "compact")  # 14 0xx municipal numbers have no national prefix
FOREIGN_NOTATIONS = ("international", "e164")
PHONE_NOTATIONS = NL_NOTATIONS  # the union: every other tuple is a subset

#: Relative frequency of each phone kind (``(region, type, valid)``) in the sentences.
PHONE_KIND_WEIGHTS: Dict[Tuple[str, PhoneNumberType, bool], float] = {
    ("NL", PhoneNumberType.MOBILE, True): 34,
    ("NL", PhoneNumberType.MOBILE, False): 8,
    ("NL", PhoneNumberType.FIXED_LINE, True): 24,
    ("NL", PhoneNumberType.FIXED_LINE, False): 10,
    **{("NL", t, True): 2 for t in NL_TYPES if t not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE)},
    **{(region, t, True): 6 for region in FOREIGN_REGIONS for t in FOREIGN_TYPES},
}


def _type_name(number_type: int) -> str:
    """``PhoneNumberType`` constant name in lower case (``mobile``, ``fixed_line``, ...)."""
    return next(name.lower() for name, value in vars(PhoneNumberType).items()
                if name.isupper() and value == number_type)


def _metadata_format(nn: str) -> NumberFormat:
    """The NL ``number_format`` entry that formats national number ``nn`` (as libphonenumber picks it)."""
    for fmt in NL_META.number_format:
        if re.match(fmt.leading_digits_pattern[-1], nn) and re.fullmatch(fmt.pattern, nn):
            return fmt
    raise ValueError(f"no NL number format for {nn}")


@lru_cache(maxsize=None)
def _geographic_formats() -> Tuple[NumberFormat, ...]:
    """The formats used by valid NL fixed-line numbers (2- and 3-digit area codes)."""
    used: List[NumberFormat] = []
    for prefix in range(100, 1000):
        nn = f"{prefix}000000"
        number = PhoneNumber(country_code=31, national_number=int(nn))
        if pn.number_type(number) == PhoneNumberType.FIXED_LINE:
            fmt = _metadata_format(nn)
            if fmt not in used:
                used.append(fmt)
    return tuple(used)


def _random_national_number(rng: random.Random, region: str, number_type: int) -> str:
    """A random valid national number of ``region`` and type, as long as the type's example number.

    Leading digits are not fixed by hand: candidates get a random first digit and random further
    digits and are kept when libphonenumber classifies them as the wanted type of ``region``.
    """
    example = pn.example_number_for_type(region, number_type)
    length = len(str(example.national_number))
    for _ in range(200_000):
        nn = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(length - 1))
        number = PhoneNumber(country_code=example.country_code, national_number=int(nn))
        if pn.number_type(number) == number_type and pn.is_valid_number_for_region(number, region):
            return nn
    raise RuntimeError(f"no random {region} {number_type} number found")


def _random_invalid_national_number(rng: random.Random, number_type: int) -> str:
    """A possible but invalid NL number: first digit of a valid number of the type, rest random.

    A first digit after which every number is valid (``07x`` area codes) is replaced by another one.
    """
    length = len(str(pn.example_number_for_type("NL", number_type).national_number))
    while True:
        first = _random_national_number(rng, "NL", number_type)[0]
        for _ in range(200):
            nn = first + "".join(str(rng.randint(0, 9)) for _ in range(length - 1))
            number = PhoneNumber(country_code=31, national_number=int(nn))
            if pn.is_possible_number(number) and not pn.is_valid_number(number):
                return nn


def _pairs(digits: str, sep: str) -> str:
    """Digits in pairs, a leading triple when the count is odd (``123 45 67``)."""
    head = 3 if len(digits) % 2 else 0
    parts = ([digits[:head]] if head else []) + [digits[i:i + 2] for i in range(head, len(digits), 2)]
    return sep.join(parts)


@dataclass(frozen=True)
class NLNumber:
    """An NL national number split as a ``number_format`` entry of the metadata groups it."""

    nn: str
    groups: Tuple[str, ...]
    prefix_rule: Optional[str]

    @classmethod
    def build(cls, nn: str, fmt: Optional[NumberFormat] = None) -> "NLNumber":
        """Group ``nn`` with ``fmt`` (default: the format libphonenumber would pick)."""
        fmt = fmt or _metadata_format(nn)
        return cls(nn, tuple(re.fullmatch(fmt.pattern, nn).groups()), fmt.national_prefix_formatting_rule)

    @property
    def area(self) -> str:
        """The first group written nationally (``06``, ``010``, ``0378``, ``14``)."""
        return self.prefix_rule.replace("\\1", self.groups[0]) if self.prefix_rule else self.groups[0]

    @property
    def rest(self) -> str:
        """The digits after the first group."""
        return "".join(self.groups[1:])

    def notations(self) -> Tuple[str, ...]:
        """The notations that make sense for this number."""
        if not self.prefix_rule:
            return NO_PREFIX_NOTATIONS
        return NL_NOTATIONS if len(self.nn) >= 9 else SHORT_NOTATIONS

    def write(self, notation: str) -> str:
        """The number in ``notation`` (one of :data:`NL_NOTATIONS`)."""
        raw = " ".join(self.groups)
        writers: Dict[str, Callable[[], str]] = {
            "national": lambda: " ".join((self.area, *self.groups[1:])),
            "hyphen": lambda: f"{self.area}-{self.rest}",
            "parens": lambda: f"({self.area}) {self.rest}",
            "parens-hyphen": lambda: f"({self.area})-{self.rest}",
            "e164": lambda: f"+31{self.nn}",
            "international": lambda: f"+31 {raw}",
            "plus-zero": lambda: f"+31 (0){raw}",
            "intl-00": lambda: f"0031 {raw}",
            "plus-hyphen": lambda: f"+31{self.groups[0]}-{self.rest}",
            "dots": lambda: f"{self.area}.{_pairs(self.rest, '.')}",
            "pairs": lambda: f"{self.area} {_pairs(self.rest, ' ')}",
            "compact": lambda: self.area + self.rest,
        }
        return writers[notation]()


def _kind_notations(kind: Tuple[str, PhoneNumberType, bool]) -> Tuple[str, ...]:
    """Notations available for a phone kind (decided on its type's example number)."""
    region, number_type, _ = kind
    if region != "NL":
        return FOREIGN_NOTATIONS
    return NLNumber.build(str(pn.example_number_for_type("NL", number_type).national_number)).notations()


def make_phone(rng: random.Random, notation: str) -> Tuple[str, str]:
    """A random phone number written in ``notation``; returns ``(value, format)``."""
    kinds = [k for k in PHONE_KIND_WEIGHTS if notation in _kind_notations(k)]
    region, number_type, valid = rng.choices(kinds, weights=[PHONE_KIND_WEIGHTS[k] for k in kinds])[0]
    kind_name = _type_name(number_type) if region == "NL" else f"{region.lower()}-{_type_name(number_type)}"
    validity = "valid" if valid else "invalid"
    if region != "NL":
        number = pn.parse("+" + str(pn.country_code_for_region(region))
                          + _random_national_number(rng, region, number_type))
        style = pn.PhoneNumberFormat.E164 if notation == "e164" else pn.PhoneNumberFormat.INTERNATIONAL
        return pn.format_number(number, style), f"{notation}/{kind_name}/{validity}"
    if valid:
        number = NLNumber.build(_random_national_number(rng, "NL", number_type))
    else:
        nn = _random_invalid_national_number(rng, number_type)
        # Where the area code ends is the writer's guess for a number that is not in service.
        candidates = [f for f in _geographic_formats() if re.fullmatch(f.pattern, nn)]
        fmt = rng.choice(candidates) if number_type == PhoneNumberType.FIXED_LINE and candidates else None
        number = NLNumber.build(nn, fmt)
    return number.write(notation), f"{notation}/{kind_name}/{validity}"


# ---------------------------------------------------------------- IBAN and BSN

#: Bank codes (BIC prefixes) of banks that issue NL IBANs.
NL_BANK_CODES = ("ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ", "RBRB", "FVLB", "AEGO",
                 "NNBA", "HAND", "DEUT", "BNGH", "NWAB")
IBAN_NOTATIONS = ("compact-upper", "compact-lower", "groups-upper", "groups-lower", "mixed-case", "dots",
                  "groups-mixed")
BSN_NOTATIONS = ("compact", "dots-4-2-3", "spaces-4-2-3", "spaces-3-3-3", "dots-3-3-3", "hyphens-3-3-3",
                 "eight-digits")

#: Words that, shortly before a value, tell a reader what it is (facet ``cue``).
CUE_WORDS = {
    "IBAN_CODE": ("iban", "rekening", "overmaken", "bank"),
    "NL_BSN": ("bsn", "burgerservice", "sofi"),
}
CUE_WINDOW = 50


def make_iban(rng: random.Random, notation: str) -> str:
    """A random NL IBAN (real bank code, random account number) written in ``notation``."""
    bban = rng.choice(NL_BANK_CODES) + "".join(str(rng.randint(0, 9)) for _ in range(10))
    compact = "NL" + _iban_check_digits("NL", bban) + bban
    groups = [compact[i:i + 4] for i in range(0, len(compact), 4)]
    writers: Dict[str, Callable[[], str]] = {
        "compact-upper": lambda: compact,
        "compact-lower": lambda: compact.lower(),
        "groups-upper": lambda: " ".join(groups),
        "groups-lower": lambda: " ".join(groups).lower(),
        "mixed-case": lambda: compact[:4] + compact[4:8].lower() + compact[8:],
        "dots": lambda: ".".join(groups),
        "groups-mixed": lambda: " ".join([groups[0].lower(), *groups[1:]]),
    }
    return writers[notation]()


def make_bsn(rng: random.Random, notation: str) -> str:
    """A random BSN passing the elfproef, written in ``notation`` (``eight-digits`` drops a leading 0)."""
    while True:
        first = "0" if notation == "eight-digits" else str(rng.randint(1, 9))
        digits = first + "".join(str(rng.randint(0, 9)) for _ in range(8))
        if elfproef(digits):
            break
    writers: Dict[str, Callable[[], str]] = {
        "compact": lambda: digits,
        "dots-4-2-3": lambda: f"{digits[:4]}.{digits[4:6]}.{digits[6:]}",
        "spaces-4-2-3": lambda: f"{digits[:4]} {digits[4:6]} {digits[6:]}",
        "spaces-3-3-3": lambda: f"{digits[:3]} {digits[3:6]} {digits[6:]}",
        "dots-3-3-3": lambda: f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
        "hyphens-3-3-3": lambda: f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
        "eight-digits": lambda: digits[1:],
    }
    return writers[notation]()


# ---------------------------------------------------------------- names from deduce's lookup files


def _deduce_lookup_dir() -> Path:
    """deduce's ``data/lookup/src`` directory in site-packages (found without importing deduce)."""
    spec = importlib.util.find_spec("deduce")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the deduce package is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "lookup" / "src"


def _read_list(relative: str) -> List[str]:
    """Lines of one deduce list file (``names/lst_surname/items.txt``); missing file -> empty."""
    path = _deduce_lookup_dir() / relative
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass(frozen=True)
class NameLists:
    """Name parts filtered to plain capitalised words that are not also common Dutch words."""

    first_names: Tuple[str, ...]
    surnames: Tuple[str, ...]
    interfix_surnames: Tuple[str, ...]


#: Interfixes written before a surname (a common subset of deduce's ``lst_interfix``).
INTERFIXES = ("van", "de", "van der", "van den", "van de", "ten", "ter", "den", "van 't", "in 't", "op de")
TITLES = ("mevrouw", "meneer", "de heer", "dhr.", "mw.", "mevr.", "mr.", "dr.", "drs.", "ing.")
NAME_RE = re.compile(r"[^\W\d_]{3,12}(-[^\W\d_]{2,12})?")


@lru_cache(maxsize=None)
def name_lists() -> NameLists:
    """First names and surnames from deduce's lookup files, minus exceptions and common words."""
    whitelists = ("lst_common_word", "lst_stop_word", "lst_medical_term")
    common = {w.lower() for name in whitelists for w in _read_list(f"whitelist/{name}/items.txt")}

    def clean(items: str, exceptions: str) -> Tuple[str, ...]:
        excluded = set(_read_list(exceptions))
        return tuple(sorted({w for w in _read_list(items)
                             if NAME_RE.fullmatch(w) and w[0].isupper() and w not in excluded
                             and w.lower() not in common}))

    lists = NameLists(*(clean(f"names/{name}/items.txt", f"names/{name}/exceptions.txt")
                        for name in ("lst_first_name", "lst_surname", "lst_interfix_surname")))
    if not (lists.first_names and lists.surnames and lists.interfix_surnames):
        raise RuntimeError(f"deduce name lists not found under {_deduce_lookup_dir()}")
    return lists


@dataclass(frozen=True)
class Person:
    """One generated person: first names, optional interfix, surname."""

    first: str
    second: Optional[str]
    interfix: str
    surname: str

    @classmethod
    def random(cls, rng: random.Random, interfix: Optional[bool] = None) -> "Person":
        """A random person; with an interfix when ``interfix`` is true, about 40 % of them when None."""
        lists = name_lists()
        second = rng.choice(lists.first_names) if rng.random() < 0.3 else None
        if interfix is None:
            interfix = rng.random() < 0.4
        if interfix:
            return cls(rng.choice(lists.first_names), second, rng.choice(INTERFIXES),
                       rng.choice(lists.interfix_surnames))
        return cls(rng.choice(lists.first_names), second, "", rng.choice(lists.surnames))

    def last(self, capital_interfix: bool = False) -> str:
        """Interfix + surname; the interfix is capitalised when nothing precedes it (``De Vries``)."""
        if not self.interfix:
            return self.surname
        interfix = self.interfix[0].upper() + self.interfix[1:] if capital_interfix else self.interfix
        return f"{interfix} {self.surname}"

    def initials(self, both: bool) -> str:
        """``J.`` or ``J.P.`` (the second only when the person has a second first name)."""
        names = [self.first] + ([self.second] if both and self.second else [])
        return "".join(f"{n[0]}." for n in names)


PERSON_SHAPES = ("first-last", "first-interfix-last", "initial-last", "initials-interfix-last", "title-last",
                 "title-initials-last", "first-double-last", "two-first-last")
CHAT_PERSON_SHAPES = ("first-last", "first-interfix-last", "first-only")


def make_person(rng: random.Random, shape: str, lower: bool = False) -> str:
    """A person name in ``shape`` (``first-only`` for greetings), optionally all lower case."""
    interfix = {"first-last": False, "first-double-last": False, "first-interfix-last": True,
                "initials-interfix-last": True}.get(shape)
    person = Person.random(rng, interfix)
    lists = name_lists()
    writers: Dict[str, Callable[[], str]] = {
        "first-last": lambda: f"{person.first} {person.last()}",
        "first-interfix-last": lambda: f"{person.first} {person.last()}",
        "initial-last": lambda: f"{person.initials(False)} {person.last()}",
        "initials-interfix-last": lambda: f"{person.first[0]}.{rng.choice(lists.first_names)[0]}. "
                                          f"{person.last()}",
        "title-last": lambda: f"{rng.choice(TITLES)} {person.last(capital_interfix=True)}",
        "title-initials-last": lambda: f"{rng.choice(TITLES)} {person.initials(True)} {person.last()}",
        "first-double-last": lambda: f"{person.first} {person.surname}-{Person.random(rng).last()}",
        "two-first-last": lambda: f"{person.first} {rng.choice(lists.first_names)} {person.last()}",
        "first-only": lambda: person.first,
    }
    name = writers[shape]()
    return name.lower() if lower else name


# ---------------------------------------------------------------- organisations and e-mail

BRAND_HEADS = ("Volt", "Bouw", "Techni", "Zorg", "Trans", "Agri", "Metaal", "Data", "Groen", "Schoon", "Logi",
               "Infra", "Flex", "Prima", "Nova", "Vita", "Aqua", "Terra", "Sol", "Lumen", "Kwant", "Vast")
TRADES = ("Bouwbedrijf", "Transportbedrijf", "Installatiebedrijf", "Garage", "Bakkerij")
BRAND_TAILS = ("aris", "kracht", "plan", "tek", "ion", "ix", "net", "com", "link", "point", "care", "werk",
               "force", "lab", "tron", "ora", "vision", "mont")
SECTORS = ("Transport", "Installatietechniek", "Schoonmaak", "Logistiek", "Zorg", "Techniek", "Advies",
           "Metaalbewerking", "Bouw", "Catering")
ORG_SHAPES = ("surname-bv", "brand-bv", "brand-nv", "surnames-vof", "stichting", "holding",
              "surname-sector-bv")
BARE_ORG_SHAPES = ("brand", "surname-sector", "sector-surname", "brand-groep")


def _brand(rng: random.Random) -> str:
    """An invented brand word (``Voltaris``, ``Zorgkracht``)."""
    return rng.choice(BRAND_HEADS) + rng.choice(BRAND_TAILS)


def make_org(rng: random.Random, shape: str) -> str:
    """An organisation name in ``shape`` (with a legal form, or one of :data:`BARE_ORG_SHAPES`)."""
    lists = name_lists()
    surname, other = rng.choice(lists.surnames), Person.random(rng).last(capital_interfix=True)
    writers: Dict[str, Callable[[], str]] = {
        "surname-bv": lambda: f"{surname} {rng.choice(('B.V.', 'BV', 'b.v.'))}",
        "brand-bv": lambda: f"{_brand(rng)} {rng.choice(('B.V.', 'BV'))}",
        "brand-nv": lambda: f"{_brand(rng)} N.V.",
        "surnames-vof": lambda: f"{surname} & {other} {rng.choice(('V.O.F.', 'VOF', 'v.o.f.'))}",
        "stichting": lambda: f"Stichting {rng.choice((_brand(rng), surname + ' ' + rng.choice(SECTORS)))}",
        "holding": lambda: f"{rng.choice((_brand(rng), surname))} Holding{rng.choice(('', ' B.V.'))}",
        "surname-sector-bv": lambda: f"{surname} {rng.choice(SECTORS)} B.V.",
        "brand": lambda: _brand(rng),
        "surname-sector": lambda: f"{surname} {rng.choice(SECTORS)}",
        "sector-surname": lambda: f"{rng.choice(TRADES)} {surname}",
        "brand-groep": lambda: f"{_brand(rng)} Groep",
    }
    return writers[shape]()


EMAIL_LOCALS = ("first.last", "initial.last", "initiallast", "first_last", "first-last", "first-digits",
                "first.last+tag", "initials.last")
EMAIL_DOMAINS = ("nl", "com", "eu", "org", "be", "amsterdam", "subdomain-nl", "hyphen-nl")
EMAIL_CASES = ("lower", "capitalised", "upper")


def _ascii_token(text: str) -> str:
    """Lower-case ASCII letters only (``van 't Hof`` -> ``vanthof``, ``Zoë`` -> ``zoe``)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z]", "", plain.lower())


def make_email(rng: random.Random, local_style: str) -> Tuple[str, str]:
    """A random e-mail address with a name-based local part; returns ``(value, format)``."""
    person = Person.random(rng)
    first, last = _ascii_token(person.first), _ascii_token(person.last())
    locals_: Dict[str, Callable[[], str]] = {
        "first.last": lambda: f"{first}.{last}",
        "initial.last": lambda: f"{first[0]}.{last}",
        "initiallast": lambda: f"{first[0]}{last}",
        "first_last": lambda: f"{first}_{last}",
        "first-last": lambda: f"{first}-{last}",
        "first-digits": lambda: f"{first}{rng.randint(1, 99):02d}",
        "first.last+tag": lambda: f"{first}.{last}+{rng.choice(('verzuim', 'hr', 'ziek', 'post'))}",
        "initials.last": lambda: f"{first[0]}.{_ascii_token(rng.choice(name_lists().first_names))[0]}.{last}",
    }
    local = locals_[local_style]()
    domain_kind = rng.choice(EMAIL_DOMAINS)
    brand = _ascii_token(_brand(rng))
    domain = {
        "subdomain-nl": f"{rng.choice(('mail', 'hr', 'personeel'))}.{brand}.nl",
        "hyphen-nl": f"{brand}-{rng.choice(('groep', 'zorg', 'advies', 'bouw'))}.nl",
    }.get(domain_kind, f"{brand}.{domain_kind}")
    case = rng.choice(EMAIL_CASES)
    if case == "upper":
        local, domain = local.upper(), domain.upper()
    elif case == "capitalised":  # Jan.Devries@Voltaris.nl: each local part and the first domain label
        local = re.sub(r"(^|[._\-+])([a-z])", lambda m: m.group(1) + m.group(2).upper(), local)
        domain = domain[0].upper() + domain[1:]
    return f"{local}@{domain}", f"{local_style}/{domain_kind}/{case}"


# ---------------------------------------------------------------- templates

#: Positive templates: ``{KIND}`` or ``{KIND:variant}`` slots, KIND in :data:`SLOT_ENTITY`.
#: Variants: ``PERSON:first`` (first name only), ``PERSON:chat`` (chat shapes, half in lower case),
#: ``ORG:bare`` (no legal form, after a cue such as "bij", "werkgever" or parentheses).
TEMPLATES: Tuple[Tuple[str, str], ...] = (
    # case manager
    ("cm-terugbellen", "Kunt u {PERSON} vandaag nog terugbellen op {PHONE}?"),
    ("cm-contactgegevens", "Contactgegevens werknemer: {PERSON}, tel. {PHONE}, e-mail {EMAIL}."),
    ("cm-bsn-dossier", "In het dossier van {PERSON} staat BSN {BSN} vermeld."),
    ("cm-probleemanalyse", "De probleemanalyse voor {PERSON} is besproken met de leidinggevende van {ORG}."),
    ("cm-verzuimmelding", "Verzuimmelding ontvangen van {ORG} voor medewerker {PERSON}."),
    ("cm-belnotitie", "Belnotitie: {PERSON} gesproken via {PHONE}, volgende contactmoment over twee weken."),
    ("cm-loon-rekening", "Het loon wordt doorbetaald op rekening {IBAN} t.n.v. {PERSON}."),
    ("cm-reintegratieverslag",
     "Voor het re-integratieverslag van {PERSON} ({BSN}) ontbreekt nog het plan van aanpak."),
    ("cm-wia-aanvraag", "De WIA-aanvraag van {PERSON} met burgerservicenummer {BSN} is klaargezet."),
    ("cm-bevestiging-mail", "Ik heb de afspraak bevestigd per mail aan {EMAIL}."),
    ("cm-onbereikbaar", "{PERSON} is onbereikbaar op {PHONE}; graag een alternatief nummer."),
    ("cm-overdracht", "Overdracht dossier: werknemer {PERSON}, werkgever {ORG:bare}, mobiel {PHONE}."),
    ("cm-tweede-spoor", "Het tweede-spoortraject van {PERSON} wordt begeleid door {ORG}."),
    ("cm-uitnodiging",
     "De uitnodiging voor het spreekuur gaat naar {EMAIL} en {PERSON} wordt ook gebeld op {PHONE}."),
    ("cm-contactpersoon", "Contactpersoon bij {ORG} is {PERSON}, bereikbaar op {PHONE}."),
    ("cm-nieuw-nummer", "Werknemer heeft een nieuw nummer: {PHONE} (oud nummer {PHONE})."),
    ("cm-bsn-controle", "Graag het BSN controleren: {BSN} hoort volgens de loonadministratie bij {PERSON}."),
    ("cm-iban-controle", "Controleer of {IBAN} wel het rekeningnummer van {PERSON} is."),
    ("cm-deskundigenoordeel", "{PERSON} wil een deskundigenoordeel aanvragen; werkgever is {ORG}."),
    ("cm-eigenrisicodrager", "Als eigenrisicodrager betaalt {ORG} de uitkering van {PERSON} zelf."),
    ("cm-uwv-nummer", "Bij het UWV is {PERSON} bekend onder nummer {BSN}."),
    ("cm-dossier-kop", "Dossier {PERSON}, {BSN}, verzuim gestart na de zomervakantie."),
    ("cm-in-dienst", "Medewerker is al twaalf jaar in dienst bij {ORG:bare} als monteur."),
    ("cm-reiskosten", "Reiskosten graag vergoeden op {IBAN}."),
    ("cm-twee-namen", "Het gesprek met {PERSON} en haar leidinggevende {PERSON} verliep constructief."),
    ("cm-sms", "SMS gestuurd naar {PHONE} met een herinnering aan het spreekuur."),
    ("cm-voicemail", "Voicemail ingesproken op {PHONE}, nog geen reactie van {PERSON}."),
    # employer
    ("wg-ziekmelding", "Hierbij meld ik {PERSON} ziek, hij is bereikbaar op {PHONE}."),
    ("wg-loonstop", "Wij overwegen een loonstop voor {PERSON}, het salaris gaat nu naar {IBAN}."),
    ("wg-bsn-doorgeven", "Moet ik het BSN van {PERSON} ({BSN}) doorgeven aan de arbodienst?"),
    ("wg-hr-mail", "Stuur het verslag naar onze HR-afdeling: {EMAIL}."),
    ("wg-wij-zijn", "Wij zijn {ORG} en hebben een vraag over de verzuimbegeleiding van {PERSON}."),
    ("wg-leidinggevende-belt", "Onze leidinggevende {PERSON} neemt contact met u op via {PHONE}."),
    ("wg-factuur", "De factuur voor de werkplekaanpassing kan op naam van {ORG} naar {EMAIL}."),
    ("wg-verlof", "{PERSON} heeft bij {ORG} een verlofaanvraag ingediend tijdens het verzuim."),
    ("wg-bankgegevens", "Bankgegevens werkgever: {ORG}, IBAN: {IBAN}."),
    ("wg-personeelsdossier", "In het personeelsdossier staat als BSN {BSN} en als telefoonnummer {PHONE}."),
    ("wg-overname", "Sinds de overname door {ORG} valt {PERSON} onder een nieuwe cao."),
    ("wg-uitzendbureau", "{PERSON} werkt via uitzendbureau {ORG:bare} bij ons op de afdeling logistiek."),
    ("wg-namens", "Namens de werkgever ({ORG:bare}) wil ik een gesprek aanvragen over {PERSON}."),
    # employee
    ("wn-bereikbaar", "Ik ben het best bereikbaar op {PHONE}, liefst na tien uur."),
    ("wn-mijn-mail", "Mijn e-mailadres is {EMAIL}, kunt u de brief daarheen sturen?"),
    ("wn-nieuwe-rekening", "Mijn rekeningnummer is gewijzigd, het nieuwe is {IBAN}."),
    ("wn-waarom-bsn", "Waarom vraagt mijn werkgever om mijn BSN {BSN}?"),
    ("wn-voorstellen", "Goedemorgen, ik ben {PERSON} en ik werk bij {ORG:bare} in de productie."),
    ("wn-leidinggevende", "Mijn leidinggevende {PERSON} belt mij elke dag, mag dat eigenlijk?"),
    ("wn-partner", "Als ik niet opneem kunt u mijn partner {PERSON} bellen op {PHONE}."),
    ("wn-grens", "Ik woon net over de grens, mijn nummer is {PHONE} en mijn werkgever is {ORG}."),
    ("wn-bank-en-mail", "Graag mijn bankrekening aanpassen naar {IBAN} en de bevestiging naar {EMAIL}."),
    ("wn-twee-mails", "Mijn werkmail {EMAIL} lees ik nu niet, gebruik liever {EMAIL}."),
    ("wn-ondergetekende", "Ondergetekende, {PERSON}, verklaart dat bovenstaande gegevens kloppen."),
    # chat style
    ("chat-hoi", "hoi {PERSON:first}, bel je me even terug op {PHONE}?"),
    ("chat-appen", "app maar naar {PHONE} dan regel ik het"),
    ("chat-mail", "mail ff naar {EMAIL} aub"),
    ("chat-gesproken", "heb net {PERSON:chat} gesproken, gaat nog niet zo goed"),
    ("chat-overmaken", "kan je dit overmaken naar {IBAN}? thx"),
    ("chat-bsn", "bsn is {BSN} toch?"),
    ("chat-werkgever", "zit nu bij {ORG:bare}, die doen moeilijk over de re-integratie"),
    ("chat-nummer-van", "nummer van {PERSON:chat} is {PHONE}"),
    ("chat-checken", "{PERSON:chat} {BSN} graag even checken"),
    ("chat-gebeld", "{PERSON:chat} heeft gebeld, wil teruggebeld worden"),
    ("chat-ziek", "{PERSON:chat} is weer ziek, wat moet ik doen"),
    # typos
    ("typo-telefon", "mijn telefon nummer is {PHONE} , groetjes {PERSON:first}"),
    ("typo-burgerservice", "mijn burgerservicenumer is {BSN} voor het formulier"),
    ("typo-mailen", "kunt u me mailen op {EMAIL} ik heb geen post ontvagen"),
    ("typo-ziekgemeld", "{PERSON} heeft zich ziek gemeld bij {ORG} en is bereikbar op {PHONE}"),
    # e-mail snippets and forms
    ("mail-handtekening", "Met vriendelijke groet,\n{PERSON}\nCasemanager\n{ORG}\nT {PHONE}\nE {EMAIL}"),
    ("mail-kop", "Van: {EMAIL}\nAan: {EMAIL}\nOnderwerp: terugkoppeling gesprek {PERSON}"),
    ("mail-doorgestuurd",
     "---------- Doorgestuurd bericht ---------\nVan: {PERSON} <{EMAIL}>\nBetreft: hersteldmelding"),
    ("mail-aanhef", "Beste {PERSON},\n\nHierbij de notulen van het gesprek van vandaag."),
    ("mail-ps", "PS: bij vragen kunt u mij bellen op {PHONE} of mailen naar {EMAIL}."),
    ("form-werknemer", "Naam: {PERSON}\nBSN: {BSN}\nIBAN: {IBAN}\nTelefoon: {PHONE}"),
    ("form-werkgever", "Werkgever: {ORG}\nContactpersoon: {PERSON}\nE-mail: {EMAIL}"),
    ("list-contacten", "Contacten: {PERSON}: {PHONE}; {PERSON}: {PHONE}."),
    ("form-mail-tel", "E-mailadres werknemer: {EMAIL} | Telefoon: {PHONE}"),
    ("mail-declaratie", "Bijgaand de declaratie; graag uitbetalen op IBAN {IBAN} t.a.v. {PERSON}."),
    ("mail-antwoord", "Op maandag schreef {PERSON} <{EMAIL}>:\n> Ik kan morgen niet komen."),
    # more voices for IBANs, e-mail addresses and organisations
    ("cm-formulier-rekening",
     "Op het formulier staat rekeningnummer {IBAN}, maar de naam {PERSON} ontbreekt."),
    ("cm-cc", "Graag {EMAIL} in de cc zetten bij de volgende terugkoppeling."),
    ("cm-werkgever-haakjes", "Werknemer {PERSON} (werkgever: {ORG}) heeft zich hersteld gemeld."),
    ("cm-arbodienst", "De arbodienst van {ORG} heeft het dossier aan ons overgedragen."),
    ("wg-ziekengeld", "Het UWV betaalt het ziekengeld aan ons uit op {IBAN}, ten name van {ORG}."),
    ("wg-leidinggevende-mail", "U kunt de leidinggevende {PERSON} bereiken via {EMAIL}."),
    ("wg-vestiging", "{PERSON} werkt bij {ORG:bare} op de vestiging in het oosten."),
    ("wn-prive-mail", "Stuur het gespreksverslag alleen naar mijn privéadres {EMAIL}, niet naar {ORG}."),
    ("wn-ontslag", "Ik ben bang dat {ORG:bare} mij wil ontslaan tijdens mijn ziekte."),
    ("chat-rekening-vrouw", "{IBAN} is van mijn vrouw, klopt dat zo?"),
    ("chat-mn-mail", "mn mail is {EMAIL}"),
    ("chat-reknr", "nieuw rek.nr: {IBAN}"),
    ("typo-ibam", "mijn ibam is {IBAN} ipv het oude nummer"),
    ("typo-emial", "emial adres: {EMAIL} (graag bevestigen)"),
    ("cm-opzoeken", "Kun je {PERSON} even opzoeken? Het nummer is {BSN}."),
    ("cm-klopt-nummer", "Klopt {BSN} bij {PERSON}? Het staat zo in de ziekmelding."),
    ("wg-loonstrook", "Van de loonstrook overgenomen: {BSN}, {PERSON}, afdeling inkoop."),
    ("cm-koppelen", "Graag het verslag koppelen aan persoonsnummer {BSN}."),
)

#: Negative templates: look-alikes of identifiers that are not personal data (no dates: those are
#: DATE_TIME, which is a legitimate prediction). Slots are filled from :data:`NEGATIVE_FILLERS`.
NEGATIVE_TEMPLATES: Tuple[Tuple[str, str], ...] = (
    ("neg-artikel-loon", "Volgens artikel {ARTIKEL} moet de werkgever het loon doorbetalen."),
    ("neg-transitievergoeding", "De transitievergoeding bedraagt in dit voorbeeld {BEDRAG}."),
    ("neg-tweede-ziektejaar", "In het tweede ziektejaar wordt het loon doorbetaald tegen {PCT}."),
    ("neg-spreekuur-tijd", "Het spreekuur bij de bedrijfsarts begint om {TIJD}."),
    ("neg-wachttijd", "De wachttijd voor de WIA is {DUUR}."),
    ("neg-week-plan", "Uiterlijk in week {WEEK} moet het plan van aanpak klaar zijn."),
    ("neg-dossiernummer", "Zie dossier {DOSSIER} voor de eerdere correspondentie."),
    ("neg-versie", "Dit is versie {VERSIE} van het verzuimprotocol."),
    ("neg-document-mag", "Volgens de {DOC} mag de casemanager dit niet zelfstandig beslissen."),
    ("neg-instantie-standpunt", "{INSTANTIE} heeft hier een duidelijk standpunt over ingenomen."),
    ("neg-loonsanctie", "Een loonsanctie kan oplopen tot {DUUR} extra loondoorbetaling."),
    ("neg-evaluatie", "Na {DUUR} ziekte volgt de eerstejaarsevaluatie."),
    ("neg-beoordeling", "De re-integratie-inspanningen worden beoordeeld volgens de {DOC}."),
    ("neg-verzuimpercentage", "Er zijn {AANTAL} medewerkers ziek, een verzuimpercentage van {PCT}."),
    ("neg-spreekuur-vanaf", "Het telefonisch spreekuur is elke werkdag vanaf {TIJD}."),
    ("neg-zaaknummer", "Zaaknummer {DOSSIER} is gekoppeld aan de aanvraag."),
    ("neg-paragraaf", "Paragraaf {PARAGRAAF} van de {DOC} gaat over taakdelegatie."),
    ("neg-budget", "Het budget voor werkplekaanpassingen is {BEDRAG} per jaar, waarvan {PCT} voor scholing."),
    ("neg-ticket", "Ticket {TICKET} is doorgezet naar de helpdesk."),
    ("neg-wet-termijn", "De {WET} verplicht de werkgever tot een plan van aanpak binnen {DUUR}."),
    ("neg-document-versie", "Is de {DOC} (versie {VERSIE}) al verwerkt in de werkinstructie?"),
    ("neg-dagloon", "Het maximale dagloon is {BEDRAG} bruto."),
    ("neg-wga-grens",
     "Bij {PCT} arbeidsongeschiktheid of minder bestaat er geen recht op een WGA-uitkering."),
    ("neg-beroepsgeheim", "Kun je uitleggen wat de {INSTANTIE} zegt over het medisch beroepsgeheim?"),
    ("neg-pagina", "Zie pagina {PAGINA} van de {DOC}."),
    ("neg-artikel-wet", "Artikel {ARTIKEL} en de {WET} gelden ook voor uitzendkrachten."),
)


ARTICLES = ("7:629 BW", "7:658a BW", "7:629 lid 3 BW", "7:670 BW", "7:611 BW", "7:658a lid 4", "25 WIA",
            "71a WIA", "29 Ziektewet", "9 AVG")
DOCUMENTS = ("RSC Kader Bekwaamheid", "NVAB Leidraad Taakdelegatie", "Beroepscode casemanager",
             "Wet verbetering poortwachter", "Werkwijzer Poortwachter", "KNMG-richtlijn", "NVAB-richtlijn",
             "Beroepscode voor Casemanagers")
INSTITUTIONS = ("KNMG", "UWV", "Autoriteit Persoonsgegevens", "NVAB", "de Arbeidsinspectie", "RSC", "het UWV",
                "de AP")
LAWS = ("Wet verbetering poortwachter", "Wet WIA", "Ziektewet", "Arbowet", "AVG")


def _amount(rng: random.Random) -> str:
    """A euro amount in one of the usual Dutch notations."""
    euros = rng.choice((rng.randint(50, 999), rng.randint(1000, 99_999)))
    grouped = f"{euros:,}".replace(",", ".")
    return rng.choice((f"€ {grouped},{rng.randint(0, 99):02d}", f"{grouped} euro", f"€{grouped},-",
                       f"EUR {grouped},00", f"€ {grouped}"))


def _percentage(rng: random.Random) -> str:
    """A percentage (``70%``, ``35 procent``, ``4,5%``, ``60 %``)."""
    return rng.choice((f"{rng.choice((70, 100, 35, 50, 80))}%", f"{rng.randint(2, 99)} procent",
                       f"{rng.randint(2, 9)},{rng.randint(0, 9)}%", f"{rng.randint(10, 90)} %"))


def _time(rng: random.Random) -> str:
    """A time of day (``14:30``, ``9.30 uur``, ``10 uur``)."""
    return rng.choice((f"{rng.randint(8, 17)}:{rng.choice(('00', '15', '30', '45'))}",
                       f"{rng.randint(8, 17)}.{rng.choice(('00', '30'))} uur", f"{rng.randint(8, 12)} uur"))


def _duration(rng: random.Random) -> str:
    """A duration (``104 weken``, ``42 dagen``, ``twee jaar``)."""
    return rng.choice(("104 weken", "52 weken", "6 weken", "twee jaar", f"{rng.randint(2, 12)} weken",
                       f"{rng.randint(2, 60)} dagen", f"{rng.randint(1, 3)} jaar"))


def _case_number(rng: random.Random) -> str:
    """A case number (``2026-0042``, ``ZK-2025-118``, ``D/2024/0815``)."""
    year = rng.randint(2019, 2026)
    return rng.choice((f"{year}-{rng.randint(1, 9999):04d}", f"ZK-{year}-{rng.randint(1, 999)}",
                       f"D/{year}/{rng.randint(1, 9999):04d}"))


def _version(rng: random.Random) -> str:
    """A version number (``2.3``, ``1.4.2``, ``v3.10``)."""
    return rng.choice((f"{rng.randint(1, 4)}.{rng.randint(0, 9)}",
                       f"{rng.randint(1, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
                       f"v{rng.randint(1, 5)}.{rng.randint(0, 12)}"))


NEGATIVE_FILLERS: Dict[str, Callable[[random.Random], str]] = {
    "ARTIKEL": lambda r: r.choice(ARTICLES),
    "BEDRAG": _amount,
    "PCT": _percentage,
    "TIJD": _time,
    "DUUR": _duration,
    "WEEK": lambda r: str(r.randint(1, 52)),
    "DOSSIER": _case_number,
    "VERSIE": _version,
    "DOC": lambda r: r.choice(DOCUMENTS),
    "INSTANTIE": lambda r: r.choice(INSTITUTIONS),
    "AANTAL": lambda r: str(r.randint(2, 40)),
    "PARAGRAAF": lambda r: f"{r.randint(1, 9)}.{r.randint(1, 9)}",
    "TICKET": lambda r: f"#{r.randint(1000, 99999)}",
    "WET": lambda r: r.choice(LAWS),
    "PAGINA": lambda r: str(r.randint(2, 120)),
}

SLOT_RE = re.compile(r"\{([A-Z]+)(?::([a-z]+))?\}")


def _slot_choices(kind: str, variant: Optional[str]) -> Sequence[str]:
    """The primary formats a slot cycles through."""
    return {
        ("PHONE", None): PHONE_NOTATIONS,
        ("IBAN", None): IBAN_NOTATIONS,
        ("BSN", None): BSN_NOTATIONS,
        ("EMAIL", None): EMAIL_LOCALS,
        ("PERSON", None): PERSON_SHAPES,
        ("PERSON", "first"): ("first-only",),
        ("PERSON", "chat"): tuple(f"{s}/{c}" for s in CHAT_PERSON_SHAPES for c in ("cased", "lower")),
        ("ORG", None): ORG_SHAPES,
        ("ORG", "bare"): BARE_ORG_SHAPES,
    }[(kind, variant)]


def _fill(rng: random.Random, kind: str, choice: str) -> Tuple[str, str]:
    """Value and format for one slot of ``kind`` whose primary format is ``choice``."""
    if kind == "PHONE":
        return make_phone(rng, choice)
    if kind == "EMAIL":
        return make_email(rng, choice)
    if kind == "IBAN":
        return make_iban(rng, choice), choice
    if kind == "BSN":
        return make_bsn(rng, choice), choice
    if kind == "PERSON":
        shape, _, case = choice.partition("/")
        case = case or "cased"
        return make_person(rng, shape, lower=case == "lower"), f"{shape}/{case}"
    return make_org(rng, choice), choice


def _cue(entity: str, before: str) -> str:
    """``cue`` when a cue word for ``entity`` occurs just before the value, else ``no-cue``."""
    window = before[-CUE_WINDOW:].lower()
    return "cue" if any(word in window for word in CUE_WORDS[entity]) else "no-cue"


def _render(template: str, values: List[Tuple[str, str, str]]) -> Tuple[str, List[dict]]:
    """Fill the slots of ``template`` in order with ``(entity, value, format)``; returns text and spans."""
    literals = SLOT_RE.split(template)[::3]  # split() also returns the two groups of every slot
    text = literals[0]
    spans: List[dict] = []
    for (entity, value, fmt), literal in zip(values, literals[1:]):
        if entity in CUE_WORDS:
            fmt = f"{fmt}/{_cue(entity, text)}"
        spans.append({"entity": entity, "start": len(text), "end": len(text) + len(value), "value": value,
                      "format": fmt})
        if value.endswith(".") and literal.startswith("."):
            literal = literal[1:]  # "B.V." at the end of a sentence takes no second full stop
        text += value + literal
    return text, spans


def generate(seed: int = DEFAULT_SEED, n_per_template: int = DEFAULT_N_PER_TEMPLATE) -> List[dict]:
    """The benchmark items: ``n_per_template`` per positive template, a third of that per negative one.

    Deterministic for a given ``seed``. Within a template, each slot cycles through its primary
    formats from a random offset, so every notation occurs in every template that has the slot
    (given ``n_per_template`` at least the number of notations).
    """
    rng = random.Random(seed)
    items: List[dict] = []
    for template_id, template in TEMPLATES:
        slots = [(m.group(1), m.group(2)) for m in SLOT_RE.finditer(template)]
        offsets = [rng.randrange(len(_slot_choices(*slot))) for slot in slots]
        for i in range(n_per_template):
            values = []
            for (kind, variant), offset in zip(slots, offsets):
                choices = _slot_choices(kind, variant)
                value, fmt = _fill(rng, kind, choices[(i + offset) % len(choices)])
                values.append((SLOT_ENTITY[kind], value, fmt))
            text, spans = _render(template, values)
            items.append({"id": f"{template_id}-{i:02d}", "text": text, "split": template_split(template_id),
                          "template": template_id, "spans": spans})
    for template_id, template in NEGATIVE_TEMPLATES:
        for i in range(max(1, n_per_template // 3)):
            text = SLOT_RE.sub(lambda m: NEGATIVE_FILLERS[m.group(1)](rng), template)
            items.append({"id": f"{template_id}-{i:02d}", "text": text, "split": template_split(template_id),
                          "template": template_id, "spans": []})
    return items


def write(items: List[dict], path: Path = DATA) -> None:
    """Write ``items`` as UTF-8 jsonl, one item a line."""
    with path.open("w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")


def main(argv: Optional[List[str]] = None) -> None:
    """CLI: generate the benchmark and write it to ``evals/pii/independent.jsonl``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--n-per-template", type=int, default=DEFAULT_N_PER_TEMPLATE)
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    items = generate(args.seed, args.n_per_template)
    write(items, args.out)
    n_spans = sum(len(item["spans"]) for item in items)
    print(f"wrote {len(items)} sentences with {n_spans} spans to {args.out}")


if __name__ == "__main__":
    main()

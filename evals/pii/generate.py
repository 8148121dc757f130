"""Generate the Dutch PII test set ``evals/pii/pii_nl.jsonl`` (fictitious values, seeded).

Every sentence is a Dutch sick-leave (verzuim) message built from a template with slots. Values
come from Faker ``nl_NL`` (names, streets, postcodes, places, e-mail addresses at example domains)
and from small generators here (BSNs that pass the elfproef, NL IBANs with valid check digits and
random account numbers, Dutch phone numbers valid per ``phonenumbers``, organisation names built
from surnames). Nothing refers to a real person.

Templates carry a ``split``: ``dev`` templates were used while tuning the recognizers; ``heldout``
templates were written up front and not used for tuning; ``hard`` templates were written after a
first round of tuning, before looking at their results, with forms the others avoid (lower-case
names, first names only, other street shapes, brand-like organisation names, other notations).

Run: ``python -m evals.pii.generate`` (rewrites the jsonl file deterministically).

Line format::

    {"id": "dev-007-2", "split": "dev", "template": "dev-007", "text": "...",
     "spans": [{"entity": "PERSON", "start": 12, "end": 24, "value": "..."}]}
"""

from __future__ import annotations

import json
import logging
import random
import re
from pathlib import Path

logger = logging.getLogger(__name__)

SEED = 20240303
OUT = Path(__file__).with_name("pii_nl.jsonl")

SLOT_ENTITY = {
    "PER": "PERSON",
    "SUR": "PERSON",
    "INI": "PERSON",
    "CITY": "LOCATION",
    "ADDR": "ADDRESS",
    "ORG": "ORGANIZATION",
    "BSN": "NL_BSN",
    "TEL": "PHONE_NUMBER",
    "PC": "NL_POSTCODE",
    "DATE": "DATE_TIME",
    "IBAN": "IBAN_CODE",
    "MAIL": "EMAIL_ADDRESS",
    "LPER": "PERSON",
    "FIRST": "PERSON",
    "STREET2": "ADDRESS",
    "BRAND": "ORGANIZATION",
    "DATE2": "DATE_TIME",
    "TEL2": "PHONE_NUMBER",
    "BSN2": "NL_BSN",
    "LPC": "NL_POSTCODE",
}
STREETS2 = ["Oudegracht", "Laan van Meerdervoort", "Burgemeester de Withstraat", "Nieuwe Binnenweg",
            "Kerkplein", "Marktkade", "Van Nesstraat", "Prinsengracht", "Dorpsstraat", "Hoofdweg", "Ringdijk",
            "Molenstraat",
            "Achter de Hoven", "Groenmarkt", "Wilhelminapark", "Korte Nieuwstraat"]
BRAND_SYL = ["vel", "mo", "ra", "tri", "box", "kwan", "tiq", "zen", "dor", "lux", "na", "vo", "pli", "gro",
             "tex"]

# fmt: off
DEV_TEMPLATES = [
    "Mijn medewerker {PER} heeft zich vandaag ziek gemeld, wat moet ik nu doen?",
    "{PER} (BSN {BSN}) is sinds {DATE} arbeidsongeschikt.",
    "Het adres van de werknemer is {ADDR}, {PC} {CITY}.",
    "Je kunt {PER} bereiken op {TEL} of via {MAIL}.",
    "Het loon wordt doorbetaald op rekening {IBAN} ten name van {PER}.",
    "{PER} werkt bij {ORG} in {CITY} als magazijnmedewerker.",
    "Gesprek met mevrouw {SUR} gepland op {DATE}, graag een gespreksleidraad.",
    "De bedrijfsarts van {ORG} wil op {DATE} een spreekuur met {PER}.",
    "Stuur de probleemanalyse naar {MAIL} vóór {DATE}.",
    "Burgerservicenummer van de werknemer: {BSN}. Mag ik dat in het dossier zetten?",
    "Meneer {SUR} belde vanaf {TEL} over zijn re-integratie.",
    "Wij zijn {ORG}, gevestigd aan de {ADDR} te {CITY}.",
    "Kan ik {PER} een brief sturen naar {ADDR} in {CITY}?",
    "Werknemer {PER} is op {DATE} uitgevallen en woont in {CITY}.",
    "De ziekmelding kwam binnen via {MAIL}, afzender {PER}.",
    "Postcode {PC}, huisnummer staat in het dossier bij {ORG}.",
    "Mijn collega {PER} is per {DATE} hersteld gemeld.",
    "Bel mij terug op {TEL}, groet {PER}.",
    "Het eerste ziektedag was {DATE}; de werkgever is {ORG}.",
    "{INI} is teamleider bij {ORG} en vraagt wat hij mag vastleggen.",
    "Graag het bsn {BSN} en IBAN {IBAN} verwijderen uit het verslag.",
    "Onze casemanager {PER} neemt contact op met {ORG} op {DATE}.",
    "Het re-integratieverslag van {PER} moet naar het UWV vóór {DATE}.",
    "Uitnodiging voor het spreekuur gestuurd aan {ADDR}, {PC} {CITY}.",
    "Werkgever {ORG} ({CITY}) wil weten of een tweede spoor nodig is voor {PER}.",
    "Wie betaalt het loon van {PER} als {ORG} failliet gaat?",
    "Dhr. {SUR} heeft telefoonnummer {TEL} en e-mail {MAIL}.",
    "Het contract van {PER} bij {ORG} loopt af op {DATE}.",
    "Mevrouw {PER} woont op {ADDR} te {CITY} en is bereikbaar via {TEL}.",
    "Zijn sofinummer is {BSN} en hij werkt sinds {DATE} bij {ORG}.",
    "De leidinggevende, {PER}, wil het plan van aanpak op {DATE} bespreken.",
    "Bankrekening {IBAN} hoort bij {ORG}, niet bij de werknemer.",
    "Ik heb {PER} op {DATE} gebeld op {TEL} maar geen gehoor gekregen.",
    "Nieuw adres: {ADDR}, {PC} {CITY}. Graag aanpassen in het verzuimsysteem.",
    "{PER} van {ORG} vraagt of de Wet verbetering poortwachter ook voor uitzendkrachten geldt.",
    "Mail de uitnodiging naar {MAIL} en zet {INI} in de cc.",
    "Op {DATE} is er een evaluatiegesprek met {PER} bij {ORG} in {CITY}.",
    "Het BSN {BSN} van {PER} staat verkeerd in de ziekmelding.",
    "Kun je {TEL} bellen? Dat is het nummer van {PER}.",
    "De arbodienst {ORG} heeft {PER} opgeroepen voor {DATE}.",
]

HELDOUT_TEMPLATES = [
    "Namens {ORG}: {PER} meldde zich {DATE} ziek, wat zijn de vervolgstappen?",
    "Bereikbaar via {TEL}; adres {ADDR}, {PC} {CITY}.",
    "Ik ben {PER}, casemanager, en mijn BSN-vraag gaat over nummer {BSN}.",
    "Salaris staat op {IBAN}; vragen kunnen naar {MAIL}.",
    "Werknemer woont in {CITY} en werkt voor {ORG}.",
    "Afspraak verzet van {DATE} naar {DATE} op verzoek van mevrouw {SUR}.",
    "{PER} is vanaf {DATE} weer volledig aan het werk bij {ORG}.",
    "Stuur de stukken aan {PER}, {ADDR}, {PC} {CITY}.",
    "Het telefoonnummer {TEL} is van de leidinggevende {PER}.",
    "Burgerservicenummer {BSN}; geboren op {DATE}; werkgever {ORG}.",
    "Kan {INI} het gesprek van {DATE} overnemen? Mail: {MAIL}.",
    "Is het goed dat {ORG} het bsn {BSN} van {PER} opvraagt?",
]

# "hard" templates: written before any tuning and never tuned on. They use forms the other
# templates avoid: lower-case names, first names only, street names not of Faker's
# "<first name><suffix>" shape, organisations without legal form or sector word, other
# notations of dates, phone numbers, postcodes and BSNs.
HARD_TEMPLATES = [
    "ik heb {LPER} gesproken, hij zit thuis met klachten",
    "{FIRST} belde vanochtend af, kan ik vragen wanneer ze terugkomt?",
    "Hij woont op de {STREET2} in {CITY}.",
    "Ze werkt bij {BRAND} en haar leidinggevende is {PER}.",
    "Afspraak staat op {DATE2} om 10.00 uur.",
    "tel {TEL2}, bsn {BSN2}",
    "postcode {LPC}, verder geen gegevens",
    "Graag contact met {FIRST} {SUR} over de terugkeer.",
    "Klant {BRAND} vraagt of {FIRST} na {DATE2} weer kan beginnen.",
    "Ik ben de leidinggevende van {LPER} bij {BRAND}.",
    "{SUR} heeft de probleemanalyse nog niet ontvangen.",
    "Adres: {STREET2}, {PC} {CITY}",
]

# "blind" templates: written after all tuning; their results were measured once and not used
# to change any recognizer.
BLIND_TEMPLATES = [
    "Hoi {FIRST}, kun je {PER} vandaag nog terugbellen?",
    "Groet, {PER} | {ORG} | {TEL}",
    "De werknemer ({LPER}) heeft een verzuimgesprek op {DATE} in {CITY}.",
    "Vraag van {INI} over de loonbetaling naar {IBAN}.",
    "Contactpersoon: {SUR}, e-mail {MAIL}, kantoor {STREET2} te {CITY}.",
    "{BRAND} heeft {PER} in dienst genomen per {DATE2}.",
    "Kan ik het BSN-nummer {BSN} van {FIRST} gewoon mailen naar {MAIL}?",
    "Woonadres {ADDR} {PC} {CITY}, telefonisch bereikbaar op {TEL2}.",
    "Mevr. {SUR} van {ORG} belt namens {PER}.",
    "Ziekmelding {DATE}: {PER}, {ORG}, {CITY}.",
]

# Sentences with numbers or capitalised words that are NOT PII (precision check).
NEGATIVE_SENTENCES = [
    "Ordernummer 123456789 is nog niet geleverd, maar dat staat los van het verzuim.",
    "Het dossiernummer is 987654321; mag dat in de mail?",
    "Na 104 weken ziekte kan de werknemer een WIA-uitkering aanvragen bij het UWV.",
    "De Wet verbetering poortwachter schrijft een probleemanalyse voor binnen zes weken.",
    "Mag de casemanager in taakdelegatie van de bedrijfsarts het spreekuur voeren?",
    "Wat zegt de NVAB-leidraad over taakdelegatie?",
    "Volgens de Arbowet moet de werkgever zich laten bijstaan door een arbodienst.",
    "De werkgever betaalt twee jaar lang minimaal 70 procent van het loon door.",
    "Wanneer moet de ziekmelding bij het UWV worden gedaan, in week 42?",
    "Mag de werkgever vragen naar de diagnose of de medicatie?",
    "Het plan van aanpak wordt binnen acht weken na de ziekmelding opgesteld.",
    "Wat is de rol van de bedrijfsarts bij het eerstejaarsevaluatie?",
    "Factuur 2024-0012 van de arbodienst staat nog open.",
    "Het RSC en de casemanager overleggen elke week over lopende dossiers.",
    "Kan de werknemer een deskundigenoordeel aanvragen bij het UWV?",
    "Hoe vaak moet ik contact hebben met een zieke werknemer?",
    "De Autoriteit Persoonsgegevens zegt dat je geen gezondheidsgegevens mag registreren.",
    "In versie 3.2 van het protocol staat paragraaf 4.1 over dossiervorming.",
    "Moet ik het verzuim na 42 dagen melden bij het UWV?",
    "Wat moet er in het re-integratieverslag staan volgens de Regeling procesgang?",
    "Artikel 7:629 BW regelt de loondoorbetaling bij ziekte.",
    "Is een tweede spoortraject verplicht als terugkeer bij de eigen werkgever niet lukt?",
    "De KNMG-code en de AVG bepalen wat de bedrijfsarts mag delen.",
    "Het artikelnummer 4002-118 hoort bij de bureaustoel in de werkplekaanpassing.",
]
# fmt: on

MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december"]
MONTHS_ABBR = ["jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."]
DAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
BANKS = ["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"]
ORG_PREFIX = ["Transportbedrijf", "Bouwbedrijf", "Bakkerij", "Installatiebedrijf", "Schoonmaakbedrijf",
              "Hoveniersbedrijf", "Advocatenkantoor", "Accountantskantoor", "Stichting", "Zorggroep",
              "Garagebedrijf", "Drukkerij", "Autobedrijf", "Kinderopvang", "Tandartspraktijk"]
ORG_SECTOR = ["Bouw", "Logistiek", "Techniek", "Installatietechniek", "Metaal", "Zorg", "Schilderwerken",
              "Transport", "Facilitair", "Consultancy", "Vastgoed", "Catering"]
ORG_SUFFIX = ["B.V.", "BV", "N.V.", "V.O.F.", "Holding B.V.", "Groep", "& Zonen", "Holding"]
ORG_WORDS = ["De Linde", "Het Anker", "Noorderlicht", "De Vaart", "Zonnehoek", "De Meerkoet",
             "Rivierzicht", "De Hoeve", "Eikenrode", "Het Baken", "Westerkim", "De Bolder"]


def elfproef_ok(digits: str) -> bool:
    """Return True when a 9-digit string passes the BSN elfproef."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return total % 11 == 0 and digits != "000000000"


def make_bsn(rng: random.Random) -> str:
    """Random 9-digit number passing the elfproef."""
    while True:
        head = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
        last = sum(int(d) * w for d, w in zip(head, range(9, 1, -1))) % 11
        if last < 10:
            return head + str(last)


def make_invalid_nine(rng: random.Random) -> str:
    """Random 9-digit number that fails the elfproef."""
    while True:
        s = str(rng.randint(100000000, 999999999))
        if not elfproef_ok(s):
            return s


def make_iban(rng: random.Random) -> str:
    """Random NL IBAN with valid check digits (random account number)."""
    bank = rng.choice(BANKS)
    account = "".join(str(rng.randint(0, 9)) for _ in range(10))
    bban = bank + account
    numeric = "".join(str(int(c, 36)) for c in bban + "NL00")
    check = 98 - int(numeric) % 97
    iban = f"NL{check:02d}{bban}"
    if rng.random() < 0.4:
        iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


def _digits(rng: random.Random, n: int, first_min: int = 0) -> str:
    return str(rng.randint(first_min, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def make_phone(rng: random.Random) -> str:
    """Random Dutch phone number in one of the usual notations, valid per phonenumbers."""
    import phonenumbers

    while True:
        kind = rng.random()
        if kind < 0.55:
            sub = str(rng.randint(1, 5)) + _digits(rng, 7)
            fmt = rng.choice([
                "06-{s}", "06 {a} {b}", "06{s}", "+31 6 {s}", "+316{s}", "0031 6 {s}",
                "06-{c} {d} {e} {f}", "+31 (0)6 {s}",
            ])
            num = fmt.format(s=sub, a=sub[:4], b=sub[4:], c=sub[:2], d=sub[2:4], e=sub[4:6], f=sub[6:])
        else:
            area = rng.choice(["20", "10", "30", "70", "40", "50", "318", "592", "53", "24", "76", "43"])
            sub = _digits(rng, 9 - len(area), first_min=2)
            fmt = rng.choice(["0{A}-{s}", "0{A} {s1} {s2}", "+31 {A} {s}", "(0{A}) {s}", "0031 {A} {s}"])
            num = fmt.format(A=area, s=sub, s1=sub[:3], s2=sub[3:])
        parsed = phonenumbers.parse(num, "NL")
        if phonenumbers.is_valid_number(parsed):
            return num


def make_date(rng: random.Random) -> str:
    """Random date in one of the Dutch written forms."""
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2019, 2026)
    return rng.choice([
        f"{d} {MONTHS[m - 1]} {y}",
        f"{d:02d}-{m:02d}-{y}",
        f"{d}-{m}-{y}",
        f"{rng.choice(DAYS)} {d} {MONTHS[m - 1]}",
        f"{d} {MONTHS_ABBR[m - 1]} {y}",
        f"{d} {MONTHS[m - 1]}",
        f"{d:02d}/{m:02d}/{y}",
        f"{rng.choice(DAYS)} {d}-{m}",
    ])


def make_org(rng: random.Random, fake) -> str:
    """Fictitious organisation name built from a surname or a made-up word."""
    last = fake.last_name()
    pick = rng.random()
    if pick < 0.3:
        return f"{rng.choice(ORG_PREFIX)} {last}"
    if pick < 0.55:
        return f"{last} {rng.choice(ORG_SECTOR)} {rng.choice(['B.V.', 'BV', 'N.V.'])}"
    if pick < 0.75:
        return f"{last} {rng.choice(ORG_SUFFIX)}"
    if pick < 0.9:
        kind = rng.choice(["Stichting", "Zorggroep", "Kinderopvang", "Woonzorgcentrum"])
        return f"{kind} {rng.choice(ORG_WORDS)}"
    return f"{last} & {fake.last_name()}"


def make_address(rng: random.Random, fake) -> str:
    """Street and house number, sometimes with a letter or addition."""
    addr = fake.street_address()
    r = rng.random()
    if r < 0.15:
        addr += rng.choice(["a", "B", "-2", " bis", "-II"])
    return addr


def _value(slot: str, rng: random.Random, fake) -> str:
    if slot == "PER":
        return fake.name()
    if slot == "SUR":
        return fake.last_name()
    if slot == "INI":
        first = fake.first_name()
        return f"{first[0]}. {fake.last_name()}"
    if slot == "CITY":
        return fake.city()
    if slot == "ADDR":
        return make_address(rng, fake)
    if slot == "ORG":
        return make_org(rng, fake)
    if slot == "BSN":
        bsn = make_bsn(rng)
        return f"{bsn[:4]}.{bsn[4:6]}.{bsn[6:]}" if rng.random() < 0.25 else bsn
    if slot == "TEL":
        return make_phone(rng)
    if slot == "PC":
        return fake.postcode()
    if slot == "DATE":
        return make_date(rng)
    if slot == "IBAN":
        return make_iban(rng)
    if slot == "MAIL":
        if rng.random() < 0.6:
            return fake.email()
        return f"{fake.first_name().lower()}.{fake.last_name().lower().replace(' ', '')}@example.nl"
    if slot == "LPER":
        return fake.name().lower()
    if slot == "FIRST":
        return fake.first_name()
    if slot == "STREET2":
        return f"{rng.choice(STREETS2)} {rng.randint(1, 250)}{rng.choice(['', '', 'a', '-3'])}"
    if slot == "BRAND":
        return "".join(rng.choice(BRAND_SYL) for _ in range(rng.randint(2, 3))).capitalize()
    if slot == "DATE2":
        d, m = rng.randint(1, 28), rng.randint(1, 12)
        return rng.choice([f"{d}-{m:02d}-{rng.randint(19, 26)}", f"vrijdag de {d}e",
                           f"{d} {MONTHS_ABBR[m - 1]}",
                           f"{d} {MONTHS[m - 1].capitalize()} {rng.randint(2019, 2026)}", f"{d}/{m}"])
    if slot == "TEL2":
        sub = str(rng.randint(1, 5)) + _digits(rng, 7)
        return rng.choice([f"06 - {sub[:2]} {sub[2:4]} {sub[4:6]} {sub[6:]}", f"+31(0)6-{sub}", f"06.{sub}"])
    if slot == "BSN2":
        bsn = make_bsn(rng)
        return f"{bsn[:4]} {bsn[4:6]} {bsn[6:]}" if rng.random() < 0.5 else bsn
    if slot == "LPC":
        return fake.postcode().replace(" ", "").lower()
    raise KeyError(slot)


_SLOT_RE = re.compile(r"\{([A-Z0-9]+)\}")


def fill(template: str, rng: random.Random, fake) -> tuple[str, list[dict]]:
    """Fill a template; return the text and gold spans."""
    out, spans, pos = [], [], 0
    length = 0
    for m in _SLOT_RE.finditer(template):
        lit = template[pos : m.start()]
        out.append(lit)
        length += len(lit)
        value = _value(m.group(1), rng, fake)
        spans.append({"entity": SLOT_ENTITY[m.group(1)], "start": length, "end": length + len(value),
                      "value": value})
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(template[pos:])
    text = "".join(out)
    # adjacent values of one entity separated by a space ("{FIRST} {SUR}") form one name
    merged: list[dict] = []
    for sp in spans:
        prev = merged[-1] if merged else None
        if prev and prev["entity"] == sp["entity"] and text[prev["end"] : sp["start"]] == " ":
            prev["end"] = sp["end"]
            prev["value"] = text[prev["start"] : prev["end"]]
        else:
            merged.append(sp)
    return text, merged


def generate(per_template: int = 5, seed: int = SEED) -> list[dict]:
    """Build every record of the set."""
    from faker import Faker

    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    records = []
    for split, templates in (("dev", DEV_TEMPLATES), ("heldout", HELDOUT_TEMPLATES), ("hard", HARD_TEMPLATES),
                            ("blind", BLIND_TEMPLATES)):
        for ti, tpl in enumerate(templates):
            for k in range(per_template):
                text, spans = fill(tpl, rng, fake)
                records.append({"id": f"{split}-{ti:03d}-{k}", "split": split,
                                "template": f"{split}-{ti:03d}",
                                "text": text, "spans": spans})
    for ni, sent in enumerate(NEGATIVE_SENTENCES):
        records.append({"id": f"neg-{ni:03d}", "split": "negative", "template": f"neg-{ni:03d}",
                        "text": sent, "spans": []})
    # invalid 9-digit numbers in context that looks like a BSN question: must not be NL_BSN
    for k in range(6):
        num = make_invalid_nine(rng)
        records.append({"id": f"neg-nine-{k}", "split": "negative", "template": "neg-nine",
                        "text": f"Referentie {num} staat op de factuur van de arbodienst.", "spans": []})
    return records


def main() -> int:
    """Write the jsonl file."""
    records = generate()
    with OUT.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    logging.basicConfig(level=logging.INFO)
    logger.info("wrote %d records to %s", len(records), OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

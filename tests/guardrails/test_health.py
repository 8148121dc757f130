"""The health lexicon: categories, evasions, compounds, offsets in the original text, negatives."""

from __future__ import annotations

import pytest

from guardrails.health import find_health, get_lexicon, redact_health

# fmt: off
FOUND = [
    # text, expected surface forms (original text), expected categories
    ("Hij heeft een hernia.", ["hernia"], ["diagnoses_conditions"]),
    ("Ze krijgt chemotherapie voor borstkanker.", ["chemotherapie", "borstkanker"], ["treatments_care", "diagnoses_conditions"]),
    ("rugklachten na een knieoperatie", ["rugklachten", "knieoperatie"], ["body_parts", "body_parts"]),
    ("Hij gebruikt Seroxat en Thyrax.", ["Seroxat", "Thyrax"], ["medication", "medication"]),       # brand names
    ("Ze slikt sertraline en slaapt slecht.", ["sertraline", "slaapt slecht"], ["medication", "complaints_symptoms"]),
    ("Hij is depressief.", ["depressief"], ["mental_health"]),
    ("Met b.u.r.n-o.u.t thuis", ["b.u.r.n-o.u.t"], ["mental_health"]),                               # split letters
    ("k4nker", ["k4nker"], ["diagnoses_conditions"]),                                                # leetspeak
    ("Hij heeft K A N K E R", ["K A N K E R"], ["diagnoses_conditions"]),
    ("burn-outklachten sinds maart", ["burn-outklachten"], None),                                   # compound with hyphen
    ("pijn aan zijn knie", ["pijn aan zijn knie"], ["body_parts"]),
    ("zijn rug doet pijn", ["zijn rug doet pijn"], ["body_parts"]),
    ("Loopt bij de psycholoog", ["psycholoog"], ["treatments_care"]),
    ("contract met een fysiotherapiepraktijk", ["fysiotherapiepraktijk"], ["treatments_care"]),
    ("Rüg\u200bklachten", ["Rüg\u200bklachten"], ["body_parts"]),                                     # zero-width inside
    ("dеpressie", ["dеpressie"], ["mental_health"]),                                                # Cyrillic е
]

NOT_FOUND = [
    "De bedrijfsarts stelt de diagnose en de prognose.",          # generic vocabulary of the rules
    "Het plan van aanpak wordt opgenomen in het dossier.",
    "Wat is het hoofdprobleem van de werkgever?",
    "Register Specialistisch Casemanagement",
    "De verzekeringsarts en de arbodienst maken afspraken.",
    "Op welke manier informeer ik de werknemer?",                  # "manier" is not "manie"
    "Mag ik vragen naar de klachten en de medicatie?",
    "terug naar het werk met een rugzak vol ervaring",
    "leveringsproblemen bij de leverancier",
]
# fmt: on


@pytest.mark.parametrize("text,surfaces,categories", FOUND)
def test_find_health(text, surfaces, categories):
    matches = find_health(text)
    assert [text[m.start:m.end] for m in matches] == surfaces
    if categories is not None:
        assert [m.category for m in matches] == categories


@pytest.mark.parametrize("text", NOT_FOUND)
def test_no_health_in_normative_text(text):
    assert find_health(text) == []


def test_generic_vocabulary_on_request():
    cats = {m.category for m in find_health("vragen over klachten en diagnose", include_generic=True)}
    assert cats == {"generic"}


def test_redact_health_uses_category_placeholders():
    out = redact_health("Hij slikt oxazepam vanwege een burn-out.")
    assert out == "Hij slikt [medicatie] vanwege een [aandoening]."


def test_every_lexicon_term_finds_itself():
    """Data that tests itself: every term of every category is found in its own plain form."""
    lex = get_lexicon()
    for name, cat in lex.spec.categories.items():
        for term in cat.terms:
            plain = term.lstrip("=~")
            assert find_health(f"x {plain} x"), f"{name}: {plain!r} not found"


def test_sources_have_few_health_hits():
    """The source documents are normative; the lexicon must not flag their everyday vocabulary."""
    from guardrails.policy import SOURCES_DIR

    text = (SOURCES_DIR / "002_f1f6a0dd039d9593.txt").read_text(encoding="utf-8")
    hits = find_health(text)
    assert len(hits) < 40, [text[m.start:m.end] for m in hits][:40]

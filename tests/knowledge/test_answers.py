"""Answer cards: each card's key terms occur in its answer and in the lines it cites; the lines exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.answers import CardError, check_card, cited_text, load_cards, parse_file, term_in

CARDS = load_cards()


def test_at_least_120_cards():
    assert len(CARDS) >= 120


@pytest.mark.parametrize("card", CARDS, ids=[c.id for c in CARDS])
def test_card_says_only_what_its_lines_say(card):
    assert cited_text(card).strip(), f"{card.id}: cited lines are empty"
    assert check_card(card) == []


@pytest.mark.parametrize("card", CARDS, ids=[c.id for c in CARDS])
def test_card_answer_is_short_and_direct(card):
    sentences = [s for s in re.split(r"(?<=[a-z0-9)])[.!?]\s+(?=[A-Z])", card.answer) if s.strip()]
    assert len(card.answer) <= 600 and len(sentences) <= 4, card.answer
    assert len(card.train_questions()) >= 1, f"{card.id}: no variant in the train split"


def test_term_in_is_a_word_prefix_match_across_hyphenation():
    assert term_in("werkgever", "de werk-\ngever mag")
    assert term_in("diagnose", "Geen Diagnoses vragen")
    assert not term_in("gever", "de werkgever")


def test_a_card_with_an_unsupported_term_is_caught(tmp_path: Path):
    f = tmp_path / "bad.yaml"
    f.write_text(
        "- id: verzonnen\n  questions: [\"Mag ik dit vragen?\", \"Is dit toegestaan?\", \"Kan dat zomaar?\"]\n"
        "  answer: Ja, u mag altijd naar de bloedgroep vragen.\n"
        '  sources: [{doc: "000", lines: 96-100}]\n  key_terms: [bloedgroep, vragen]\n', encoding="utf-8")
    (card,) = parse_file(f)
    problems = check_card(card)
    assert any("bloedgroep" in p and "cited lines" in p for p in problems)


@pytest.mark.parametrize("body,message", [
    ("- id: x\n", "id must"),
    ("- id: goed-id\n  questions: [a]\n", "at least 3"),
    ('- id: goed-id\n  questions: [\"Mag ik dit vragen?\", \"Is dit toegestaan?\", \"Kan dat zomaar?\"]\n  answer: Nee.\n',
     "20-600"),
    ('- id: goed-id\n  roles: [baas]\n  questions: [\"Mag ik dit vragen?\", \"Is dit toegestaan?\", \"Kan dat zomaar?\"]\n',
     "unknown roles"),
])
def test_validator_names_the_fault(tmp_path: Path, body, message):
    f = tmp_path / "bad.yaml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(CardError, match=message):
        parse_file(f)

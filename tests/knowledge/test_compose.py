"""The extractive composer: best sentence first, list items with their lead-in, no fragments."""

from __future__ import annotations

from knowledge.compose import clean, compose, is_fragment, units

LIST = ("De leidraad behandelt achtereenvolgens: • in hoofdstuk 1 het begrip casemanager; • in hoofdstuk 2 de "
        "regie over het ziekteverzuimproces; • in hoofdstuk 3 het omgaan met medische gegevens.")
PASSAGE = ("De casemanager legt vast welke afspraken met de werknemer zijn gemaakt. Het eerste contact vindt "
           "binnen een week na de ziekmelding plaats. De bedrijfsarts blijft eindverantwoordelijk voor de "
           "sociaal-medische begeleiding van de werknemer.")


def test_footnote_numbers_glued_to_words_are_removed():
    assert clean("aan werkgever en werknemer.2 Het inschakelen") == "aan werkgever en werknemer. Het inschakelen"
    assert clean("te stellen.4 1Eigen regiemodel") == "te stellen. 1Eigen regiemodel"
    assert "Art.14 lid" in clean("volgens Art.14 lid 1")  # an article number stays


def test_a_list_item_comes_with_its_lead_in():
    items = [u for u in units(LIST) if u.lead]
    assert len(items) == 3
    assert all(u.text.startswith("De leidraad behandelt achtereenvolgens:") for u in items)


def test_fragments_are_not_quotable():
    frags = [u for u in units("1Eigen regiemodel: hiervoor bestaat geen definitie. en normen. Kort.")]
    assert all(is_fragment(u) for u in frags)


def test_the_best_sentence_is_the_first_line():
    comp = compose("Wanneer vindt het eerste contact na de ziekmelding plaats?", [(PASSAGE, 0)])
    assert comp is not None
    assert comp.first.startswith("Het eerste contact vindt binnen een week") and comp.first.endswith("[1]")
    assert comp.quotes and "binnen een week" in comp.quotes[0].text


def test_no_sentence_without_a_content_word_of_the_question():
    comp = compose("Wanneer vindt het eerste contact na de ziekmelding plaats?", [(PASSAGE, 0)])
    for line in [comp.first, *comp.support]:
        assert any(w in line.lower() for w in ("contact", "ziekmelding", "eerste")), line


def test_list_items_of_one_list_are_one_line():
    comp = compose("Welke hoofdstukken heeft de leidraad?", [(LIST, 0)])
    assert comp.first.count("De leidraad behandelt") == 1 and "hoofdstuk 2" in comp.first


def test_nothing_relevant_gives_none():
    assert compose("pensioenopbouw vakantiegeld", [(PASSAGE, 0)]) is None
    assert compose("", [(PASSAGE, 0)]) is None

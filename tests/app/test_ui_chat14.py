"""Chat rendering (issue 14): verdict first, rule as readable text, source chips with cleaned quotes,
masked-question notices and the consult request to the bedrijfsarts. Pure render functions, no model."""

from __future__ import annotations

import html
import re

import pytest

from app.reply import Citation, Redaction, Reply, RuleRef
from app.ui.chat import (
    HEALTH_NOTICE,
    IDENTIFIER_NOTICE,
    clean_quote,
    escalation_request,
    masked_notices,
    parse_refusal,
    render_chips,
    render_reply,
    short_title,
)
from guardrails.types import Action, Decision, Evidence

REASON = ("Als werkgever of casemanager namens de werkgever mag u niet vragen naar een diagnose of behandeling "
          "door een arts, en die dus ook niet vastleggen. Gezondheidsgegevens zijn het domein van de "
          "bedrijfsarts; alleen de casemanager in taakdelegatie mag de werknemer naar zijn gezondheid vragen.")
ALTERNATIVE = ("Vraag de bedrijfsarts naar de functionele mogelijkheden en beperkingen en de prognose voor "
               "inzetbaarheid; die mag hij met u delen.")
# The shape of prompts/refusals.yaml "block", as `tda ask --role employer` prints it.
REFUSAL_TEXT = (
    "Dit gaat over gezondheidsgegevens van een werknemer. Hier help ik u niet mee: informatie over de "
    "diagnose of wat de werknemer mankeert.\n\n"
    f"Waarom: {REASON}\n"
    "(Regel employer.no_diagnosis_questions; bron 002, NVAB Leidraad Samenwerking bedrijfsarts & casemanager, "
    "regels 795-797.)\n\n"
    f"Wat u wel kunt doen: {ALTERNATIVE}")
MED_REASON = ("Of er sprake is van ziekte, beoordeelt alleen de bedrijfsarts. Het is uitgesloten dat een "
              "leidinggevende of regievoerder dat zelf beoordeelt, en ik geef daar ook geen oordeel over.")
MED_TEXT = (
    "Ik geef geen medisch oordeel; dat is aan de bedrijfsarts. Hier help ik u niet mee: een oordeel over de "
    "vraag of de werknemer echt ziek is.\n\n"
    f"Waarom: {MED_REASON}\n(Regel medical.no_sickness_judgement; bron 004, RSC Standpunt inrichting "
    "verzuimbeleid, regels 606.)\n\n"
    "Wat u wel kunt doen: Twijfelt u aan de ziekmelding, vraag dan de bedrijfsarts om een oordeel.")


def health_refusal(**kw) -> Reply:
    return Reply(decision="refuse", category="health_data", text=REFUSAL_TEXT,
                 rules=[RuleRef("employer.no_diagnosis_questions", REASON, "002", (795, 797))],
                 citations=[Citation("002", "NVAB Leidraad Samenwerking bedrijfsarts & casemanager (herziene "
                                     "versie, ca. 2019)", "3.3", (795, 797), "Bovenstaand impliceert dat")], **kw)


def medical_refusal() -> Reply:
    return Reply(decision="refuse", category="medical_judgement", text=MED_TEXT,
                 rules=[RuleRef("medical.no_sickness_judgement", MED_REASON, "004", (606, 606))])


def content(reply, role="employer") -> str:
    msgs = render_reply(reply, 12.0, role)
    assert len(msgs) == 1 and msgs[0]["role"] == "assistant"
    return msgs[0]["content"]


def visible(md: str) -> str:
    """Roughly what the user reads: tags and Markdown marks removed."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>|\*\*", " ", md)).strip())


# -- verdict -----------------------------------------------------------------------------------

def test_refusal_verdict_is_the_first_line():
    text = content(health_refusal())
    shown = visible(text)
    assert shown.startswith("GEWEIGERD · gezondheidsgegevens Nee, dat doe ik niet: informatie over de diagnose")
    first_para = text.split("\n\n")[1]
    assert first_para.startswith("**Nee, dat doe ik niet:**")


def test_refusal_reason_is_shown_once_with_rule_as_text_and_alternative():
    shown = visible(content(health_refusal()))
    assert shown.count("mag u niet vragen naar een diagnose") == 1
    assert shown.count("Hier help ik u niet mee") == 0
    assert "Regel: Als werkgever" in shown
    assert "bron: NVAB Leidraad bedrijfsarts & casemanager, regels 795–797" in shown
    assert "Wat u wel kunt doen: " + ALTERNATIVE in shown
    assert shown.index("Nee, dat doe ik niet") < shown.index("Regel:") < shown.index("Wat u wel kunt doen")


@pytest.mark.parametrize("reply", [health_refusal(), medical_refusal()])
def test_no_rule_code_in_the_chat_text(reply):
    shown = content(reply, "casemanager")
    assert "employer.no_diagnosis_questions" not in shown and "medical.no_sickness_judgement" not in shown
    assert not re.search(r"\b[a-z_]+\.[a-z0-9_]+_[a-z0-9_]+\b", visible(shown))


def test_parse_refusal_parts():
    parts = parse_refusal(REFUSAL_TEXT)
    assert parts == {"intro": "Dit gaat over gezondheidsgegevens van een werknemer.",
                     "declined": "informatie over de diagnose of wat de werknemer mankeert",
                     "alternative": ALTERNATIVE}
    assert parse_refusal("Een gewoon antwoord. [1]") is None


def test_refusal_of_another_shape_keeps_reason_once():
    reason = "De controle kon niet worden uitgevoerd."
    reply = Reply(decision="refuse", category="out_of_scope",
                  text=f"{reason}\n\nWat u wel kunt doen: Probeer het later opnieuw.",
                  rules=[RuleRef("system.rail_error", reason, "001", (1, 2))])
    shown = visible(content(reply))
    assert shown.count(reason) == 1 and "Nee, dat doe ik niet" in shown
    assert "Wat u wel kunt doen: Probeer het later opnieuw." in shown and "system.rail_error" not in shown


def test_answer_with_declined_part_shows_rule_once_without_code():
    reason = "Een diagnose deel ik niet."
    reply = Reply(decision="answer", text=(
        "Bel de werknemer. [1]\n\nEen deel van uw vraag laat ik weg: de diagnose.\n\nWaarom: " + reason +
        "\n(Regel employer.no_diagnosis_questions; bron 002, NVAB Leidraad, regels 795-797.)\n\nWat wel kan: Vraag "
        "de bedrijfsarts."), rules=[RuleRef("employer.no_diagnosis_questions", reason, "002", (795, 797))])
    text = content(reply)
    assert text.startswith("Bel de werknemer.")
    assert visible(text).count(reason) == 1 and "employer.no_" not in text and "GEWEIGERD" not in text


def test_not_found_header_first():
    assert visible(content(Reply(decision="not_found", text="Niets gevonden."))).startswith(
        "NIET GEVONDEN in de bronnen Niets gevonden.")


# -- source chips ------------------------------------------------------------------------------

def test_chips_are_details_with_short_title_lines_and_cleaned_quote():
    cites = [Citation("002", "NVAB Leidraad Samenwerking bedrijfsarts & casemanager (herziene versie, ca. 2019)",
                      "3.3", (782, 801), "4 1Eigen regiemodel voor de werknemer.2 De rest"),
             Citation("009", "Een onbekend document met een bijzonder lange titel (2020)", "", (5, 5), "")]
    html_ = render_chips(cites)
    assert html_.count("<details class=\"tda-chip\">") == 2
    assert "<summary>[1] NVAB Leidraad bedrijfsarts &amp; casemanager · regels 782–801</summary>" in html_
    assert "<blockquote>Eigen regiemodel voor de werknemer. De rest</blockquote>" in html_
    assert "§3.3" in html_ and "(herziene versie, ca. 2019)" in html_   # full title inside the chip
    assert "[2] Een onbekend document met een bijzonder…" in html_ and "(geen citaat)" in html_
    assert render_chips([]) == ""


def test_chip_quote_escapes_html_and_keeps_placeholders_visible():
    html_ = render_chips([Citation("002", "Leidraad", "", (1, 2), "bel <PERSON> <script>x</script>")])
    assert "&lt;PERSON&gt;" in html_ and "<script>" not in html_


def test_short_title_from_manifest_and_fallback():
    assert short_title("004") == "RSC Standpunt verzuimbeleid"
    assert short_title("x", "Kort (2019)") == "Kort"
    assert short_title("x", "") == "bron x"


# fmt: off
@pytest.mark.parametrize("raw, clean", [
    # _LEADING_DEBRIS_RE: page/footnote numbers glued before the first word
    ("4 1Eigen regiemodel", "Eigen regiemodel"),
    ("12Casemanagement is", "Casemanagement is"),
    ("2.2 Casemanagement in taakdelegatie", "2.2 Casemanagement in taakdelegatie"),   # section number kept
    ("3 Het terugkoppelen", "3 Het terugkoppelen"),                                   # list number kept
    # _FOOTNOTE_AFTER_MARK_RE: a footnote number after a sentence mark
    ("aan de werknemer.2 De werkgever", "aan de werknemer. De werkgever"),
    ("taken delegeren;33 de arts", "taken delegeren; de arts"),
    ("de bedrijfsarts.14", "de bedrijfsarts."),
    ("artikel 7.2 van de wet", "artikel 7.2 van de wet"),                           # a number stays
    ("versie 1.0, 2019", "versie 1.0, 2019"),
    # _FOOTNOTE_GLUED_RE: a footnote number glued to a lower-case word
    ("door artsen14 en casemanagers", "door artsen en casemanagers"),
    ("Taakdelegatie2, zie", "Taakdelegatie, zie"),
    ("COVID19 en 2a", "COVID19 en 2a"),                                              # not lower-case / short
    ("Wet verbetering poortwachter 2002", "Wet verbetering poortwachter 2002"),
    # spaces
    ("  twee   spaties ", "twee spaties"),
    ("", ""),
])
# fmt: on
def test_clean_quote_examples(raw, clean):
    assert clean_quote(raw) == clean


# -- masked question ---------------------------------------------------------------------------

def test_masked_notice_for_health_and_identifiers_never_echoes_the_value():
    question = "Collega Jan de Vries (BSN 123456782) zegt dat hij overspannen is"
    reply = Reply(decision="answer", text="Antwoord. [1]",
                  redactions=[Redaction("PERSON", 8, 20), Redaction("NL_BSN", 26, 35),
                              Redaction("HEALTH_DATA/mental_health", 52, 63)])
    text = content(reply)
    assert HEALTH_NOTICE in visible(text) and IDENTIFIER_NOTICE in visible(text)
    for value in ("Jan de Vries", "123456782", "overspannen"):
        assert value not in text
    assert question[:10] not in text


def test_masked_notice_from_a_health_decision_for_an_employer():
    d = Decision(rail="input.health", action=Action.REDACT, rule_id="health.redact_input",
                 evidence=(Evidence(0, 5, "mental_health"),))
    reply = Reply(decision="answer", text="Antwoord.", decisions=[d])
    assert masked_notices(reply, "employer") == [HEALTH_NOTICE]
    as_dict = Reply(decision="answer", text="x", decisions=[d.to_dict()])
    assert masked_notices(as_dict, "employer") == [HEALTH_NOTICE]


def test_no_masked_notice_without_masking():
    allow = Decision(rail="input.health", action=Action.ALLOW, rule_id="health.casemanager_log_only")
    reply = Reply(decision="answer", text="Antwoord.", decisions=[allow])
    assert masked_notices(reply, "casemanager") == []
    assert "tda-masked" not in content(reply, "casemanager")


# -- escalation to the bedrijfsarts ----------------------------------------------------------------

def test_escalation_for_casemanager_medical_refusal_is_pii_free():
    message = "Kun jij beoordelen of Piet Bakker met zijn rugklachten en hernia echt ziek is? BSN 123456782"
    reply = medical_refusal()
    text = escalation_request(reply, "casemanager")
    assert text.startswith("Verzoek om beoordeling door de bedrijfsarts")
    assert "vraag van de werknemer over een medische kwestie" in text
    assert "Of er sprake is van ziekte, beoordeelt alleen de bedrijfsarts." in text
    assert "medical.no_sickness_judgement" not in text
    template_words = set(re.findall(r"\w+", escalation_request(medical_refusal(), "casemanager").lower()))
    for word in re.findall(r"\w{4,}", message.lower()):
        if word not in {"beoordelen", "echt", "ziek"}:   # general words the template itself may use
            assert word not in template_words, word
    for value in ("Piet", "Bakker", "rugklachten", "hernia", "123456782"):
        assert value not in text
    shown = content(reply, "casemanager")
    assert "```text\nVerzoek om beoordeling door de bedrijfsarts" in shown and "Voorleggen aan de bedrijfsarts" in shown


def test_escalation_outside_delegation_and_only_for_casemanager():
    reply = Reply(decision="refuse", category="outside_delegation",
                  text="Dit valt buiten de taakdelegatie of buiten uw rol. Hier help ik u niet mee: een diagnose stellen.",
                  rules=[RuleRef("delegation.no_diagnosis", "Een diagnose stellen is voorbehouden aan de arts.",
                                 "000", (10, 12))])
    assert "buiten mijn taakdelegatie" in escalation_request(reply, "casemanager")
    assert escalation_request(reply, "employer") is None
    assert escalation_request(health_refusal(), "casemanager") is None
    assert escalation_request(Reply(decision="answer", text="x", category=None), "casemanager") is None
    assert "tda-escalation" not in content(reply, "employer")


def test_reply_ends_with_timing():
    assert "antwoordtijd 12 ms" in content(Reply(decision="answer", text="Ja. [1]"))

"""The turn as steps over one typed state (app/turn), with stand-in services so each step's
contract is visible: the order of the steps, ending the turn, typed decisions, and passages that
carry their own text (a passage withheld by the retrieval rail takes no citation with it)."""

from __future__ import annotations

from types import SimpleNamespace

from app.reply import Reply
from app.turn import NOT_FOUND_TEXT, TurnPipeline, TurnState
from guardrails.types import Action, Category, Decision, RuleRef, Verdict
from knowledge.retrieval import Passage

SETTINGS = SimpleNamespace(max_input_chars=4000, top_k=5, not_found_threshold=0.3, card_threshold=1.25)


def passage(source: str, text: str, lines=(10, 12)) -> Passage:
    return Passage(chunk_index=0, source=source, title=f"Bron {source}", section="1", heading="Kop", lines=lines,
                   text=text, score=1.0, bm25=1.0, dense=1.0, coverage=1.0)


class Rails:
    """Stand-in guardrails: blocks messages with 'diagnose', withholds passages with 'GEHEIM'."""

    def __init__(self):
        self.output_calls = []

    def check_input(self, text, ctx):
        if "diagnose" in text:
            d = Decision(rail="input.intent", action=Action.BLOCK, rule_id="medical.no_diagnosis",
                         reason="Geen diagnose.", category=Category.MEDICAL_JUDGEMENT)
            return Verdict(text=text, decisions=(d,))
        return Verdict(text=text, decisions=(Decision(rail="input.intent", action=Action.ALLOW),))

    def check_retrieval(self, passages, ctx):
        return [dict(p) for p in passages if "GEHEIM" not in p["text"]]

    def check_output(self, text, ctx, *, origin="llm", cites=(), user_text=""):
        self.output_calls.append((origin, tuple(cites)))
        return Verdict(text=text, decisions=(Decision(rail="output.citation", action=Action.ALLOW),))

    def refusal(self, verdict, ctx):
        return "Dat doe ik niet.", [RuleRef("medical.no_diagnosis", "Geen diagnose.", "", (0, 0))]


class Retriever:
    def __init__(self, passages):
        self.passages = passages

    def search(self, query, k=5):
        return list(self.passages)[:k]

    def confidence(self, query, passages):
        return 0.9


def pipeline(passages, rails=None):
    return TurnPipeline(SETTINGS, rails or Rails(), Retriever(passages), rules=lambda ids: [])


def test_the_steps_run_in_the_documented_order():
    p = pipeline([])
    assert [step.__name__ for step, _ in p.steps] == [
        "clean", "input_rails", "route", "retrieve", "retrieval_rails", "compose", "output_rails"]


def test_an_answer_cites_only_the_passages_that_passed_the_retrieval_rail():
    withheld = passage("000", "GEHEIM De werkgever mag vragen naar de verwachte duur van het verzuim.", (1, 2))
    kept = passage("003", "De werkgever mag vragen naar de verwachte duur van het verzuim en de bereikbaarheid.",
                   (40, 41))
    reply = pipeline([withheld, kept]).run(TurnState(message="Mag de werkgever vragen naar de verwachte duur?",
                                                     role="employer"))
    assert isinstance(reply, Reply) and reply.decision == "answer"
    assert [c.source for c in reply.citations] == ["003"]
    assert all("GEHEIM" not in c.quote for c in reply.citations)
    assert reply.citations[0].lines == (40, 41)


def test_a_refusal_ends_the_turn_before_retrieval():
    calls = []

    class Spy(Retriever):
        def search(self, query, k=5):
            calls.append(query)
            return []

    p = TurnPipeline(SETTINGS, Rails(), Spy([]), rules=lambda ids: [])
    reply = p.run(TurnState(message="Wat is zijn diagnose?", role="employer"))
    assert reply.decision == "refuse" and reply.category == "medical_judgement"
    assert [r.id for r in reply.rules] == ["medical.no_diagnosis"]
    assert calls == []


def test_decisions_stay_typed_until_the_reply_is_serialised():
    reply = pipeline([passage("002", "De casemanager bespreekt de verwachte duur van het verzuim.")]).run(
        TurnState(message="Wat bespreekt de casemanager over de duur van het verzuim?", role="casemanager"))
    assert all(isinstance(d, Decision) for d in reply.decisions)
    rails = [d["rail"] for d in reply.to_full_dict()["decisions"]]
    assert "retrieval.confidence" in rails
    assert "decisions" not in reply.to_dict()  # the contract is unchanged


def test_quotes_are_checked_as_source_text_citing_their_own_document():
    rails = Rails()
    reply = pipeline([passage("004", "De werknemer meldt zich ziek bij de werkgever op de eerste dag.")], rails).run(
        TurnState(message="Wanneer meldt de werknemer zich ziek bij de werkgever?", role="casemanager"))
    assert reply.decision == "answer"
    assert ("source", ("004",)) in rails.output_calls


def test_unreadable_input_is_refused_in_the_clean_step():
    reply = pipeline([]).run(TurnState(message=b"\x00\x01", role="casemanager"))
    assert reply.decision == "refuse"
    assert reply.decisions[0].rail == "input.clean" and reply.decisions[0].action is Action.BLOCK


def test_nothing_retrieved_is_not_found():
    reply = pipeline([]).run(TurnState(message="Hoe lang duurt een wachttijd bij de huisarts?", role="casemanager"))
    assert reply.decision == "not_found" and reply.text == NOT_FOUND_TEXT

"""The intent corpus: schema, coverage of the policy, sizes and the stable split."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from guardrails.intent.corpus import (
    ALLOW_INTENTS,
    INTENT_DIR,
    ROLES,
    load_corpus,
    load_intent_file,
    split_of,
)
from guardrails.policy import Policy


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def policy():
    return Policy.load()


def test_every_intent_file_validates():
    files = sorted(INTENT_DIR.glob("*.yaml"))
    assert len(files) >= 25
    for f in files:
        spec = load_intent_file(f)
        assert spec.id == f.stem


def test_allow_intents_exist(corpus):
    for iid in ALLOW_INTENTS:
        assert iid in corpus.intents and corpus.intents[iid].decision == "allow"


def test_refusal_intents_cite_existing_rules_of_their_category(corpus, policy):
    for iid, spec in corpus.intents.items():
        if spec.decision != "refuse":
            continue
        for rule_id in [*spec.rules, *spec.role_rules.values()]:
            rule = policy.rule(rule_id)  # KeyError when missing
            assert rule.category is not None and rule.category.value == spec.category, (iid, rule_id)


def test_every_refusal_category_has_intents(corpus):
    cats = {s.category for s in corpus.intents.values() if s.decision == "refuse"}
    assert cats == {"medical_judgement", "outside_delegation", "health_data", "out_of_scope", "prompt_injection"}


def test_sizes(corpus):
    assert len(corpus.examples) >= 4000
    for iid, spec in corpus.intents.items():
        if spec.decision == "refuse":
            assert len(spec.examples) >= 60, iid
            assert len(spec.counter_examples) >= 20, iid
    multi = [e for e in corpus.examples if e.history]
    assert len(multi) >= 300
    roles = Counter(e.role for e in corpus.examples)
    assert all(roles[r] >= 150 for r in ROLES), roles


def test_examples_use_only_roles_of_their_intent(corpus):
    for e in corpus.examples:
        if e.source.endswith(":examples"):
            assert e.role in corpus.intents[e.intent].roles, (e.intent, e.role, e.text)


def test_split_is_stable_and_about_twenty_percent(corpus):
    # fixed by the hash: a change of the split function would silently move test messages into training
    assert split_of("Hoe lang duurt een hernia gemiddeld?") == split_of("  hoe lang duurt een HERNIA gemiddeld? ")
    share = sum(e.split == "test" for e in corpus.examples) / len(corpus.examples)
    assert 0.17 <= share <= 0.23
    for e in corpus.examples:
        assert e.split == split_of(e.joined)


def test_a_message_has_one_decision_per_role(corpus):
    seen = {}
    for e in corpus.examples:
        key = (e.joined.lower(), e.role)
        assert seen.setdefault(key, e.decision) == e.decision, e.joined


def test_conflicting_labels_are_rejected(tmp_path):
    body = {"id": "a_refuse", "decision": "refuse", "category": "medical_judgement", "rules": ["medical.no_diagnosis"],
            "roles": ["employer"], "description": "x", "examples": ["Wat heeft hij?"],
            "counter_examples": [{"text": "Wat heeft hij?", "intent": "permission_question"}]}
    (tmp_path / "a_refuse.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    with pytest.raises(ValueError, match="both allow and refuse"):
        load_corpus(tmp_path)


@pytest.mark.parametrize("bad, message", [
    ({"decision": "refuse"}, "category"),
    ({"examples": [{"turns": ["alleen een"]}]}, "two user messages"),
    ({"examples": [""]}, "empty"),
    ({"unknown_key": 1}, "Extra inputs"),
    ({"counter_examples": [{"text": "ok", "intent": "no_such_intent"}]}, "not an allow intent"),
])
def test_schema_errors_are_reported(tmp_path, bad, message):
    body = {"id": "x_intent", "decision": "allow", "roles": ["employer"], "description": "x", "examples": ["Hallo"]}
    body.update(bad)
    if bad.get("decision") == "refuse":
        body.pop("category", None)
    (tmp_path / "x_intent.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_corpus(tmp_path)


def test_trainer_adds_an_example_and_a_counter_example(tmp_path):
    import shutil

    from guardrails.intent.corpus import add_example

    for f in INTENT_DIR.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    before = load_corpus(tmp_path)
    split = add_example("medical_prognosis", "Hoe snel is iemand van een gescheurde meniscus af?", role="employer",
                        directory=tmp_path)
    assert split in ("train", "test")
    add_example("medical_prognosis", "Mag ik vragen hoe lang hij verwacht weg te blijven?", role="employer",
                counter_intent="permission_question", directory=tmp_path)
    after = load_corpus(tmp_path)
    assert len(after.examples) == len(before.examples) + 2
    assert after.fingerprint() != before.fingerprint()
    with pytest.raises(ValueError, match="al in de intentie"):
        add_example("medical_prognosis", "Hoe snel is iemand van een gescheurde meniscus af?", role="employer",
                    directory=tmp_path)
    with pytest.raises(ValueError, match="onbekende intentie"):
        add_example("no_such_intent", "tekst", directory=tmp_path)
    with pytest.raises(ValueError, match="leeg"):
        add_example("medical_prognosis", "   ", directory=tmp_path)
    with pytest.raises(ValueError, match="geldt niet"):
        add_example("employer_team_overview", "Maak een lijst van de ziekteoorzaken", role="casemanager",
                    directory=tmp_path)
    # a message that would get two decisions is refused and the file is left as it was
    content = (tmp_path / "medical_prognosis.yaml").read_bytes()
    with pytest.raises(ValueError):
        add_example("medical_prognosis", "Mag ik vragen hoe lang hij verwacht weg te blijven?", role="employer",
                    directory=tmp_path)
    assert (tmp_path / "medical_prognosis.yaml").read_bytes() == content

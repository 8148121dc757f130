"""The question corpus: schema, coverage of every passage, a stable split, and no test question indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.corpus_map import QuestionMap, question_entries, targets_for
from knowledge.documents import build_chunks
from knowledge.questions import CorpusError, fold_of, load_questions, normalise, parse_file, split_of


@pytest.fixture(scope="module")
def questions():
    return load_questions()


@pytest.fixture(scope="module")
def chunks():
    return [c for c in build_chunks(target=500, maximum=1000) if not c.id.startswith("card")]


def test_corpus_is_large_and_split_80_20(questions):
    assert len(questions) >= 3000
    test_share = sum(q.split == "test" for q in questions) / len(questions)
    assert 0.17 <= test_share <= 0.23


def test_split_is_a_pure_function_of_the_text():
    q = "Wat moet ik de werknemer vertellen bij het eerste contact?"
    assert split_of(q) == split_of("  wat moet ik de werknemer VERTELLEN bij het eerste contact?  ")
    assert split_of(q) in ("train", "test") and fold_of(q) in ("fit", "dev")
    assert normalise("Één  Twee") == "een twee"


def test_no_duplicate_questions(questions):
    keys = [normalise(q.text) for q in questions]
    assert len(keys) == len(set(keys))


def test_every_passage_with_content_has_questions(questions, chunks):
    """Each source chunk of more than a heading is the target of at least one question."""
    covered = set()
    for q in questions:
        covered.update(targets_for(chunks, q.ranges))
    missing = [c.id for i, c in enumerate(chunks) if i not in covered and len(c.text) >= 200]
    assert len(missing) <= 0.02 * len(chunks), missing


def test_most_passages_have_five_questions(questions):
    per_range: dict = {}
    for q in questions:
        per_range[(q.doc, q.start, q.end)] = per_range.get((q.doc, q.start, q.end), 0) + 1
    share = sum(n >= 5 for n in per_range.values()) / len(per_range)
    assert share >= 0.9, share


def test_only_train_questions_are_indexed(chunks):
    entries = question_entries(chunks)
    test_texts = {normalise(q.text) for q in load_questions(split="test")}
    assert entries and not any(normalise(e["text"]) in test_texts for e in entries)


def test_embedding_training_uses_only_the_fit_fold():
    qmap = QuestionMap.build()
    pairs = qmap.train_targets()
    assert pairs and all(split_of(q) == "train" and fold_of(q) == "fit" for q, _ in pairs)


@pytest.mark.parametrize("body,message", [
    ('- doc: "009"\n  lines: 1-2\n  questions: ["Wat is een casemanager?"]\n', "unknown doc"),
    ('- doc: "000"\n  lines: 99999-99999\n  questions: ["Wat is een casemanager?"]\n', "outside doc"),
    ('- doc: "000"\n  lines: 5\n  questions: ["Wat is een casemanager?"]\n', "lines must"),
    ('- doc: "000"\n  lines: 1-2\n  questions: []\n', "non-empty"),
    ('- doc: "000"\n  lines: 1-2\n  vragen: ["x"]\n', "expected keys"),
    ('[unclosed', "not valid YAML"),
])
def test_validator_names_the_fault(tmp_path: Path, body, message):
    f = tmp_path / "bad.yaml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        parse_file(f)

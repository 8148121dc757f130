"""Retrieval: a table of questions and the passage they must return; persistence; Chroma server mode."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.settings import load_settings
from knowledge.index import KnowledgeIndex
from knowledge.retrieval import HybridRetriever

# (question, doc, first line, last line): a top-5 passage of that doc must overlap these lines.
# fmt: off
RETRIEVAL_TABLE = [
    ("Wat moet ik de werknemer vertellen over mijn positie als casemanager in taakdelegatie?", "000", 172, 196),
    ("Mag een casemanager in taakdelegatie ook de verzuimregie namens de werkgever doen?", "000", 278, 298),
    ("Welke informatie vraag ik uit bij de triage na een ziekmelding?", "001", 251, 280),
    ("Wie stelt de probleemanalyse op?", "001", 286, 290),
    ("Hoeveel studiepunten permanente educatie zijn verplicht?", "001", 907, 920),
    ("Wat mag de werkgever vragen bij de ziekmelding?", "002", 782, 801),
    ("Welke taken kan de bedrijfsarts niet delegeren?", "002", 1344, 1376),
    ("Mag de casemanager van de werkgever doorverwijzen naar een fysiotherapeut?", "002", 579, 604),
    ("Wat is het verschil tussen delegeren en verwijzen?", "002", 145, 152),
    ("Wie heeft toegang tot het bedrijfsgeneeskundig dossier?", "002", 626, 681),
    ("Wat is het verschil tussen opschorten en schorsen van een WGA-uitkering?", "003", 1649, 1663),
    ("Mag ik als casemanager werkgeversregie de werknemer vragen naar zijn gezondheid?", "003", 425, 437),
    ("Wat zijn de drie kernrollen bij verzuim?", "004", 522, 644),
]
# fmt: on


@pytest.fixture(scope="session")
def index(settings):
    return KnowledgeIndex.load_or_build(settings)


@pytest.fixture(scope="session")
def retriever(index, settings):
    return HybridRetriever(index, settings)


@pytest.mark.parametrize("question,doc,first,last", RETRIEVAL_TABLE, ids=[r[0][:40] for r in RETRIEVAL_TABLE])
def test_question_returns_its_passage(retriever, question, doc, first, last):
    passages = retriever.search(question, k=5)
    assert passages, "no passages"
    assert any(p.source == doc and p.lines[0] <= last and p.lines[1] >= first for p in passages), [
        (p.source, p.lines) for p in passages
    ]


def test_passages_carry_source_lines_and_text(retriever):
    for p in retriever.search("taakdelegatie bedrijfsarts toezicht", k=5):
        assert p.source in {"000", "001", "002", "003", "004"}
        assert p.lines[0] <= p.lines[1]
        assert p.text and p.title
        d = p.to_dict()
        assert set(d) >= {"source", "section", "lines", "text", "score"}


def test_hybrid_uses_both_retrievers(retriever):
    q = "Welke vragen mag de werkgever stellen bij de ziekmelding?"
    bm = retriever.search(q, k=5, mode="bm25")
    de = retriever.search(q, k=5, mode="dense")
    assert bm and de
    assert any(p.dense > 0 for p in retriever.search(q, k=5))


def test_empty_query_returns_nothing(retriever):
    assert retriever.search("   ", k=5) == []


def test_confidence_separates_covered_from_uncovered(retriever):
    covered = "Wat mag de werkgever vragen bij de ziekmelding?"
    uncovered = "Wat is het recept voor appeltaart met kaneel?"
    c1 = retriever.confidence(covered, retriever.search(covered, k=5))
    c2 = retriever.confidence(uncovered, retriever.search(uncovered, k=5))
    assert c1 > c2


# ---- persistence -------------------------------------------------------------------------------

def test_second_start_reuses_the_index(index, settings):
    t = time.perf_counter()
    again = KnowledgeIndex.load_or_build(settings)
    assert again.notices == []
    assert len(again.chunks) == len(index.chunks)
    meta = json.loads(KnowledgeIndex.meta_path(settings).read_text())
    assert meta["chunks"] == len(index.chunks)
    assert time.perf_counter() - t < meta["build_seconds"] + 60  # informative only: reuse, no rebuild


@pytest.mark.slow
def test_changed_setting_and_corrupt_index_rebuild(tmp_path):
    s1 = load_settings(data_dir=tmp_path)
    first = KnowledgeIndex.load_or_build(s1)
    assert any("nog geen kennisindex" in n for n in first.notices)
    # a changed setting that shapes the index -> rebuilt with a notice
    s2 = load_settings(data_dir=tmp_path, collection="tda_other")
    second = KnowledgeIndex.load_or_build(s2)
    assert any("gewijzigd" in n for n in second.notices)
    assert second.collection.count() == len(second.chunks)
    # a corrupt meta file -> rebuilt with a notice, nothing crashes
    KnowledgeIndex.meta_path(s2).write_text("{not json", encoding="utf-8")
    third = KnowledgeIndex.load_or_build(s2)
    assert any("beschadigd" in n for n in third.notices)
    assert HybridRetriever(third, s2).search("probleemanalyse", k=3)


# ---- Chroma client-server mode -----------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_retrieval_through_a_local_chroma_server(tmp_path):
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.skip("chroma CLI not installed")
    port = _free_port()
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        settings = load_settings(data_dir=tmp_path / "data", chroma_mode="http", chroma_port=port)
        index = KnowledgeIndex.load_or_build(settings)
        assert index.collection.count() == len(index.chunks)
        passages = HybridRetriever(index, settings).search("Wat mag de werkgever vragen bij de ziekmelding?", k=5)
        assert any(p.source == "002" and p.lines[0] <= 801 and p.lines[1] >= 782 for p in passages)
        # a second start against the server reuses the collection
        assert KnowledgeIndex.load_or_build(settings).notices == []
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.parametrize("question", [
    "Wanneer moet de eerstejaarsevaluatie plaatsvinden?",
    "Hoeveel vakantiedagen bouwt een zieke werknemer op?",
    "Wat is de opzegtermijn als een zieke werknemer zelf ontslag neemt?",
])
def test_known_gaps_of_the_sources_have_no_coverage(retriever, question):
    assert retriever.confidence(question, retriever.search(question, k=5)) == 0.0


@pytest.mark.parametrize("question", [
    "Hoe lang mag ik een WGA-uitkering opschorten of schorsen?",   # 003 covers opschorten of a benefit
    "Wat mag de werkgever vragen bij de ziekmelding?",
])
def test_gap_patterns_do_not_swallow_covered_questions(retriever, question):
    assert retriever.confidence(question, retriever.search(question, k=5)) > 0.3


def test_langchain_retriever_returns_cited_documents(retriever):
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    from knowledge.lc_retriever import TdaRetriever, to_passage_dict

    lc = TdaRetriever(retriever=retriever, k=3)
    assert isinstance(lc, BaseRetriever)
    docs = lc.invoke("Wat moet ik de werknemer vertellen over mijn positie als casemanager in taakdelegatie?")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    assert {"source", "title", "section", "lines", "score"} <= set(docs[0].metadata)
    assert docs[0].page_content and to_passage_dict(docs[0])["text"] == docs[0].page_content


def test_question_index_finds_a_passage_in_users_words(retriever):
    """The question index: the train questions point at their passages (a signal of its own)."""
    sig = retriever.signals("mag ik als leidinggevende vragen wat hij precies heeft", "all")
    assert sig["qdense"].max() > 0.5 and sig["qbm25"].max() > 0


def test_every_retrieval_mode_runs(retriever):
    from knowledge.retrieval import MODES

    for mode in MODES:
        assert retriever.search("eerste contact na ziekmelding", k=3, mode=mode), mode
    with pytest.raises(ValueError):
        retriever.search("x", mode="nonsense")

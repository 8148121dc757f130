"""Section-aware chunking: articles, tables kept whole, provenance on every chunk."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest

from knowledge.documents import SourceError, build_chunks, load_cards, load_manifest, read_source
from knowledge.index import CHUNK_MAX, CHUNK_TARGET


@lru_cache(maxsize=1)
def chunks():
    return build_chunks(target=CHUNK_TARGET, maximum=CHUNK_MAX)


def doc_chunks(doc):
    return [c for c in chunks() if c.source == doc and not c.id.startswith("card-")]


def test_every_chunk_has_source_section_and_lines():
    ids = set()
    n_lines = {d.id: len(read_source(d).split("\n")) for d in load_manifest().documents}
    for c in chunks():
        assert c.id not in ids
        ids.add(c.id)
        assert c.source in n_lines
        assert c.section and c.heading and c.title
        assert 1 <= c.line_start <= c.line_end <= n_lines[c.source]
        assert len(c.text) >= 80 or "." in c.section
        assert c.heading in c.index_text


def test_each_article_of_000_is_its_own_chunk():
    articles = {}
    for c in doc_chunks("000"):
        articles.setdefault(c.section, []).append(c)
    expected = ["1.1", "1.8", "2.1", "3.4", "4.1", "6.2", "7.1", "8.5", "9.4", "10.2"]
    for art in expected:
        assert art in articles, art
    # no chunk mixes two articles: each chunk's text starts inside its own article
    for art, cs in articles.items():
        if "." in art and len(cs) == 1:
            assert cs[0].text.startswith(art), (art, cs[0].text[:30])
    assert len([a for a in articles if "." in a]) == 44


def test_article_34_holds_all_four_disclosures():
    (c,) = [c for c in doc_chunks("000") if c.section == "3.4"]
    for phrase in ("niet de bedrijfsarts is", "verantwoordelijkheidsverdeling", "vertrouwelijkheid",
                   "bedrijfsarts desgewenst"):
        assert phrase in c.text


def test_bijlage_4_delegation_table_is_intact():
    (c,) = [c for c in doc_chunks("002") if c.section == "Bijlage 4"]
    assert c.line_start <= 1344 and c.line_end >= 1376
    for task in ("Medische anamnese afnemen", "Eindoordeel geven over de belastbaarheid",
                 "Verwijzen voor nader medisch onderzoek", "Prognose beperkingen", "Probleemanalyse opstellen",
                 "Deelnemen aan het SMO"):
        assert task in c.text, task


def test_001_questions_and_002_sections_are_detected():
    sections_001 = {c.section for c in doc_chunks("001")}
    assert {"1", "2", "3", "4", "5", "6", "7", "8"} <= {s[0] for s in sections_001}
    sections_002 = {c.section for c in doc_chunks("002")}
    assert {"1.1", "2.3.1", "3.3", "3.4", "Bijlage 3", "Bijlage 4", "Bijlage 5"} <= sections_002


def test_what_may_be_asked_list_is_one_passage():
    hits = [c for c in doc_chunks("002") if c.line_start <= 782 <= c.line_end]
    assert hits
    assert any("telefoonnummer" in c.text.lower() and "diagnose" in c.text.lower()
               for c in chunks() if c.source == "002" and c.line_start <= 795 <= c.line_end)


def test_003_panels_keep_check_and_cross_marks():
    panels = [c for c in doc_chunks("003") if "Wat kan wel en niet" in c.heading]
    assert len(panels) >= 3
    assert sum(1 for c in panels if "☑" in c.text and "☒" in c.text) >= 3


def test_cards_point_at_real_lines():
    for card in load_cards():
        a, b = card.span
        assert a <= b
    assert len(load_cards()) >= 30


def test_missing_source_names_the_file(tmp_path):
    with pytest.raises(SourceError, match=re.escape("000_3d8b33366fc3e411.txt")):
        build_chunks(sources_dir=tmp_path)


def test_non_utf8_source_names_the_file(tmp_path):
    for d in load_manifest().documents:
        (tmp_path / d.file).write_bytes(read_source(d).encode("utf-8"))
    (tmp_path / "002_f1f6a0dd039d9593.txt").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(SourceError, match="002_f1f6a0dd039d9593.txt"):
        build_chunks(sources_dir=tmp_path)

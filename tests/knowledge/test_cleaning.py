"""Cleaning of PDF artefacts, with a correct map back to original line numbers."""

from __future__ import annotations

import pytest

from knowledge.cleaning import clean_lines, join_lines, lines_for_span, normalise_glyphs
from knowledge.documents import load_manifest, read_source, source_lines


def _clean(doc: str):
    spec = load_manifest().doc(doc)
    return clean_lines(read_source(spec), drop_lines=tuple(spec.drop_lines))


@pytest.mark.parametrize("doc", ["003", "004"])
def test_navigation_blocks_are_gone(doc):
    text = " ".join(line.text for line in _clean(doc))
    assert "Snel naar" not in text
    assert "INHOUD" not in text


def test_running_headers_and_page_numbers_are_gone():
    lines = _clean("001")
    assert not any(line.text.endswith("OPLEIDINGEN/COMPETENTIEPROFIELEN") for line in lines)
    assert not any(line.text.strip().isdigit() for line in _clean("002"))


def test_url_lines_are_dropped_and_sentences_rejoined():
    # 003 splits "WGA-instroom" with footnote URLs (domain notes: 003:88-91)
    lines = _clean("003")
    assert not any(line.text.startswith("http") for line in lines)
    text, _ = join_lines([ln for ln in lines if 80 <= ln.no <= 95])
    assert "http" not in text


def test_hyphenation_across_lines_is_undone():
    lines = [ln for ln in _clean("000") if 172 <= ln.no <= 182]
    text, _ = join_lines(lines)
    assert "casemanager weet" in text or "casemanager" in text
    assert "case- manager" not in text
    assert "case-manager" not in text


def test_glued_footnote_numbers_are_removed():
    text = " ".join(ln.text for ln in _clean("002"))
    assert "artsen14" not in text
    assert "Taakdelegatie2" not in text
    assert "artsen in de verschillende" in text


def test_private_use_glyphs_become_check_and_cross():
    assert normalise_glyphs("\uf0fe\tPassende werkafspraken") == "☑ Passende werkafspraken"
    assert normalise_glyphs("\uf0fd \uf0fd") == "☒ ☒"
    text = " ".join(ln.text for ln in _clean("003"))
    assert "☑" in text and "☒" in text
    assert not any(0xE000 <= ord(c) <= 0xF8FF for c in text)


def test_stray_heading_tails_are_dropped():
    kept = {ln.no for ln in _clean("002")}
    for no in (516, 809, 1167, 1313):
        assert no not in kept


def test_line_map_points_at_the_original_lines():
    lines = _clean("000")
    raw = source_lines("000")
    for ln in lines[:60]:
        # the cleaned text starts with a word of the original line
        first_word = ln.text.split()[0]
        assert first_word.strip("�\uf0fe") in raw[ln.no - 1]
    text, offsets = join_lines([ln for ln in lines if 172 <= ln.no <= 196])
    start = text.index("dat deze niet de bedrijfsarts is")
    first, last = lines_for_span(offsets, start, start + 20)
    assert "dat deze niet de bedrijfsarts is" in raw[first - 1]
    assert first == last


def test_original_files_are_unchanged_copies(tmp_path):
    from pathlib import Path

    shared = Path(__file__).resolve().parents[3] / "shared" / "sources"
    if not shared.is_dir():
        pytest.skip("../shared/sources not present")
    for spec in load_manifest().documents:
        assert (shared / spec.file).read_bytes() == read_source(spec).encode("utf-8")

"""The fast deduce lookup cache must change nothing: deduce finds the same spans with it.

The reference is deduce loaded its own way (its pickle of LookupTries, 8-16 s), compared with
deduce on the flat cache, on 400 sentences of the independent PII benchmark and on sentences
built from the lookup lists themselves (long streets, multi-token institutions, lower-case names).
"""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path

import pytest

from guardrails import deduce_cache
from guardrails.recognizers.deduce_recognizer import PROJECT_DISABLED, _fast_deduce, _import_deduce

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reference():
    _import_deduce()
    from deduce import Deduce

    return Deduce()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("deduce-cache")


@pytest.fixture(scope="module")
def fast(cache_dir, reference):
    deduce_cache.build(cache_dir, reference.lookup_structs)
    structs = deduce_cache.load_lookup_structs(cache_dir, build_missing=False)
    assert structs is not None, "the cache could not be built"
    assert any(isinstance(v, deduce_cache.FlatTrie) for v in structs.values())
    return _fast_deduce(structs)


def _texts(reference) -> list[str]:
    texts = [json.loads(line)["text"] for line in
             (ROOT / "evals" / "pii" / "independent.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(7)
    texts = rng.sample(texts, 400)
    structs = reference.lookup_structs
    for name in ("street", "healthcare_institution", "placename", "hospital", "first_name", "surname",
                 "eponymous_disease"):
        items = deduce_cache._walk(structs[name])
        items.sort()
        for item in rng.sample(items, 20):
            joined = " ".join(item)
            texts.append(f"De werknemer woont aan de {joined} 12 en werkt bij {joined}.")
            texts.append(f"gesprek met {joined.lower()} over {joined}")
    return texts


def _spans(deduce, text: str, disabled):
    doc = deduce.deidentify(text, disabled=disabled)
    return sorted((a.start_char, a.end_char, a.tag) for a in doc.annotations)


def test_fast_cache_annotates_exactly_like_deduce(reference, fast):
    texts = _texts(reference)
    assert len(texts) >= 680
    differ = []
    for text in texts:
        for disabled in (None, set(PROJECT_DISABLED)):
            if _spans(reference, text, disabled) != _spans(fast, text, disabled):
                differ.append(text)
                break
    assert not differ, f"{len(differ)} texts annotated differently, e.g. {differ[:3]}"


def test_trie_lookups_match_on_random_token_runs(reference, fast):
    rng = random.Random(11)
    for name in ("street", "healthcare_institution", "hospital", "first_name", "eponymous_disease"):
        ref, flat = reference.lookup_structs[name], fast.lookup_structs[name]
        assert set(ref.children.keys()) == set(flat.children.keys())
        items = deduce_cache._walk(ref)
        items.sort()
        for item in rng.sample(items, 200):
            run = list(item) + ["extra", "woorden"]
            for start in range(len(run)):
                assert ref.longest_matching_prefix(run, start_i=start) == \
                    flat.longest_matching_prefix(run, start_i=start), (name, run, start)
            assert (list(item) in ref) == (list(item) in flat)
            assert (list(item[:-1]) + ["x"] in ref) == (list(item[:-1]) + ["x"] in flat)
            assert ("".join(item) in ref) == ("".join(item) in flat)  # deduce also tests single strings
            head = ref._apply_matching_pipeline(item[0])
            assert head in flat.children and head in ref.children
        assert flat.longest_matching_prefix([]) is None


def test_stale_cache_is_not_used(tmp_path, fast):
    target = deduce_cache._cache_file(tmp_path)
    stamp = dict(deduce_cache._source_stamp(), deduce="0.0.1")
    target.write_bytes(pickle.dumps({"stamp": stamp, "sets": {}, "tries": {}}))
    assert deduce_cache.load_lookup_structs(tmp_path, build_missing=False) is None


def test_damaged_cache_is_rebuilt(tmp_path, reference, fast, monkeypatch):
    real_build, builds = deduce_cache.build, []

    def build(cache_dir):  # the real build, on the structures already loaded (saves a slow Deduce())
        builds.append(cache_dir)
        return real_build(cache_dir, reference.lookup_structs)

    monkeypatch.setattr(deduce_cache, "build", build)
    target = deduce_cache._cache_file(tmp_path)
    target.write_bytes(b"not a pickle")
    structs = deduce_cache.load_lookup_structs(tmp_path)
    assert builds == [tmp_path]
    assert structs is not None and isinstance(structs["street"], deduce_cache.FlatTrie)
    assert target.stat().st_size > 1_000_000


def test_unwritable_cache_dir_falls_back(tmp_path):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    assert deduce_cache.load_lookup_structs(blocked / "sub") is None


def test_flat_trie_is_read_only(fast):
    with pytest.raises(TypeError):
        fast.lookup_structs["street"].add_item(["Nieuwe", "straat"])

"""The independent PII benchmark generator (evals/pii/independent.py); the detector is not called here."""

from __future__ import annotations

import json
from collections import defaultdict

import phonenumbers
import pytest

from evals.pii import independent as gen


@pytest.fixture(scope="module")
def items():
    return gen.generate()


def _spans(items, entity):
    return [s for item in items for s in item["spans"] if s["entity"] == entity]


def test_deterministic_and_seeded():
    assert gen.generate(n_per_template=3) == gen.generate(n_per_template=3)
    assert gen.generate(seed=1, n_per_template=3) != gen.generate(n_per_template=3)


def test_committed_jsonl_matches_generator(items):
    with gen.DATA.open(encoding="utf-8") as fh:
        committed = [json.loads(line) for line in fh]
    assert committed == items, "regenerate with: python -m evals.pii.independent"


def test_size(items):
    assert 1500 <= len(items) <= 2600
    assert gen.DATA.stat().st_size < 1_500_000
    assert len(gen.TEMPLATES) >= 60 and len(gen.NEGATIVE_TEMPLATES) >= 20
    assert sum(gen.is_negative(i) for i in items) >= 150


def test_spans_match_text(items):
    for item in items:
        for span in item["spans"]:
            assert item["text"][span["start"]:span["end"]] == span["value"], item["id"]
            assert span["value"] == span["value"].strip(), item["id"]
            assert len(span["format"].split("/")) == len(gen.FORMAT_FACETS[span["entity"]]), span


def test_ids_unique(items):
    assert len({i["id"] for i in items}) == len(items)


def test_bsns_pass_elfproef(items):
    spans = _spans(items, "NL_BSN")
    assert spans
    for span in spans:
        digits = "".join(ch for ch in span["value"] if ch.isdigit())
        assert len(digits) == (8 if span["format"].startswith("eight-digits") else 9), span
        assert gen.elfproef(digits), span


def test_elfproef_reference_values():
    assert gen.elfproef("111222333") and gen.elfproef("123456782")
    assert not gen.elfproef("123456789") and not gen.elfproef("000000000")


def test_ibans_pass_mod97(items):
    spans = _spans(items, "IBAN_CODE")
    assert spans
    for span in spans:
        assert gen.iban_valid(span["value"]), span
        assert span["value"].replace(" ", "").replace(".", "").upper()[4:8] in gen.NL_BANK_CODES
    assert gen.iban_valid("NL91ABNA0417164300") and not gen.iban_valid("NL92ABNA0417164300")


def test_phone_numbers_parse_and_are_possible(items):
    spans = _spans(items, "PHONE_NUMBER")
    assert spans
    for span in spans:
        notation, kind, validity = span["format"].split("/")
        number = phonenumbers.parse(span["value"], "NL")
        assert phonenumbers.is_possible_number(number), span
        assert phonenumbers.is_valid_number(number) == (validity == "valid"), span
        if validity == "valid" and "-" not in kind:
            assert gen._type_name(phonenumbers.number_type(number)) == kind, span
            style = {"national": phonenumbers.PhoneNumberFormat.NATIONAL,
                     "international": phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                     "e164": phonenumbers.PhoneNumberFormat.E164}.get(notation)
            if style is not None:  # these notations are exactly libphonenumber's own formatting
                assert phonenumbers.format_number(number, style) == span["value"], span


def test_phone_kinds_and_validity_present(items):
    formats = [s["format"].split("/") for s in _spans(items, "PHONE_NUMBER")]
    assert {"valid", "invalid"} <= {f[2] for f in formats}
    assert {"mobile", "fixed_line", "be-mobile", "de-mobile"} <= {f[1] for f in formats}


def test_names_come_from_deduce_lists(items):
    lists = gen.name_lists()
    first = set(lists.first_names)
    for span in _spans(items, "PERSON"):
        if span["format"].startswith("first-only/cased"):
            assert span["value"] in first


def test_split_by_template(items):
    split_of = defaultdict(set)
    for item in items:
        split_of[item["template"]].add(item["split"])
        assert item["split"] == gen.template_split(item["template"])
    assert all(len(s) == 1 for s in split_of.values())
    assert {i["split"] for i in items} == {"dev", "test"}
    test_share = sum(s == {"test"} for s in split_of.values()) / len(split_of)
    assert 0.2 <= test_share <= 0.4


def test_every_entity_and_primary_format_in_both_splits(items):
    seen = defaultdict(set)
    for item in items:
        for span in item["spans"]:
            seen[(span["entity"], span["format"].split("/")[0])].add(item["split"])
    for entity in gen.FORMAT_FACETS:
        assert any(k[0] == entity for k in seen), entity
    assert [k for k, splits in seen.items() if splits != {"dev", "test"}] == []
    assert {k[1] for k in seen if k[0] == "PHONE_NUMBER"} == set(gen.PHONE_NOTATIONS)


def test_negatives_have_no_spans(items):
    negatives = [i for i in items if gen.is_negative(i)]
    assert negatives and all(not i["spans"] for i in negatives)
    assert {i["split"] for i in negatives} == {"dev", "test"}
    assert all(i["spans"] for i in items if not gen.is_negative(i))

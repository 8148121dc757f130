"""clean_input (safety) and normalize_for_matching (evasion) tables."""

from __future__ import annotations

import pytest

from guardrails.normalize import clean_input, normalize_for_matching, normalize_with_map, span_to_original

# fmt: off
NORMALIZE = [
    ("Burn-Out", "burnout"),                          # case + hyphen between letters
    ("b.u.r.n-o.u.t", "burnout"),                     # letters split by dots and a dash
    ("k a n k e r", "kanker"),                        # letters split by spaces
    ("k4nker", "kanker"),                             # leetspeak
    ("d3pr3ss13", "depressie"),
    ("Rüg\u200bklachten", "rugklachten"),             # diacritic + zero-width space
    ("dеpressie", "depressie"),                       # Cyrillic е
    ("ＢＵＲＮＯＵＴ", "burnout"),                     # full-width letters (NFKD)
    ("re-integratie", "reintegratie"),
    ("week 6 en 2e spoor, art. 7:457", "week 6 en 2e spoor, art. 7:457"),   # digits that are not leet stay
    ("  veel    spaties  ", "veel spaties"),
    ("café", "cafe"),
    ("u u aanmelden", "u u aanmelden"),               # two single letters are not an evasion run
    ("", ""),
]
# fmt: on


@pytest.mark.parametrize("text,expected", NORMALIZE)
def test_normalize_for_matching(text, expected):
    assert normalize_for_matching(text) == expected


def test_map_points_into_original():
    text = "Hij heeft b.u.r.n-o.u.t!"
    norm, index = normalize_with_map(text)
    start = norm.index("burnout")
    s, e = span_to_original(index, len(text), start, start + len("burnout"))
    assert text[s:e] == "b.u.r.n-o.u.t"


# fmt: off
BAD_INPUT = [
    (None, "leeg"),
    ("", "leeg"),
    ("   \n\t  ", "leeg"),
    ("\u200b\u200c\u200d\ufeff", "leeg"),                     # only invisible characters
    (b"\x00\x01\x02\x03" * 64, "binaire"),                    # binary bytes
    (b"\xff\xfe\xfa\xfb", "UTF-8"),                           # undecodable bytes
    ("\x00" * 500 + "abc", "binaire"),                        # NULs in a str
    ({"a": 1}, "formaat"),                                    # not text at all
    (12345, "formaat"),
    ("?!?!...", "leesbare"),                                  # no letters or digits
]
# fmt: on


@pytest.mark.parametrize("raw,needle", BAD_INPUT)
def test_clean_input_rejects_unusable(raw, needle):
    r = clean_input(raw, 4000)
    assert r.text == ""
    assert r.error and needle in r.error


def test_clean_input_cuts_long_text_with_notice():
    r = clean_input("Mag ik vragen naar de medicatie? " * 2000, 4000)   # ~66 000 characters
    assert r.error is None
    assert len(r.text) <= 4000
    assert any("ingekort tot 4000 tekens" in n for n in r.notices)


def test_clean_input_removes_control_and_zero_width():
    r = clean_input("Mag\u200b ik\x07 vragen\u202e naar\x1b de medicatie?", 4000)
    assert r.text == "Mag ik vragen naar de medicatie?"
    assert r.notices and r.error is None


def test_clean_input_decodes_utf8_bytes_and_keeps_newlines():
    r = clean_input("Regel één\nRegel twee".encode(), 4000)
    assert r.text == "Regel één\nRegel twee"


def test_clean_input_lone_surrogate_does_not_crash():
    r = clean_input("abc\ud800def", 4000)
    assert r.text == "abcdef"


def test_short_leet_tokens_decoded_only_next_to_clear_leetspeak():
    from guardrails.normalize import normalize_for_matching

    assert normalize_for_matching("1s h1j d3pr3ss13f?") == "is hij depressief?"
    # Without an unambiguous leetspeak word, codes and units stay as they are.
    assert normalize_for_matching("Week 3n, afdeling b2, 20mg") == "week 3n, afdeling b2, 20mg"


def test_dotted_letters_keep_word_breaks():
    from guardrails.normalize import normalize_for_matching

    assert normalize_for_matching("W.a.t i.s z.i.j.n z.i.e.k.t.e?") == "wat is zijn ziekte?"
    assert normalize_for_matching("k a n k e r") == "kanker"

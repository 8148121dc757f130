"""OfflineEmailRecognizer: table, and no network use."""

import socket

import pytest

from guardrails.recognizers.email_recognizer import OfflineEmailRecognizer
from tests.guardrails.recognizers.helpers import assert_spans, run, span

# fmt: off
CASES = [
    ("mail naar j.jansen@example.nl", 1, ["j.jansen@example.nl"]),
    ("verzuim@bedrijf-example.com of info@example.org", 2,
     ["verzuim@bedrijf-example.com", "info@example.org"]),
    # an unknown top-level domain is still an address (recall first); no domain is not
    ("foo@bar.invalidtld", 1, ["foo@bar.invalidtld"]),
    ("J.JANSEN@EXAMPLE.NL", 1, ["J.JANSEN@EXAMPLE.NL"]),
    ("jan@", 0, []),
    ("", 0, []),
]
# fmt: on


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("text, expected_len, values", CASES)
def test_analyze(no_network, text, expected_len, values):
    results = run(OfflineEmailRecognizer, text, "EMAIL_ADDRESS")
    assert_spans(results, text, expected_len, [span(text, v) for v in values])

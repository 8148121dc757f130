"""The assistant loads in the background: the stand-in answers for settings and audit at once,
and a turn asked while loading waits for the real assistant instead of failing."""

from __future__ import annotations

import threading
import time

import pytest

from app.loader import AssistantLoader, AssistantUnavailable, StatusMiddleware, status_of


def test_a_turn_during_the_load_waits_and_is_answered(settings, assistant):
    gate = threading.Event()

    def slow_load(s, *, audit=None, progress=None):
        assert s is settings
        gate.wait(10)
        return assistant

    ready_calls = []
    loader = AssistantLoader(settings, audit=False, load=slow_load, on_ready=ready_calls.append).start()
    assert loader.settings is settings and loader.audit is None
    assert not loader.ready and status_of(loader) == "loading"
    result = {}
    worker = threading.Thread(target=lambda: result.update(reply=loader.respond(
        "Wat moet ik de werknemer vertellen aan het begin van het eerste gesprek?", role="casemanager")))
    worker.start()
    time.sleep(0.2)
    assert worker.is_alive()  # waiting for the load, not failed
    gate.set()
    worker.join(30)
    assert result["reply"].decision == "answer" and result["reply"].citations
    assert loader.ready and status_of(loader) == "ready" and len(ready_calls) == 1
    assert loader.retriever is assistant.retriever  # every other attribute comes from the assistant


def test_a_failed_load_fails_every_turn_closed_with_a_dutch_message(settings):
    def broken(s, *, audit=None, progress=None):
        raise OSError("index unreadable")

    loader = AssistantLoader(settings, audit=False, load=broken).start()
    with pytest.raises(AssistantUnavailable, match="kon niet worden geladen"):
        loader.respond("Wat mag ik vragen?", role="employer")
    assert not loader.ready and status_of(loader) == "failed"
    assert "OSError" in loader.error


def test_wait_with_timeout_says_still_loading(settings):
    gate = threading.Event()
    loader = AssistantLoader(settings, audit=False, load=lambda s, **kw: gate.wait(10)).start()
    with pytest.raises(AssistantUnavailable, match="nog geladen"):
        loader.wait(timeout=0.05)
    gate.set()


def test_status_endpoint_reports_loading_then_ready(settings, assistant):
    import asyncio

    gate = threading.Event()

    def slow_load(s, **kw):
        gate.wait(10)
        return assistant

    loader = AssistantLoader(settings, audit=False, load=slow_load).start()

    async def inner(scope, receive, send):  # the app behind the middleware
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def call(path):
        sent = []

        async def send(msg):
            sent.append(msg)

        await StatusMiddleware(inner, loader)({"type": "http", "path": path, "method": "GET"}, None, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    assert asyncio.run(call("/tda/status")) == (503, b'{"status": "loading"}')
    assert asyncio.run(call("/other"))[0] == 204
    gate.set()
    loader.wait(10)
    assert asyncio.run(call("/tda/status")) == (200, b'{"status": "ready"}')


def test_chat_shows_the_loading_state_then_the_answer(settings, assistant, tmp_path):
    import gradio as gr

    from app.auth import UserStore
    from app.ui import TdaUI

    users = UserStore.for_data_dir(tmp_path)
    users.create_user("u-cm", "test-wachtwoord-123", "casemanager")
    gate = threading.Event()

    def slow_load(s, **kw):
        gate.wait(10)
        return assistant

    loader = AssistantLoader(settings, audit=False, load=slow_load).start()
    ui = TdaUI(loader, users, report_dir=tmp_path / "out")
    gen = ui.chat("Wanneer moet ik de bedrijfsarts inschakelen?", [], [], "", gr.Request(username="u-cm"))
    first = next(gen)
    assert "Assistent wordt geladen" in first[0][-1]["content"] and "geladen" in first[4]
    gate.set()
    final = list(gen)[-1]
    assert "Antwoordtijd" in final[4]
    assert any("bedrijfsarts" in m["content"].lower() for m in final[0] if m["role"] == "assistant")

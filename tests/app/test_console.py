"""A quiet console: ``tda serve`` prints the login notice, a progress bar and the URL/ready lines only.

The server runs in a subprocess on a free loopback port with an empty temporary data dir (so the
first-start logins are printed and the index is built), without worker processes. ResourceWarnings
are switched on (Python hides them by default), so the unclosed event loops Gradio left behind
would show up here again.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
URL_LINE = "Inlogpagina klaar"
READY_LINE = "Assistent geladen"
STARTUP_TIMEOUT_S = 600  # the first start loads the models; two shared cores under test load
FORBIDDEN = ("DEBUG", "ResourceWarning", "Traceback", "Warning:")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reader(stream, out: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        out.put(line)
    out.put(None)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """Everything ``tda serve`` printed up to the ready line and through its shutdown."""
    data_dir = tmp_path_factory.mktemp("console") / "data"
    port = _free_port()
    env = dict(os.environ)
    env.update({"TDA_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
                "PYTHONWARNINGS": "default::ResourceWarning", "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"})
    env.pop("TDA_SETTINGS", None)
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "0"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace")
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1.0)
            except queue.Empty:
                continue
            if line is None:
                pytest.fail(f"tda serve exited with code {proc.wait()}:\n{''.join(seen)[-4000:]}")
            seen.append(line)
            if line.startswith(READY_LINE):
                break
        else:
            pytest.fail(f"no ready line within {STARTUP_TIMEOUT_S} s:\n{''.join(seen)[-4000:]}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    while (line := lines.get(timeout=10)) is not None:  # what it printed while stopping
        seen.append(line)
    return {"text": "".join(seen), "port": port, "returncode": proc.returncode}


@pytest.mark.slow
def test_serve_prints_no_library_noise(console):
    text = console["text"]
    assert not [w for w in FORBIDDEN if w in text], text


@pytest.mark.slow
def test_serve_prints_the_login_notice_progress_bar_and_url(console):
    text = console["text"]
    assert "Eerste start: er zijn logins aangemaakt" in text, text
    assert f"http://127.0.0.1:{console['port']}" in text, text
    assert "kennisindex bouwen" in text and "100%" in text, text  # the bar, drawn up to the end
    assert text.index(URL_LINE) < text.index(READY_LINE)
    assert console["returncode"] == 0, text

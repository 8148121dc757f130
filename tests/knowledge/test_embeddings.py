"""The domain-tuned embedding model: shipped, verified by hash, falls back safely, retrains from the repo."""

from __future__ import annotations

import json
import shutil

import pytest

from knowledge import embeddings
from knowledge.embeddings import BASE_MODEL, TUNED_DIR, TUNED_MODEL, ModelUnavailable, resolve, tuned_meta


def test_the_tuned_model_ships_in_fp16_and_verifies():
    meta = tuned_meta()
    assert meta["dtype"] == "float16" and meta["pairs"] >= 1000
    size = (TUNED_DIR / "model.safetensors").stat().st_size
    assert size < 60_000_000  # fp16: about 45 MB (fp32 would be 90 MB)
    path, effective, notice = resolve(TUNED_MODEL)
    assert effective == TUNED_MODEL and notice is None and path == TUNED_DIR


def test_the_tuned_model_was_trained_on_the_current_corpus():
    """The shipped weights match the training pairs the repo's files give now (else: `make train`)."""
    from knowledge.train_embeddings import pairs_digest, training_pairs

    meta = tuned_meta()
    pairs = training_pairs()
    assert meta["pairs"] == len(pairs)
    assert meta["pairs_digest"] == pairs_digest(pairs), "question corpus or answer cards changed: run `make train`"


def test_altered_weights_fall_back_to_the_base_model_with_a_notice(tmp_path, monkeypatch):
    copy = tmp_path / TUNED_MODEL
    shutil.copytree(TUNED_DIR, copy)
    with open(copy / "model.safetensors", "r+b") as f:
        f.seek(5000)
        f.write(b"\x00\x01\x02\x03")
    monkeypatch.setattr(embeddings, "TUNED_DIR", copy)
    with pytest.raises(ModelUnavailable, match="hash"):
        tuned_meta(copy)
    path, effective, notice = resolve(TUNED_MODEL)
    assert effective == BASE_MODEL and "basismodel" in notice


def test_a_missing_model_falls_back(tmp_path, monkeypatch):
    monkeypatch.setattr(embeddings, "TUNED_DIR", tmp_path / "absent")
    _, effective, notice = resolve(TUNED_MODEL)
    assert effective == BASE_MODEL and notice


def test_unknown_model_name_is_an_error():
    with pytest.raises(ValueError):
        resolve("some-hub-model")


def test_retraining_on_a_small_slice_runs_and_is_deterministic(tmp_path):
    from knowledge.train_embeddings import train

    a = train(tmp_path / "a", epochs=1, batch=4, limit=8)
    b = train(tmp_path / "b", epochs=1, batch=4, limit=8)
    assert a["pairs"] == 8 and a["weights_sha256"] == b["weights_sha256"]
    meta = json.loads((tmp_path / "a" / "train_meta.json").read_text())
    assert meta["dtype"] == "float16"
    tuned_meta(tmp_path / "a")  # verifies its own hash

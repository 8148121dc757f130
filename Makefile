# The two commands of the README: `make run` and `make test`. Both set up everything on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test install system-deps caches ingest bench eval train profile clean

run: install caches
	$(VENV)/bin/tda serve --host 127.0.0.1 --port 7860

# Two processes on this 2-core machine (pytest-xdist; `-n auto` = one per core); the slowest tests are listed.
test: install system-deps caches
	$(PY) -m pytest -n auto --dist worksteal --durations=25

install: $(VENV)/.installed

# torch goes first and pinned: an unpinned torch pulls a multi-GB CUDA build.
$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

# deduce's lookup tables in a format that loads in about a second instead of 8-16 s (derived data,
# in $$TDA_CACHE_DIR or ~/.cache/tda; rebuilt when deduce changes).
caches: install
	$(PY) -m guardrails.deduce_cache --if-missing

# Chromium (browser tests) and PostgreSQL (audit-log tests) from Debian's packages.
system-deps:
	./scripts/install-system-deps.sh

ingest: install
	$(VENV)/bin/tda ingest

# Fine-tune the embedding model on the question corpus (about 20 minutes on 2 cores); the result is
# committed in knowledge/models/tda-minilm-nl (fp16 safetensors with its sha256 in train_meta.json).
train: install
	$(PY) -m knowledge.train_embeddings

bench: install
	$(PY) -m app.bench.retrieval --sweep
	$(PY) -m app.bench.answers
	$(PY) -m evals.bench_intent
	$(PY) -m evals.pii.bench_independent --split all

# Where start-up and turn time go: imports, Assistant.load stages, warm turns per stage, cProfile.
profile: install caches
	$(VENV)/bin/tda profile --out reports

eval: install
	$(VENV)/bin/tda eval --report reports/eval

clean:
	rm -rf $(VENV) data .pytest_cache

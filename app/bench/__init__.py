"""Benchmarks that exercise the app itself (settings, ``Assistant``, audit log, the served web app).

They live here, not in ``evals/``, because ``evals/`` must not import ``app/`` (layers import
downward only: app -> evals/guardrails/knowledge/prompts). Run them as ``python -m app.bench.<name>``;
their reports still go to ``evals/reports/``.
"""

from pathlib import Path

import evals

#: ``evals/`` (its data files and ``reports/``).
EVALS_DIR = Path(evals.__file__).resolve().parent
REPORTS = EVALS_DIR / "reports"

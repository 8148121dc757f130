"""Run evaluation cases through ``Assistant.respond`` (the same path as the UI) and collect metrics.

Usage (the trainer tab and ``tda eval`` both call this)::

    from evals.runner import run_suite, load_default_cases
    cases = load_default_cases(settings, include_reference=True)
    result = run_suite(assistant, cases, progress=lambda done, total: ...)
    result.metrics["decision_accuracy"], result.failing(), result.to_json()

A crash (an exception out of ``respond``) is recorded as a failed run; the run never aborts.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from evals.metrics import CaseResult, compute_metrics, gate, score_run
from evals.schema import (
    CASES_DIR,
    REFERENCE_PATH,
    Case,
    check_unique,
    load_project_cases,
    load_reference_file,
    load_trainer_cases,
)

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
JSON_VERSION = 1


def load_default_cases(
    settings=None,
    *,
    include_reference: bool = True,
    include_trainer: bool = True,
    cases_dir: Path = CASES_DIR,
    reference_path: Path = REFERENCE_PATH,
) -> list[Case]:
    """Project cases + the trainer's cases (``<data_dir>/trainer_cases.yaml``) + reference cases.

    The reference file is used where it is (``../shared/evals/reference_cases.yaml`` relative to the
    project root) and only when it exists. Ids must be unique across all three.
    """
    cases = load_project_cases(cases_dir)
    if include_trainer and settings is not None:
        cases += load_trainer_cases(settings)
    if include_reference and Path(reference_path).is_file():
        cases += load_reference_file(reference_path)
    check_unique(cases)
    return cases


@dataclass
class EvalResult:
    """The outcome of one suite run."""

    results: list[CaseResult]
    metrics: dict
    started: str = ""
    duration_s: float = 0.0
    meta: dict = field(default_factory=dict)

    def failing(self) -> list[CaseResult]:
        """Runs that did not pass, in run order."""
        return [r for r in self.results if not r.passed]

    def gate(self, **limits) -> list[str]:
        """Gate violations (see :func:`evals.metrics.gate`); empty means green."""
        return gate(self.metrics, **limits)

    def to_json(self) -> dict:
        """JSON-ready dict (the ``report.json`` content)."""
        return {
            "version": JSON_VERSION,
            "started": self.started,
            "duration_s": round(self.duration_s, 3),
            "meta": self.meta,
            "metrics": self.metrics,
            "gate": self.gate(),
            "results": [r.to_dict() for r in self.results],
        }

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_json` to ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=True, indent=1), encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, data: dict) -> EvalResult:
        """Rebuild from a ``report.json`` dict."""
        results = [CaseResult.from_dict(r) for r in data.get("results", [])]
        return cls(results=results, metrics=data.get("metrics") or compute_metrics(results),
                   started=data.get("started", ""), duration_s=float(data.get("duration_s", 0.0)),
                   meta=data.get("meta", {}))

    @classmethod
    def load(cls, path: str | Path) -> EvalResult:
        """Read a ``report.json`` file."""
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


_CAPTURE = threading.local()


def _install_retrieval_probe(assistant) -> bool:
    """Wrap ``assistant.retriever.search`` once so the passages of the current turn can be read back.

    The wrapper passes every call through unchanged and only records results for the thread that is
    running an eval case (thread-local), so chat turns served concurrently by the app are untouched.
    Returns False when the assistant has no such seam (then ``retrieve`` is called separately).
    """
    retriever = getattr(assistant, "retriever", None)
    search = getattr(retriever, "search", None)
    if search is None:
        return False
    if getattr(search, "_eval_probe", False):
        return True

    def probed(*args, **kwargs):
        out = search(*args, **kwargs)
        if getattr(_CAPTURE, "active", False):
            _CAPTURE.passages = out
        return out

    probed._eval_probe = True  # type: ignore[attr-defined]
    try:
        retriever.search = probed
    except (AttributeError, TypeError):
        return False
    return True


def _as_dicts(passages) -> list[dict]:
    out = []
    for p in passages or []:
        if isinstance(p, dict):
            out.append(p)
        elif hasattr(p, "to_dict"):
            out.append(p.to_dict())
    return out


def _retrieve(assistant, message: str, k: int) -> list[dict] | None:
    try:
        return list(assistant.retrieve(message, k=k))
    except Exception:  # retrieval metrics are optional; a failure must not stop the run
        logger.exception("retrieve() failed during eval")
        return None


def run_case(assistant, case: Case, run_id: str, message: str, *, k: int = 5,
             retrieval: str = "auto") -> CaseResult:
    """Run one phrasing of one case and score it. Never raises for a failing ``respond``.

    ``retrieval``: ``"turn"`` scores the passages the turn itself retrieved (free; none for turns
    refused before retrieval), ``"auto"`` falls back to ``assistant.retrieve(message)`` for those,
    ``"off"`` skips retrieval metrics.
    """
    history = [h.model_dump() for h in case.history]
    probe = retrieval != "off" and bool(case.sources) and _install_retrieval_probe(assistant)
    _CAPTURE.active, _CAPTURE.passages = probe, None
    t0 = time.perf_counter()
    reply_dict, error = None, ""
    try:
        reply = assistant.respond(message, role=case.role, history=history,
                                  session_id=f"eval:{run_id}", user="eval")
        reply_dict = reply.to_full_dict() if hasattr(reply, "to_full_dict") else dict(reply)
    except Exception as exc:  # a crash is a result, not an abort
        error = f"{type(exc).__name__}: {exc}"[:500]
        logger.warning("eval case %s crashed: %s", run_id, type(exc).__name__)
    finally:
        captured = _CAPTURE.passages
        _CAPTURE.active, _CAPTURE.passages = False, None
    wall_ms = (time.perf_counter() - t0) * 1000.0
    retrieved = None
    if retrieval != "off" and case.sources:
        if captured is not None:
            retrieved = _as_dicts(captured)[:k]
        elif retrieval == "auto":
            retrieved = _retrieve(assistant, message, k)
    return score_run(case, run_id, message, reply_dict, error=error, retrieved=retrieved, wall_ms=wall_ms)


def run_suite(
    assistant,
    cases: Sequence[Case],
    progress: Progress | None = None,
    *,
    k: int | None = None,
    retrieval: str = "auto",
) -> EvalResult:
    """Run every phrasing of every case; returns results and metrics.

    Args:
        assistant: an object with ``respond(message, role=, history=, session_id=, user=)`` and
            ``retrieve(query, k=)`` (``app.assistant.Assistant``).
        cases: the cases to run (see :func:`load_default_cases`).
        progress: called as ``progress(done, total)`` after every run (and once with ``done=0``).
        k: retrieval depth for recall@k / MRR (default: the assistant's ``settings.top_k`` or 5).
        retrieval: ``"auto"`` (default) scores the passages each turn retrieved and calls
            ``retrieve(message)`` only for turns that did not retrieve; ``"turn"`` never makes the extra
            call; ``"off"`` skips retrieval metrics. Only cases with expected sources are scored.
    """
    if k is None:
        k = int(getattr(getattr(assistant, "settings", None), "top_k", 5) or 5)
    runs = [(case, run_id, msg) for case in cases for run_id, msg in case.runs()]
    total = len(runs)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    if progress:
        progress(0, total)
    results: list[CaseResult] = []
    for done, (case, run_id, message) in enumerate(runs, start=1):
        results.append(run_case(assistant, case, run_id, message, k=k, retrieval=retrieval))
        if progress:
            try:
                progress(done, total)
            except Exception:  # a broken progress callback must not stop the suite
                logger.exception("progress callback failed")
    duration = time.perf_counter() - t0
    settings = getattr(assistant, "settings", None)
    meta = {
        "cases": len(cases),
        "runs": total,
        "suites": sorted({c.suite for c in cases}),
        "settings_digest": settings.digest() if hasattr(settings, "digest") else None,
        "llm_backend": getattr(settings, "llm_backend", None),
        "retrieval_mode": retrieval,
    }
    metrics = compute_metrics(results, k=k)
    metrics["duration_s"] = round(duration, 3)
    return EvalResult(results=results, metrics=metrics, started=started, duration_s=duration, meta=meta)


def select_cases(cases: Sequence[Case], *, case_id: str | None = None, group: str | None = None) -> list[Case]:
    """The cases to run for one case (``case_id``) or one case group (``group``, the file category).

    With neither, every case. Raises ``KeyError`` when the id or group matches nothing.
    """
    if case_id:
        chosen = [c for c in cases if c.id == case_id]
        if not chosen:
            raise KeyError(f"no case with id {case_id!r}")
        return chosen
    if group:
        chosen = [c for c in cases if c.category == group]
        if not chosen:
            raise KeyError(f"no cases in group {group!r}")
        return chosen
    return list(cases)


def run_selection(assistant, cases: Sequence[Case], *, case_id: str | None = None, group: str | None = None,
                  progress: Progress | None = None, **kwargs) -> EvalResult:
    """Run one case (every phrasing) or one case group through ``assistant.respond``; see :func:`run_suite`."""
    chosen = select_cases(cases, case_id=case_id, group=group)
    result = run_suite(assistant, chosen, progress=progress, **kwargs)
    result.meta["selection"] = {"case_id": case_id or None, "group": group or None}
    return result


def run_corpus_split(assistant, progress: Progress | None = None) -> dict:
    """The generalisation figures: the intent corpus test split through ``assistant.respond``.

    The same numbers ``tda eval`` prints under "Generalisatie" (without the list of failures' history).
    """
    from evals import intent_eval

    return intent_eval.evaluate_responder(assistant, progress=progress)


def compare(old: EvalResult | dict, new: EvalResult | dict) -> dict:
    """Case-by-case comparison of two runs: what got better, what got worse, metric deltas."""
    old = old if isinstance(old, EvalResult) else EvalResult.from_json(old)
    new = new if isinstance(new, EvalResult) else EvalResult.from_json(new)
    before = {r.run_id: r for r in old.results}
    after = {r.run_id: r for r in new.results}
    better, worse, changed = [], [], []
    for run_id, r in after.items():
        o = before.get(run_id)
        if o is None:
            continue
        row = {"run_id": run_id, "group": r.group, "expected": r.expected,
               "old": o.got_label, "new": r.got_label, "old_failures": o.failures, "new_failures": r.failures}
        if r.passed and not o.passed:
            better.append(row)
        elif o.passed and not r.passed:
            worse.append(row)
        elif o.got_label != r.got_label or o.failures != r.failures:
            changed.append(row)
    keys = ("pass_rate", "decision_accuracy", "refusal_recall", "false_refusal_rate", "leaks", "crashes",
            "must_mention_rate", "citation_source_match", "retrieval_recall_at_k", "retrieval_mrr",
            "redaction_recall", "refusal_category_accuracy")
    deltas = {}
    for key in keys:
        a, b = old.metrics.get(key), new.metrics.get(key)
        deltas[key] = {"old": a, "new": b,
                       "delta": round(b - a, 4) if isinstance(a, (int, float)) and isinstance(b, (int, float))
                       else None}
    return {
        "better": better,
        "worse": worse,
        "changed": changed,
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "metrics": deltas,
    }

"""Layers import downward only (issue 10, item 1).

Every ``.py`` module of the project's packages is parsed (``ast``); every import counts, also the
function-local ones and those under ``if TYPE_CHECKING``. The allowed direction::

    app -> evals -> guardrails, knowledge -> vocab
    app -> prompts -> vocab

* ``knowledge`` and ``guardrails`` import nothing from ``app`` or ``evals``;
* ``evals`` imports nothing from ``app`` (the runner takes a responder; the app hands it the
  assistant; benchmarks that run app code live in ``app/bench/``);
* ``knowledge`` and ``guardrails`` are independent today (neither imports the other); ``knowledge``
  must not import ``guardrails`` (the rails may one day read knowledge, not the other way round);
* ``prompts`` and ``vocab`` sit at the bottom (``vocab`` imports no project package);
* and no cycle between packages, whatever the rules above allow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "guardrails", "knowledge", "evals", "prompts", "vocab")

# package -> the project packages it must not import
FORBIDDEN: dict[str, set[str]] = {
    "knowledge": {"app", "evals", "guardrails", "prompts"},
    "guardrails": {"app", "evals"},
    "evals": {"app"},
    "prompts": {"app", "evals", "guardrails", "knowledge"},
    "vocab": {"app", "evals", "guardrails", "knowledge", "prompts"},
}


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str | None = None) -> list[tuple[int, str]]:
    """``(line, imported module)`` for every import statement in ``path`` (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = (module or _module_name(path)).split(".")
    is_pkg = path.name == "__init__.py"
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here if is_pkg else here[:-1]
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            out.append((node.lineno, target))  # the top package is what counts here
    return out


def _edges() -> list[tuple[str, str, str, int, str]]:
    """``(from package, to package, module file, line, imported name)`` across packages."""
    edges = []
    for package in PACKAGES:
        for path in _modules(package):
            for line, target in _imports(path):
                top = target.split(".")[0]
                if top in PACKAGES and top != package:
                    edges.append((package, top, str(path.relative_to(ROOT)), line, target))
    return edges


def test_every_package_is_parsed():
    for package in PACKAGES:
        assert _modules(package), f"no modules found in {package}/"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_import(package):
    bad = [f"{where}:{line}: {package} imports {target} (forbidden: {package} -> {to})"
           for src, to, where, line, target in _edges() if src == package and to in FORBIDDEN[package]]
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_no_cycle_between_packages():
    graph: dict[str, dict[str, tuple[str, int, str]]] = {p: {} for p in PACKAGES}
    for src, to, where, line, target in _edges():
        graph[src].setdefault(to, (where, line, target))

    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == path[0]:
                cycles.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:   # each cycle once, from its smallest package
                visit(nxt, [*path, nxt])

    for start in PACKAGES:
        visit(start, [start])
    lines = []
    for cycle in cycles:
        steps = [f"{a} -> {b} ({graph[a][b][0]}:{graph[a][b][1]}: {graph[a][b][2]})"
                 for a, b in zip(cycle, cycle[1:])]
        lines.append("cycle " + " -> ".join(cycle) + ":\n  " + "\n  ".join(steps))
    assert not cycles, "\n".join(lines)


def test_the_checker_sees_function_local_and_relative_imports(tmp_path):
    src = tmp_path / "mod.py"
    src.write_text("import os\n\n\ndef f():\n    from app.reply import RuleRef\n    import evals.runner\n"
                   "    from ..app import settings\n    from . import sibling\n    return RuleRef\n", encoding="utf-8")
    assert _imports(src, "guardrails.sub.mod") == [(1, "os"), (5, "app.reply"), (6, "evals.runner"),
                                                    (7, "guardrails.app"), (8, "guardrails.sub")]

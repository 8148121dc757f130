"""Evaluation cases: pydantic models, loaders for both case formats, and load-time checks.

Two formats are read:

* the project's own cases (``evals/cases/*.yaml`` and the trainer file ``<data_dir>/trainer_cases.yaml``):
  a YAML list of :class:`Case` mappings, validated with ``extra="forbid"`` so a typo fails at load time;
* the shared reference cases (``../shared/evals/reference_cases.yaml``, never copied into the project):
  read with :class:`ReferenceCase` and converted to :class:`Case` with ``suite="reference"``.

Expected labels and how they map onto the reply contract (``app/reply.py``):

============================  ============================================================
label                         reply
============================  ============================================================
``answer``                    ``decision == "answer"`` (category null)
``partial``                   ``decision == "answer"`` with at least one entry in ``rules``
``not_found``                 ``decision == "not_found"``
``refuse_medical``            ``decision == "refuse"``, ``category == "medical_judgement"``
``refuse_delegation``         ``decision == "refuse"``, ``category == "outside_delegation"``
``refuse_health_data``        ``decision == "refuse"``, ``category == "health_data"``
``refuse_injection``          ``decision == "refuse"``, ``category == "prompt_injection"``
``refuse_out_of_scope``       ``decision == "refuse"``, ``category == "out_of_scope"``
============================  ============================================================

``expected_any`` lists further acceptable outcomes: either bare decisions (``answer``, ``refuse``,
``not_found``; any reply with that decision is accepted) or labels from the table above.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from guardrails.types import CATEGORIES
from vocab import Role

PROJECT_ROOT = Path(__file__).resolve().parent.parent

logger = logging.getLogger(__name__)

CASES_DIR = Path(__file__).resolve().parent / "cases"
REFERENCE_PATH = PROJECT_ROOT.parent / "shared" / "evals" / "reference_cases.yaml"
TRAINER_FILE = "trainer_cases.yaml"
# Count check (presidio's "expected 36 context sentences"): rows must not silently disappear.
MIN_PROJECT_CASES = 150

LABELS = (
    "answer",
    "partial",
    "not_found",
    "refuse_medical",
    "refuse_delegation",
    "refuse_health_data",
    "refuse_injection",
    "refuse_out_of_scope",
)
REFUSE_LABELS = tuple(label for label in LABELS if label.startswith("refuse_"))
DECISIONS = ("answer", "refuse", "not_found")
# label -> (reply.decision, reply.category); partial is answer + rules.
LABEL_TO_REPLY: dict[str, tuple[str, str | None]] = {
    "answer": ("answer", None),
    "partial": ("answer", None),
    "not_found": ("not_found", None),
    "refuse_medical": ("refuse", "medical_judgement"),
    "refuse_delegation": ("refuse", "outside_delegation"),
    "refuse_health_data": ("refuse", "health_data"),
    "refuse_injection": ("refuse", "prompt_injection"),
    "refuse_out_of_scope": ("refuse", "out_of_scope"),
}
CATEGORY_TO_LABEL = {cat: label for label, (dec, cat) in LABEL_TO_REPLY.items() if dec == "refuse"}
if set(CATEGORY_TO_LABEL) != set(CATEGORIES):  # one refuse label per category of the contract (guardrails.types)
    raise RuntimeError(f"refuse labels cover {sorted(CATEGORY_TO_LABEL)}, the contract has {sorted(CATEGORIES)}")
# Case groups of the project's suite (one file per group in evals/cases/).
GROUPS = (
    "normative",
    "refuse_medical",
    "refuse_delegation",
    "refuse_health_data",
    "partial",
    "not_found",
    "pii",
    "adversarial",
    "multi_turn",
    "intake",
    "reference",
    "trainer",
)
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{1,80}$")
LINES_RE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")

Label = Literal[
    "answer",
    "partial",
    "not_found",
    "refuse_medical",
    "refuse_delegation",
    "refuse_health_data",
    "refuse_injection",
    "refuse_out_of_scope",
]


class CaseError(ValueError):
    """A case file is malformed, a case is invalid, or ids collide."""


class SourceRef(BaseModel):
    """Where the answer is found: a source document prefix and an inclusive line range."""

    model_config = ConfigDict(extra="forbid")

    doc: str = Field(pattern=r"^\d{3}$")
    lines: str

    @field_validator("doc", mode="before")
    @classmethod
    def _doc_str(cls, value):
        return f"{value:03d}" if isinstance(value, int) else value

    @field_validator("lines", mode="before")
    @classmethod
    def _lines_str(cls, value):
        if isinstance(value, int):
            return str(value)
        if isinstance(value, (list, tuple)) and len(value) == 2:
            return f"{int(value[0])}-{int(value[1])}"
        match = LINES_RE.match(str(value))
        if not match:
            raise ValueError(f"lines must look like '251-280', got {value!r}")
        start, end = int(match.group(1)), int(match.group(2) or match.group(1))
        if start < 1 or end < start:
            raise ValueError(f"invalid line range {value!r}")
        return f"{start}-{end}"

    @property
    def span(self) -> tuple[int, int]:
        """The inclusive ``(start, end)`` line range."""
        start, end = self.lines.split("-")
        return int(start), int(end)

    def overlaps(self, source: str, lines: Sequence[int]) -> bool:
        """True when ``source`` is this doc and the inclusive ranges overlap."""
        if str(source) != self.doc or not lines:
            return False
        start, end = self.span
        lo, hi = int(lines[0]), int(lines[-1])
        return lo <= end and start <= hi


class HistoryMessage(BaseModel):
    """One earlier message of a multi-turn case (messages format)."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str


class PiiItem(BaseModel):
    """A fictitious identifier in the message that the input rails must redact."""

    model_config = ConfigDict(extra="forbid")

    entity: str = Field(min_length=2, max_length=40)
    text: str = Field(min_length=1)


class Case(BaseModel):
    """One labelled evaluation case (the project's own format).

    A case has one ``message`` or several ``messages`` (alternative phrasings sharing one
    expectation, NeMo's InteractionSet); each phrasing is one run with id suffix ``#1``, ``#2``.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    role: Role
    message: str | None = None
    messages: list[str] | None = None
    repeat: int = Field(default=1, ge=1, le=200_000)  # message * repeat: huge-input cases stay readable
    history: list[HistoryMessage] = Field(default_factory=list)
    expected: Label
    expected_any: list[str] = Field(default_factory=list)
    category: str = ""
    borderline: bool = False
    key_facts: list[str] = Field(default_factory=list)
    must_mention_any: list[list[str]] = Field(default_factory=list)
    must_not_mention: list[str] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
    pii: list[PiiItem] = Field(default_factory=list)
    kind: Literal["chat", "intake_script"] | None = None
    tags: list[str] = Field(default_factory=list)
    notes: str = ""
    suite: str = "project"

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not ID_RE.match(value) or "#" in value:
            raise ValueError(f"invalid case id {value!r} (letters, digits, _.:- ; no '#')")
        return value

    @field_validator("expected_any")
    @classmethod
    def _expected_any(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v not in DECISIONS and v not in LABELS]
        if bad:
            raise ValueError(f"expected_any holds unknown outcomes {bad}; use {DECISIONS} or {LABELS}")
        return value

    @field_validator("must_mention_any", mode="before")
    @classmethod
    def _stems_as_text(cls, value):
        # YAML reads `[89, wia]` as an int and a str; stems are always text.
        if isinstance(value, list):
            return [[str(s) if isinstance(s, (int, float)) else s for s in g] if isinstance(g, list) else g
                    for g in value]
        return value

    @field_validator("must_not_mention", mode="before")
    @classmethod
    def _words_as_text(cls, value):
        if isinstance(value, list):
            return [str(w) if isinstance(w, (int, float)) else w for w in value]
        return value

    @field_validator("must_mention_any")
    @classmethod
    def _groups(cls, value: list[list[str]]) -> list[list[str]]:
        for group in value:
            if not group or any(not str(stem).strip() for stem in group):
                raise ValueError("every must_mention_any group needs at least one non-empty stem")
        return value

    @field_validator("must_not_mention")
    @classmethod
    def _no_empty(cls, value: list[str]) -> list[str]:
        if any(not str(w).strip() for w in value):
            raise ValueError("must_not_mention words must not be empty")
        return value

    @model_validator(mode="after")
    def _one_message_field(self) -> Case:
        if (self.message is None) == (self.messages is None):
            raise ValueError("give exactly one of 'message' or 'messages'")
        if self.messages is not None and len(self.messages) == 0:
            raise ValueError("'messages' must not be empty")
        if not self.category:
            self.category = default_group(self.expected)
        for item in self.pii:
            if not any(item.text in m for m in self.phrasings()):
                raise ValueError(f"pii text {item.text!r} does not occur in the message")
        return self

    def phrasings(self) -> list[str]:
        """All messages of this case, in order (each repeated ``repeat`` times)."""
        texts = [self.message] if self.message is not None else list(self.messages or [])
        return [t * self.repeat for t in texts]

    def runs(self) -> list[tuple[str, str]]:
        """``(run_id, message)`` pairs: one run per phrasing; ids ``id#1``.. when several."""
        texts = self.phrasings()
        if len(texts) == 1:
            return [(self.id, texts[0])]
        return [(f"{self.id}#{i}", text) for i, text in enumerate(texts, start=1)]

    def acceptable(self) -> list[str]:
        """Expected label plus ``expected_any`` (labels or bare decisions)."""
        out = [self.expected]
        out += [v for v in self.expected_any if v not in out]
        return out

    @property
    def expects_refusal(self) -> bool:
        """True when the expected label is a refusal and no non-refusal outcome is also accepted."""
        if self.expected not in REFUSE_LABELS:
            return False
        return not any(v in ("answer", "not_found", "partial") for v in self.expected_any)

    @property
    def expects_non_refusal(self) -> bool:
        """True for answer/partial/not_found cases where a refusal is not also accepted."""
        if self.expected in REFUSE_LABELS:
            return False
        return not any(v == "refuse" or v in REFUSE_LABELS for v in self.expected_any)


class ReferenceCase(BaseModel):
    """The shared reference format (``../shared/evals/reference_cases.yaml``).

    Narrow, named exception to ``extra="forbid"``: the file is not ours, so unknown keys are
    ignored with a warning rather than failing the whole suite.
    """

    model_config = ConfigDict(extra="ignore")

    id: str
    role: Role
    message: str
    expected: Label
    expected_any: list[str] = Field(default_factory=list)
    borderline: bool = False
    key_facts: list[str] = Field(default_factory=list)
    must_mention_any: list[list[str]] = Field(default_factory=list)
    must_not_mention: list[str] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)

    def to_case(self) -> Case:
        """Convert to the project's :class:`Case` (suite ``reference``)."""
        data = self.model_dump()
        data.update(category="reference", suite="reference")
        return Case.model_validate(data)


def default_group(expected: str) -> str:
    """Case group used when a case gives no ``category``."""
    return {"answer": "normative"}.get(expected, expected)


def _read_yaml_list(path: Path) -> list:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CaseError(f"{path}: invalid YAML: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise CaseError(f"{path}: a case file must hold a YAML list of cases")
    return data


def _format_error(path: Path, index: int, raw, exc: ValidationError) -> str:
    cid = raw.get("id", f"#{index}") if isinstance(raw, dict) else f"#{index}"
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '(case)'}: {e['msg']}" for e in exc.errors()]
    return f"{path}: case {cid}: " + "; ".join(parts)


def load_case_file(
    path: str | Path, *, suite: str | None = None, default_category: str | None = None
) -> list[Case]:
    """Load one project-format case file (a YAML list). Raises :class:`CaseError` on any invalid case.

    A case without ``category`` gets ``default_category`` (by default the file's stem when it is one of
    :data:`GROUPS`, e.g. ``refuse_medical.yaml`` -> ``refuse_medical``).
    """
    path = Path(path)
    if default_category is None and path.stem in GROUPS:
        default_category = path.stem
    cases: list[Case] = []
    errors: list[str] = []
    for index, raw in enumerate(_read_yaml_list(path)):
        if not isinstance(raw, dict):
            errors.append(f"{path}: entry #{index} is not a mapping")
            continue
        if default_category and not raw.get("category"):
            raw = {**raw, "category": default_category}
        try:
            case = Case.model_validate(raw)
        except ValidationError as exc:
            errors.append(_format_error(path, index, raw, exc))
            continue
        if suite:
            case = case.model_copy(update={"suite": suite})
        cases.append(case)
    if errors:
        raise CaseError("\n".join(errors))
    return cases


def load_reference_file(path: str | Path = REFERENCE_PATH) -> list[Case]:
    """Load the shared reference cases and convert them to :class:`Case`."""
    path = Path(path)
    cases: list[Case] = []
    errors: list[str] = []
    known = set(ReferenceCase.model_fields)
    for index, raw in enumerate(_read_yaml_list(path)):
        if not isinstance(raw, dict):
            errors.append(f"{path}: entry #{index} is not a mapping")
            continue
        unknown = sorted(set(raw) - known)
        if unknown:
            logger.warning("reference case %s: ignoring unknown keys %s", raw.get("id"), unknown)
        try:
            cases.append(ReferenceCase.model_validate(raw).to_case())
        except ValidationError as exc:
            errors.append(_format_error(path, index, raw, exc))
    if errors:
        raise CaseError("\n".join(errors))
    return cases


def is_reference_file(path: str | Path) -> bool:
    """True when ``path`` is in the reference format (recognised by its file name)."""
    return Path(path).name == REFERENCE_PATH.name


def load_cases(path: str | Path) -> list[Case]:
    """Load a file or a directory of ``*.yaml`` files in either format."""
    path = Path(path)
    if path.is_dir():
        out: list[Case] = []
        for child in sorted(path.glob("*.yaml")):
            out.extend(load_cases(child))
        return out
    if not path.is_file():
        raise CaseError(f"case file not found: {path}")
    if is_reference_file(path):
        return load_reference_file(path)
    return load_case_file(path)


def check_unique(cases: Iterable[Case]) -> None:
    """Raise :class:`CaseError` when two cases share an id."""
    counts = Counter(c.id for c in cases)
    dupes = sorted(cid for cid, n in counts.items() if n > 1)
    if dupes:
        raise CaseError(f"duplicate case ids: {', '.join(dupes)}")


def check_count(cases: Sequence[Case], minimum: int = MIN_PROJECT_CASES) -> None:
    """Raise :class:`CaseError` when fewer than ``minimum`` project cases are present."""
    n = sum(1 for c in cases if c.suite == "project")
    if n < minimum:
        raise CaseError(f"expected at least {minimum} project cases, found {n}")


def load_project_cases(cases_dir: Path = CASES_DIR, *, check: bool = True) -> list[Case]:
    """Load every ``evals/cases/*.yaml`` file, with the uniqueness and count checks."""
    cases = load_cases(cases_dir)
    if check:
        check_unique(cases)
        check_count(cases)
    return cases


def trainer_cases_path(settings) -> Path:
    """The trainer's own case file inside ``TDA_DATA_DIR``."""
    return Path(settings.data_dir) / TRAINER_FILE


def load_trainer_cases(settings) -> list[Case]:
    """Cases added through the trainer tab (empty when the file does not exist)."""
    path = trainer_cases_path(settings)
    if not path.is_file():
        return []
    return load_case_file(path, suite="trainer", default_category="trainer")

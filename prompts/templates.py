"""Prompt and intake-script templates as validated data (STYLE.md L5).

Two kinds of YAML file live in ``prompts/``:

* ``kind: prompt`` -> :class:`PromptTemplate` (for example ``prompts/llm.yaml``): a system and a user
  prompt with ``$variables`` (``string.Template`` syntax, as simonw/llm does), declared ``defaults``
  and optional named ``variants`` (per-role overrides of parameters).
* ``kind: intake`` -> :class:`IntakeTemplate` (``prompts/intake/*.yaml``): an intake-call script as
  sections of items, each item citing source lines.

Every model uses ``extra="forbid"`` so a typo fails when the file is loaded, not at the first chat
turn. No trust-bearing switch (for example "skip the output rails") exists on these models: a YAML
file cannot grant itself such a thing.

Citations are checked against the shipped sources at load time: every cited line range must exist
and every explicit ``quote`` must occur verbatim (modulo whitespace and PDF replacement characters)
in those lines (:func:`source_text`).
"""

from __future__ import annotations

import functools
import logging
import re
import string
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vocab import ScriptRole

logger = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parent
SOURCES_DIR = PROMPTS_DIR.parent / "knowledge" / "sources"

#: Display titles of the shipped sources (file prefix -> title); see /work/shared/domain for why.
SOURCE_TITLES: dict[str, str] = {
    "000": "RSC Beroepscode Casemanagement in Taakdelegatie van de Bedrijfsarts",
    "001": "RSC-kader Aantonen Bekwaamheid voor Taakdelegatie",
    "002": "NVAB Leidraad Samenwerking bedrijfsarts & casemanager",
    "003": "RSC Standpunt Casemanagement bij Private Uitvoering en Verzekering",
    "004": "RSC Standpunt inrichting verzuimbeleid",
}

_WS = re.compile(r"\s+")


class MissingVariables(Exception):
    """Raised by ``evaluate`` when a template variable has neither a value nor a default."""


class TemplateError(ValueError):
    """A template file that cannot be loaded or fails validation."""


# --------------------------------------------------------------------------- sources


def _clean(text: str) -> str:
    """Collapse whitespace and drop U+FFFD (PDF extraction artefacts in source 000)."""
    return _WS.sub(" ", text.replace("\ufffd", " ")).strip()


@functools.lru_cache(maxsize=8)
def _source_lines(source: str) -> tuple[str, ...]:
    matches = sorted(SOURCES_DIR.glob(f"{source}_*.txt"))
    if not matches:
        raise TemplateError(f"unknown source {source!r}: no file {source}_*.txt in {SOURCES_DIR}")
    return tuple(matches[0].read_text(encoding="utf-8").splitlines())


def source_text(source: str, start: int, end: int) -> str:
    """Return lines ``start..end`` (1-based, inclusive) of a source, whitespace-normalised.

    Args:
        source: three-digit source id ("000".."004").
        start: first line number as printed by ``sed -n``.
        end: last line number (inclusive).

    Raises:
        TemplateError: unknown source or a range outside the file.
    """
    lines = _source_lines(source)
    if not (1 <= start <= end <= len(lines)):
        raise TemplateError(f"lines {start}-{end} outside source {source} (1-{len(lines)})")
    return _clean(" ".join(lines[start - 1 : end]))


# --------------------------------------------------------------------------- prompt templates


def _identifiers(text: str | None) -> set[str]:
    if not text:
        return set()
    return set(string.Template(text).get_identifiers())


class PromptTemplate(BaseModel):
    """A prompt with ``$variables``; shaped after simonw/llm ``Template``.

    Attributes:
        kind: always ``"prompt"``.
        name: template name (unique in ``prompts/``).
        description: what the template is for.
        system: system prompt text (optional).
        prompt: user prompt text.
        defaults: values used for variables the caller does not pass.
        variants: named parameter sets (for example one per role) that override ``defaults``.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["prompt"] = "prompt"
    name: str
    description: str = ""
    system: str | None = None
    prompt: str
    defaults: dict[str, str] = Field(default_factory=dict)
    variants: dict[str, dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_variants(self) -> PromptTemplate:
        known = self.vars()
        for variant, params in self.variants.items():
            unknown = set(params) - known
            if unknown:
                raise ValueError(f"variant {variant!r} sets unknown variables: {', '.join(sorted(unknown))}")
        return self

    def vars(self) -> set[str]:
        """All variable names used in ``system`` and ``prompt``."""
        return _identifiers(self.system) | _identifiers(self.prompt)

    def evaluate(self, params: dict[str, str] | None = None, *,
                 variant: str | None = None) -> tuple[str, str | None]:
        """Render the template.

        Args:
            params: variable values; win over the variant and the defaults.
            variant: name of a parameter set in ``variants``; unknown names are ignored.

        Returns:
            ``(prompt, system)``; ``system`` is None when the template has none.

        Raises:
            MissingVariables: ``"Missing variables: a, b"`` for variables without any value.
        """
        values: dict[str, str] = dict(self.defaults)
        if variant is not None:
            values.update(self.variants.get(variant, {}))
        values.update({k: str(v) for k, v in (params or {}).items()})
        missing = sorted(self.vars() - set(values))
        if missing:
            raise MissingVariables(f"Missing variables: {', '.join(missing)}")
        prompt = string.Template(self.prompt).substitute(values)
        system = string.Template(self.system).substitute(values) if self.system is not None else None
        return prompt, system


# --------------------------------------------------------------------------- intake templates

ItemKind = Literal["say", "ask", "dont_ask", "do", "note", "record"]


class Cite(BaseModel):
    """A reference to source lines; the quote is taken from (and checked against) those lines."""

    model_config = ConfigDict(extra="forbid")

    source: str
    lines: tuple[int, int]
    section: str = ""
    quote: str | None = None      # a verbatim part of the lines; None = the whole (cleaned) range

    @field_validator("source")
    @classmethod
    def _known_source(cls, v: str) -> str:
        if v not in SOURCE_TITLES:
            raise ValueError(f"unknown source {v!r}")
        return v

    @model_validator(mode="after")
    def _quote_is_verbatim(self) -> Cite:
        text = source_text(self.source, *self.lines)
        if self.quote is not None and _clean(self.quote) not in text:
            raise ValueError(f"quote not found verbatim in {self.source}:{self.lines[0]}-{self.lines[1]}: "
                             f"{self.quote[:60]!r}")
        return self

    def quote_text(self) -> str:
        """The verbatim quote (the explicit ``quote`` or the whole cleaned line range)."""
        return _clean(self.quote) if self.quote is not None else source_text(self.source, *self.lines)


class IntakeItem(BaseModel):
    """One line of a script: something to say, ask, not ask, do, note or record."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: ItemKind
    text: str
    topic: str | None = None          # lets a caller leave the item out (``exclude_topics``)
    cite: list[Cite] = Field(min_length=1)


class IntakeSection(BaseModel):
    """A titled group of items (opening, questions, what not to ask, closing, records)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    heading: str
    intro: str | None = None
    items: list[IntakeItem] = Field(min_length=1)


class ForbiddenTopic(BaseModel):
    """A topic this role may not ask about; requested anyway, it is declined with ``rule_id``."""

    model_config = ConfigDict(extra="forbid")

    topic: str                        # canonical Dutch name, returned by detect_script_request
    aliases: list[str] = Field(min_length=1)   # lower-case words/stems that mean the topic
    rule_id: str
    reason: str                       # Dutch sentence shown in the script
    cite: Cite


class IntakeTemplate(BaseModel):
    """An intake-call script for one role and call type.

    Variables (``$bedrijfsarts``, ``$organisation``, ``$call_date``) may appear in any text; each
    must have a default (a Dutch placeholder such as ``[naam bedrijfsarts]``).
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["intake"] = "intake"
    id: str
    role: ScriptRole
    call_type: str
    order: int = 0                    # position in the UI drop-down within the role
    label: str                        # Dutch label for the UI drop-down
    title: str
    purpose: str
    purpose_cite: list[Cite] = Field(min_length=1)
    defaults: dict[str, str] = Field(default_factory=dict)
    sections: list[IntakeSection] = Field(min_length=1)
    forbidden_topics: list[ForbiddenTopic] = Field(default_factory=list)
    triggers: list[str] = Field(default_factory=list)   # words that select this call type in chat

    @model_validator(mode="after")
    def _check(self) -> IntakeTemplate:
        ids = [s.id for s in self.sections] + [i.id for s in self.sections for i in s.items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate ids: {', '.join(dupes)}")
        missing = sorted(self.vars() - set(self.defaults))
        if missing:
            raise ValueError(f"variables without default: {', '.join(missing)}")
        return self

    def texts(self) -> list[str]:
        """Every text of the template that may hold variables."""
        out = [self.title, self.purpose]
        for s in self.sections:
            out.append(s.heading)
            if s.intro:
                out.append(s.intro)
            out.extend(i.text for i in s.items)
        out.extend(t.reason for t in self.forbidden_topics)
        return out

    def vars(self) -> set[str]:
        """All variable names used in the template."""
        names: set[str] = set()
        for t in self.texts():
            names |= _identifiers(t)
        return names

    def evaluate_text(self, text: str, params: dict[str, str] | None = None) -> str:
        """Render one of this template's texts with ``params`` over ``defaults``.

        Raises:
            MissingVariables: a variable has neither a value nor a default.
        """
        values = dict(self.defaults)
        values.update({k: v for k, v in (params or {}).items() if v is not None})
        missing = sorted(_identifiers(text) - set(values))
        if missing:
            raise MissingVariables(f"Missing variables: {', '.join(missing)}")
        return string.Template(text).substitute(values)


Template = PromptTemplate | IntakeTemplate
_KINDS: dict[str, type[BaseModel]] = {"prompt": PromptTemplate, "intake": IntakeTemplate}


def load_template(path: str | Path) -> Template:
    """Load and validate one template file; its ``kind`` selects the model.

    Raises:
        TemplateError: unreadable YAML, unknown ``kind`` or a validation error.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path.name}: {exc}") from exc
    if not isinstance(data, dict):
        raise TemplateError(f"{path.name}: a template file must hold a mapping")
    kind = data.get("kind")
    model = _KINDS.get(kind)
    if model is None:
        raise TemplateError(f"{path.name}: unknown kind {kind!r} (expected one of {sorted(_KINDS)})")
    try:
        return model.model_validate(data)
    except ValueError as exc:
        raise TemplateError(f"{path.name}: {exc}") from exc


@functools.lru_cache(maxsize=1)
def load_intake_templates() -> dict[tuple[str, str], IntakeTemplate]:
    """All intake templates in ``prompts/intake``, keyed by ``(role, call_type)``."""
    out: dict[tuple[str, str], IntakeTemplate] = {}
    for path in sorted((PROMPTS_DIR / "intake").glob("*.yaml")):
        tpl = load_template(path)
        if not isinstance(tpl, IntakeTemplate):
            raise TemplateError(f"{path.name}: expected kind: intake")
        key = (tpl.role, tpl.call_type)
        if key in out:
            raise TemplateError(f"{path.name}: duplicate role/call type {key}")
        out[key] = tpl
    return out


@functools.lru_cache(maxsize=4)
def load_prompt(name: str) -> PromptTemplate:
    """Load ``prompts/<name>.yaml`` as a :class:`PromptTemplate`."""
    tpl = load_template(PROMPTS_DIR / f"{name}.yaml")
    if not isinstance(tpl, PromptTemplate):
        raise TemplateError(f"{name}.yaml: expected kind: prompt")
    return tpl

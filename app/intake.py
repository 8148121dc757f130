"""Intake-call scripts ("belscripts") per role and call type, built from ``prompts/intake/*.yaml``.

The scripts are data: each YAML template lists sections of items (say / ask / don't ask / do / note /
record), and every item cites source lines whose quotes are checked verbatim against
``knowledge/sources`` when the template loads (:mod:`prompts.templates`). This module only selects a
template, cleans the user's options (names, organisation, date) and renders Dutch Markdown with
numbered citations.

Roles:
    * ``casemanager``: ``eerste_contact`` and ``vervolgcontact`` (opening with the four mandatory
      disclosures of RSC Beroepscode art. 3.4 a-d, source 000 lines 172-196).
    * ``employer``: ``ziekmelding`` and ``reintegratie`` (only what the employer may ask, source 002
      lines 782-793; what it may not ask, lines 795-801, only as things NOT to ask).
    * ``trainer``: every script above, read-only in *oefenmodus* (practice mode): the header says so.
    * ``reviewer``: no scripts (``build_script`` raises ``ValueError`` with a Dutch message;
      ``detect_script_request`` returns None so the chat answers normally).

``build_script`` does not run the output rails: the caller (the Assistant) runs every line of
``IntakeScript.markdown`` through them.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from app.reply import Citation, RuleRef
from vocab import PRACTICE_ROLES, SCRIPT_ROLES  # defined once (re-exported here)
from prompts.templates import SOURCE_TITLES, Cite, IntakeTemplate, load_intake_templates

logger = logging.getLogger(__name__)

__all__ = ["CALL_TYPES", "ChecklistItem", "IntakeScript", "SourceEntry", "build_script", "checklist_items",
           "detect_script_request", "export_docx", "export_markdown", "plain_text", "redact_note",
           "PRACTICE_ROLES"]


ROLE_LABELS = {
    "casemanager": "casemanager in taakdelegatie van de bedrijfsarts",
    "employer": "werkgever (leidinggevende of casemanager namens de werkgever)",
    "trainer": "trainer",
    "reviewer": "reviewer",
}
KIND_LABELS = {
    "say": "Zeg",
    "ask": "Vraag",
    "dont_ask": "Niet vragen",
    "do": "Doe",
    "note": "Let op",
    "record": "Vastleggen",
}
MAX_OPTION_CHARS = 80
MAX_DETECT_CHARS = 2000


def _templates_by_role() -> dict[str, list[IntakeTemplate]]:
    out: dict[str, list[IntakeTemplate]] = {r: [] for r in SCRIPT_ROLES}
    for tpl in load_intake_templates().values():
        out[tpl.role].append(tpl)
    for tpls in out.values():
        tpls.sort(key=lambda t: (t.order, t.call_type))
    return out


def _build_call_types() -> dict[str, list[tuple[str, str]]]:
    by_role = _templates_by_role()
    table = {role: [(t.call_type, t.label) for t in tpls] for role, tpls in by_role.items()}
    practice = [(t.call_type, f"Oefenmodus – {role}: {t.label}")
                for role in SCRIPT_ROLES for t in by_role[role]]
    for role in PRACTICE_ROLES:
        table[role] = list(practice)
    return table


#: role -> [(call_type_id, Dutch label)]; call type ids are unique across roles.
CALL_TYPES: dict[str, list[tuple[str, str]]] = _build_call_types()


@dataclass
class SourceEntry:
    """One source document in the script's source list: marker ``[number]`` and the cited ranges."""

    number: int
    source: str
    title: str
    refs: list[tuple[str, tuple[int, int]]]   # (section, (first line, last line)), sorted, distinct

    def line(self) -> str:
        """The Markdown line of the source list: the ranges grouped by section, in line order."""
        groups: dict[str, list[str]] = {}
        for section, (a, b) in self.refs:
            groups.setdefault(section, []).append(f"{a}-{b}" if a != b else str(a))
        parts = [f"{sec} (r. {', '.join(spans)})" if sec else f"r. {', '.join(spans)}"
                 for sec, spans in groups.items()]
        return f"- **[{self.number}]** {self.source} {self.title}: " + "; ".join(parts)


@dataclass
class IntakeScript:
    """A rendered intake-call script.

    Attributes:
        markdown: the Dutch script (copy / download as ``.md``).
        citations: every distinct quote the script rests on (source, lines, verbatim quote).
        sources: the source list; marker ``[n]`` in the text is ``sources[n-1]`` (one per document).
        title: the script title.
        role: the role the script was built for (the caller's role).
        call_type: the call type id.
        declined: rule ids of parts that were asked for but left out.
        rules: the declined rules with reason and source lines (for ``Reply.rules``).
        practice: True when built in oefenmodus (trainer).
        filename: a suggested download name.
    """

    markdown: str
    citations: list[Citation]
    title: str
    role: str
    call_type: str
    declined: list[str] = field(default_factory=list)
    rules: list[RuleRef] = field(default_factory=list)
    practice: bool = False
    filename: str = "belscript.md"
    sources: list[SourceEntry] = field(default_factory=list)


# --------------------------------------------------------------------------- option cleaning

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")
_WS = re.compile(r"\s+")


def _clean_option(value: object, label: str) -> str | None:
    """Strip control/format characters, collapse whitespace, cap the length, escape Markdown.

    Returns None for an empty value (the template's placeholder is used then).
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = unicodedata.normalize("NFC", str(value))
    text = "".join(" " if unicodedata.category(ch)[0] in ("C", "Z") else ch for ch in text)
    text = _WS.sub(" ", text).strip()
    if not text:
        return None
    if len(text) > MAX_OPTION_CHARS:
        logger.info("intake option %s capped at %d characters", label, MAX_OPTION_CHARS)
        text = text[:MAX_OPTION_CHARS].rstrip()
    return _MD_SPECIAL.sub(r"\\\1", text)


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NL = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")


def _parse_date(value: object) -> str | None:
    """Validate a call date (``YYYY-MM-DD`` or ``DD-MM-YYYY``, or a date) and render ``DD-MM-YYYY``.

    Raises:
        ValueError: with a Dutch message for anything else.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    raw = _clean_option(value, "call_date")
    if raw is None:
        return None
    raw = raw.replace("/", "-").replace(".", "-").replace("\\", "")
    m_iso, m_nl = _ISO.match(raw), _NL.match(raw)
    if m_iso:
        year, month, day = int(m_iso[1]), int(m_iso[2]), int(m_iso[3])
    elif m_nl:
        year, month, day = int(m_nl[3]), int(m_nl[2]), int(m_nl[1])
    else:
        raise ValueError(
            "Ongeldige datum van het gesprek: gebruik JJJJ-MM-DD of DD-MM-JJJJ, bijvoorbeeld 2026-03-01."
        )
    try:
        d = date(year, month, day)
    except ValueError:  # the right format, but no such day (31-02, 30-02-2025, month 13)
        raise ValueError(
            f"Die datum bestaat niet: {day:02d}-{month:02d}-{year}. Controleer dag en maand."
        ) from None
    return d.strftime("%d-%m-%Y")


# --------------------------------------------------------------------------- template selection


def _template_for(role: str, call_type: str) -> tuple[IntakeTemplate, bool]:
    """Return ``(template, practice)`` or raise ``ValueError`` with a Dutch message."""
    role = role if isinstance(role, str) else ""
    call_type = call_type if isinstance(call_type, str) else ""
    if role == "reviewer":
        raise ValueError("Voor de rol reviewer zijn geen belscripts beschikbaar. Een trainer kan de scripts "
                         "in oefenmodus bekijken.")
    if role not in CALL_TYPES:
        raise ValueError(f"Onbekende rol: {_clean_option(role, 'role') or '(leeg)'}.")
    allowed = dict(CALL_TYPES[role])
    if call_type not in allowed:
        choices = ", ".join(f"{cid} ({label})" for cid, label in CALL_TYPES[role])
        shown = _clean_option(call_type, "call_type") or "(leeg)"
        raise ValueError(f"Onbekend gesprekstype {shown} voor de rol {role}. Kies uit: {choices}.")
    for tpl in load_intake_templates().values():
        if tpl.call_type == call_type and (tpl.role == role or role in PRACTICE_ROLES):
            return tpl, role in PRACTICE_ROLES
    # Unreachable while CALL_TYPES is built from the same templates.
    raise ValueError(f"Geen belscript gevonden voor {call_type}.")


# --------------------------------------------------------------------------- rendering


class _Citations:
    """Numbers citations in order of first use, one number per distinct quote."""

    def __init__(self) -> None:
        self.items: list[Citation] = []
        self._index: dict[tuple, int] = {}

    def ref(self, cites: list[Cite]) -> str:
        nums: list[int] = []
        for c in cites:
            quote = c.quote_text()
            key = (c.source, tuple(c.lines), quote)
            if key not in self._index:
                self.items.append(Citation(source=c.source, title=SOURCE_TITLES[c.source], section=c.section,
                                           lines=(int(c.lines[0]), int(c.lines[1])), quote=quote))
                self._index[key] = len(self.items)
            if self._index[key] not in nums:
                nums.append(self._index[key])
        return " ".join(f"[{n}]" for n in nums)


class _Sources:
    """Numbers source documents in order of first use: one marker and one entry per document.

    Each entry lists the distinct line ranges (with their section) the script cites in that
    document, so the script ends with one source list without duplicates instead of one footnote
    per quote.
    """

    def __init__(self) -> None:
        self.order: list[str] = []
        self.refs: dict[str, dict[tuple[int, int], str]] = {}

    def ref(self, cites: list[Cite]) -> str:
        nums: list[int] = []
        for c in cites:
            if c.source not in self.refs:
                self.order.append(c.source)
                self.refs[c.source] = {}
            span = (int(c.lines[0]), int(c.lines[1]))
            self.refs[c.source].setdefault(span, c.section or "")
            n = self.order.index(c.source) + 1
            if n not in nums:
                nums.append(n)
        return " ".join(f"[{n}]" for n in sorted(nums))

    def entries(self) -> list[SourceEntry]:
        out = []
        for n, src in enumerate(self.order, start=1):
            spans = sorted(self.refs[src].items())
            out.append(SourceEntry(number=n, source=src, title=SOURCE_TITLES[src],
                                   refs=[(sec, span) for span, sec in spans]))
        return out


def _norm(text: str) -> str:
    """Lower-case, strip diacritics and zero-width characters, collapse whitespace."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf")
    return _WS.sub(" ", text.lower()).strip()


@functools.lru_cache(maxsize=1)
def _party_cites() -> dict[str, list[Cite]]:
    """Source lines for who works for whom (checked verbatim when built, like template quotes)."""
    werkgever = Cite(source="000", lines=(104, 108), section="art. 2.5-2.6",
                     quote="Werkgever: de klant van de arbodienst waarvoor de delegerende bedrijfsarts "
                           "werkzaam is, of de klant van de delegerende zelfstandige bedrijfsarts.")
    geen_werkgeversrol = Cite(source="000", lines=(288, 292), section="art. 6.2",
                              quote="vervult de casemanager die in taakdelegatie werkt niet de rol van "
                                    "casemanager verzuim namens de werkgever.")
    return {"casemanager": [werkgever, geen_werkgeversrol], "employer": [werkgever]}


#: Who works for whom, per script role (RSC Beroepscode art. 2.5-2.6: the werkgever is the client of
#: the arbodienst or of the self-employed bedrijfsarts; the arbodienst employs the bedrijfsarts).
PARTIES = {
    "casemanager": ("u bent casemanager in taakdelegatie van bedrijfsarts $bedrijfsarts. De bedrijfsarts "
                    "werkt (via een arbodienst of als zelfstandig bedrijfsarts) voor werkgever $organisation. "
                    "U bent niet de casemanager verzuim namens de werkgever."),
    "employer": ("u belt namens werkgever $organisation, als leidinggevende of als casemanager van "
                 "$organisation. Bedrijfsarts $bedrijfsarts werkt (via een arbodienst of als zelfstandig "
                 "bedrijfsarts) voor $organisation."),
}


def _parties(script_role: str) -> tuple[str, list[Cite]]:
    return PARTIES[script_role], _party_cites()[script_role]


def build_script(role: str, call_type: str, *, bedrijfsarts: str | None = None,
                 organisation: str | None = None, call_date: str | date | None = None,
                 exclude_topics: tuple[str, ...] = ()) -> IntakeScript:
    """Build the intake-call script for a role and call type.

    Args:
        role: ``casemanager``, ``employer`` or ``trainer`` (oefenmodus, every script read-only).
        call_type: an id from ``CALL_TYPES[role]``.
        bedrijfsarts: name of the responsible bedrijfsarts (user input; cleaned, capped, escaped).
        organisation: organisation name (user input; cleaned, capped, escaped).
        call_date: date of the call, ``YYYY-MM-DD`` or ``DD-MM-YYYY`` (or a ``date``).
        exclude_topics: topics to leave out. A topic the role may not ask about (for example
            ``"diagnose"`` for an employer, see ``detect_script_request``) is declined with its rule and
            reason in a "Niet opgenomen" section; a topic of an optional item (for example
            ``"behandeling"`` for a casemanager) removes those items.

    Returns:
        The rendered :class:`IntakeScript`.

    Raises:
        ValueError: unknown role or call type, a reviewer, or an invalid date (Dutch message).
    """
    tpl, practice = _template_for(role, call_type)
    params = {
        "bedrijfsarts": _clean_option(bedrijfsarts, "bedrijfsarts"),
        "organisation": _clean_option(organisation, "organisation"),
        "call_date": _parse_date(call_date),
    }
    params = {k: v for k, v in params.items() if v is not None}

    if isinstance(exclude_topics, str):
        exclude_topics = (exclude_topics,)
    forbidden_hits: list = []
    drop_topics: set[str] = set()
    for raw in exclude_topics or ():
        if not isinstance(raw, str) or not raw.strip():
            continue
        key = _norm(raw)
        match = next((ft for ft in tpl.forbidden_topics
                      if key == _norm(ft.topic) or key in {_norm(a) for a in ft.aliases}), None)
        if match is not None:
            if match not in forbidden_hits:
                forbidden_hits.append(match)
        else:
            drop_topics.add(key)

    quotes, srcs = _Citations(), _Sources()

    def ref(cs: list[Cite]) -> str:
        quotes.ref(cs)
        return srcs.ref(cs)

    ev = lambda text: tpl.evaluate_text(text, params)  # noqa: E731
    lines: list[str] = [f"# {ev(tpl.title)}", ""]
    header = [
        f"**Rol:** {ROLE_LABELS[tpl.role]}",
        f"**Gesprek:** {tpl.label}",
        f"**Datum:** {ev('$call_date')}",
        f"**Bedrijfsarts:** {ev('$bedrijfsarts')}",
        f"**Organisatie:** {ev('$organisation')}",
    ]
    if practice:
        lines += [f"**Oefenmodus** ({role}): alleen-lezen voorbeeldscript, niet voor een echt gesprek.", ""]
    lines += [" · ".join(header), ""]
    parties, parties_cite = _parties(tpl.role)
    lines += [f"**Wie werkt voor wie:** {ev(parties)} {ref(parties_cite)}", ""]
    lines += [f"{ev(tpl.purpose)} {ref(tpl.purpose_cite)}", ""]

    for section in tpl.sections:
        items = [i for i in section.items if not (i.topic and _norm(i.topic) in drop_topics)]
        if not items:
            continue
        lines += [f"## {ev(section.heading)}", ""]
        if section.intro:
            lines += [ev(section.intro), ""]
        for item in items:
            lines.append(f"- **{KIND_LABELS[item.kind]}:** {ev(item.text)} {ref(item.cite)}")
        lines.append("")

    declined: list[str] = []
    rules: list[RuleRef] = []
    if forbidden_hits:
        lines += ["## Niet opgenomen", ""]
        for ft in forbidden_hits:
            lines.append(f"- **Niet opgenomen ({ft.topic}):** {ev(ft.reason)} {ref([ft.cite])}")
            if ft.rule_id not in declined:
                declined.append(ft.rule_id)
                rules.append(RuleRef(id=ft.rule_id, reason=ev(ft.reason), source=ft.cite.source,
                                     lines=(int(ft.cite.lines[0]), int(ft.cite.lines[1]))))
        lines.append("")

    sources = srcs.entries()
    lines += ["## Bronnen", ""]
    lines += [entry.line() for entry in sources]
    lines.append("")

    stamp = params.get("call_date", "").replace("-", "") or "zonder-datum"
    return IntakeScript(
        markdown="\n".join(lines),
        citations=quotes.items,
        title=ev(tpl.title),
        sources=sources,
        role=role,
        call_type=tpl.call_type,
        declined=declined,
        rules=rules,
        practice=practice,
        filename=f"belscript-{tpl.role}-{tpl.call_type}-{stamp}.md",
    )


# --------------------------------------------------------------------------- chat detection

_SCRIPT_NOUN = re.compile(
    r"\b(?:bel|gespreks|gesprek|intake|telefoon|telefonisch|call)?-?scripts?\b"
    r"|\bgespreks(?:leidraad|handleiding|opzet|protocol)\b|\bdraaiboek\b|\bvragenlijst\b")
_REQUEST = re.compile(
    r"\b(?:maak|maken|maakt|schrijf|schrijven|genereer|genereren|opstellen|stel\b[^.?!]{0,60}\bop|geef|geven"
    r"|bouw|bouwen|ontwerp|ontwerpen|wil|wilt|graag|nodig|help me|zou je|kun je|kunt u|kan je|kan jij)\b")
_EMPLOYER_HINT = re.compile(r"\b(?:werkgever|leidinggevende|manager|regievoerder|hr|personeelszaken)\b")
_CASEMANAGER_HINT = re.compile(r"\b(?:casemanager|taakdelegatie|cmtd|triage)\b")
_NEGATION = re.compile(r"\b(?:zonder|geen|niet|behalve|uitgezonderd)\b")
_RESET = re.compile(r"[.;:!?]|\b(?:maar|wel|met|en ook)\b")


def _negated(norm_text: str, pos: int) -> bool:
    """True when the word at ``pos`` is governed by a negation earlier in the same clause."""
    before = norm_text[:pos]
    resets = [m.end() for m in _RESET.finditer(before)]
    clause = before[resets[-1]:] if resets else before
    return bool(_NEGATION.search(clause))


def _trigger_hits(norm_text: str, tpl: IntakeTemplate) -> int:
    return sum(1 for t in tpl.triggers if re.search(r"\b" + re.escape(_norm(t)), norm_text))


def detect_script_request(text: str, role: str) -> tuple[str, list[str]] | None:
    """Recognise a chat request for an intake-call script.

    Args:
        text: the user's message (any string; huge or binary-ish input is capped, never raises).
        role: the user's role.

    Returns:
        ``(call_type, requested_forbidden_topics)`` or None when the text does not ask for a script
        (or the role has no scripts). ``requested_forbidden_topics`` lists, in order of appearance,
        the topics the role may not ask about that the user asked to include (employer +
        "klachten, diagnose en medicatie" -> ``["klachten", "diagnose", "medicatie"]``); topics
        under a negation ("zonder vragen over de diagnose") are not listed.
    """
    if not isinstance(text, str) or role not in CALL_TYPES:
        return None
    norm = _norm(text[:MAX_DETECT_CHARS])
    if not norm or not _SCRIPT_NOUN.search(norm):
        return None
    short_command = len(norm.split()) <= 8 and not norm.endswith("?")
    if not (_REQUEST.search(norm) or short_command):
        return None

    by_role = _templates_by_role()
    if role in PRACTICE_ROLES:
        # Oefenmodus: the words decide which role's script; ties go to the casemanager scripts.
        if _EMPLOYER_HINT.search(norm):
            candidates = by_role["employer"]
        elif _CASEMANAGER_HINT.search(norm):
            candidates = by_role["casemanager"]
        else:
            candidates = by_role["casemanager"] + by_role["employer"]
    else:
        candidates = by_role[role]
    best = max(candidates, key=lambda t: (_trigger_hits(norm, t), -candidates.index(t)))   # first wins a tie

    found: list[tuple[int, str]] = []
    for ft in best.forbidden_topics:
        for alias in [ft.topic, *ft.aliases]:
            pattern = r"\b" + re.escape(_norm(alias))
            hit = next((m for m in re.finditer(pattern, norm) if not _negated(norm, m.start())), None)
            if hit is not None:
                found.append((hit.start(), ft.topic))
                break
    topics: list[str] = []
    for _, topic in sorted(found):
        if topic not in topics:
            topics.append(topic)
    return best.call_type, topics


# --------------------------------------------------------------------------- call companion exports
#
# The script tab is a call companion: the casemanager ticks items off during the call and types a
# note per item. Those notes never reach the assistant or the audit log; they are only used for an
# export the user asks for, and every note is redacted (guardrails.pii.redact_for_storage) before it
# is put into one. All functions below work on the rails-checked script text (``Reply.text``).

#: item kinds the casemanager ticks off during the call (the others are guidance, not steps)
CHECK_KINDS = ("Zeg", "Vraag", "Doe", "Vastleggen")
MAX_NOTE_CHARS = 2000
REDACTION_FAILED_NOTE = "[notitie niet opgenomen: maskeren mislukt]"

_ITEM_LINE = re.compile(r"^- \*\*(?P<kind>[^*:]+):\*\* (?P<text>.*?)(?P<marks>(?: \[\d+\])*)\s*$")
_MARKERS = re.compile(r"\s*(?:\[\d+\]\s*)+$")
_UNESCAPE = re.compile(r"\\([\\`*_\[\]<>|~#])")


@dataclass
class ChecklistItem:
    """One step of the script to tick off: ``id`` is ``c<n>`` in script order."""

    id: str
    section: str
    kind: str
    text: str          # plain text, without citation markers

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.text}"


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text)


def _walk_items(markdown: str):
    """Yield ``(line_index, ChecklistItem | None, section)`` for every line of the script."""
    section, n = "", 0
    for i, line in enumerate((markdown or "").split("\n")):
        if line.startswith("## "):
            section = _unescape(line[3:].strip())
        m = _ITEM_LINE.match(line)
        if m and m["kind"] in CHECK_KINDS and section != "Bronnen":
            n += 1
            text = _unescape(_plain_inline(m["text"]).strip())
            yield i, ChecklistItem(f"c{n}", section, m["kind"], text), section
        else:
            yield i, None, section


def checklist_items(markdown: str) -> list[ChecklistItem]:
    """The steps to tick off (say / ask / do / record items) of a rendered script."""
    return [item for _, item, _ in _walk_items(markdown) if item is not None]


def _plain_inline(text: str) -> str:
    return text.replace("**", "")


def plain_text(markdown: str) -> str:
    """The script as plain text for copying: no ``**``, no ``#`` headings, no Markdown escapes."""
    out: list[str] = []
    for line in (markdown or "").split("\n"):
        if line.startswith("## "):
            out.append(_unescape(line[3:].strip()).upper())
        elif line.startswith("# "):
            out.append(_unescape(line[2:].strip()))
        elif line.startswith("- "):
            out.append("• " + _unescape(_plain_inline(line[2:])))
        else:
            out.append(_unescape(_plain_inline(line)))
    return "\n".join(out).strip() + "\n"


def redact_note(note: object) -> str:
    """A note as it may be kept or exported: whitespace collapsed, capped, PII and health data masked.

    Fails closed: when redaction fails the note is replaced by a fixed Dutch placeholder.
    """
    if not isinstance(note, str):
        return ""
    text = _WS.sub(" ", "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in note)).strip()
    if not text:
        return ""
    text = text[:MAX_NOTE_CHARS]
    from guardrails.pii import redact_for_storage

    result = redact_for_storage(text)
    return REDACTION_FAILED_NOTE if result.failed else result.text


def _states(markdown: str, done: dict | None, notes: dict | None) -> tuple[dict[str, bool], dict[str, str]]:
    ids = [i.id for i in checklist_items(markdown)]
    done = {k: bool((done or {}).get(k)) for k in ids}
    red = {k: redact_note((notes or {}).get(k)) for k in ids}
    return done, {k: v for k, v in red.items() if v}


NOTES_HINT = ("Notities zijn bij het exporteren gemaskeerd: namen, BSN, telefoonnummers, adressen en "
              "gezondheidsgegevens staan er als <PERSON>, <NL_BSN> enzovoort in.")


def export_markdown(markdown: str, done: dict | None = None, notes: dict | None = None) -> str:
    """The script as Markdown with the ticks (``[x]`` / ``[ ]``) and the redacted notes per item."""
    done, red = _states(markdown, done, notes)
    lines = (markdown or "").split("\n")
    out: list[str] = []
    for i, item, _ in _walk_items(markdown):
        line = lines[i]
        if item is None:
            out.append(line)
            continue
        out.append(("- [x] " if done[item.id] else "- [ ] ") + line[2:])
        if item.id in red:
            out.append(f"  - *Notitie:* {_md_note(red[item.id])}")
    if red:   # under the header: say that the notes were masked
        at = next((k for k, ln in enumerate(out) if ln.startswith("**Wie werkt voor wie:**")), 0)
        out[at + 1:at + 1] = ["", f"*{_md_note(NOTES_HINT)}*"]
    return "\n".join(out)


def _md_note(note: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", note)


# -- DOCX: a minimal WordprocessingML package written with zipfile (no dependency) -------------

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '</Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>')
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(_XML_BAD.sub("", text))


def _run(text: str, *, bold: bool = False, italic: bool = False, size: int | None = None) -> str:
    props = (("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
             + (f'<w:sz w:val="{size}"/>' if size else ""))
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{_xml(text)}</w:t></w:r>'


def _inline_runs(text: str, **kw) -> str:
    """``**bold**`` spans of a Markdown line as runs; Markdown escapes removed."""
    parts = text.split("**")
    return "".join(_run(_unescape(p), bold=bool(i % 2), **kw) for i, p in enumerate(parts) if p)


def _para(runs: str, *, indent: int = 0, before: int = 0) -> str:
    ppr = ""
    if indent or before:
        ppr = ("<w:pPr>" + (f'<w:spacing w:before="{before}"/>' if before else "")
               + (f'<w:ind w:left="{indent}"/>' if indent else "") + "</w:pPr>")
    return f"<w:p>{ppr}{runs}</w:p>"


def export_docx(markdown: str, done: dict | None = None, notes: dict | None = None) -> bytes:
    """The script as a Word document (.docx): headings, a box per step (ticked or not), the redacted
    notes under their step, and the source list at the end."""
    import io
    import zipfile

    done, red = _states(markdown, done, notes)
    lines = (markdown or "").split("\n")
    body: list[str] = []
    for i, item, _ in _walk_items(markdown):
        line = lines[i]
        if not line.strip():
            continue
        if item is not None:
            m = _ITEM_LINE.match(line)
            box = "☒ " if done[item.id] else "☐ "
            body.append(_para(_run(box) + _run(f"{m['kind']}: ", bold=True)
                              + _inline_runs(m["text"] + m["marks"])))
            if item.id in red:
                body.append(_para(_run("Notitie: ", bold=True, italic=True) + _run(red[item.id], italic=True),
                                  indent=567))
        elif line.startswith("## "):
            body.append(_para(_run(_unescape(line[3:].strip()), bold=True, size=28), before=240))
        elif line.startswith("# "):
            body.append(_para(_run(_unescape(line[2:].strip()), bold=True, size=36)))
        elif line.startswith("- "):
            body.append(_para(_run("• ") + _inline_runs(line[2:]), indent=284))
        else:
            body.append(_para(_inline_runs(line)))
            if red and line.startswith("**Wie werkt voor wie:**"):
                body.append(_para(_run(NOTES_HINT, italic=True)))
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<w:document xmlns:w="{_W_NS}"><w:body>{"".join(body)}'
                '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
                '<w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1134" w:header="708" '
                'w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("word/document.xml", document)
    return buf.getvalue()

"""Issue 14, item 3: the intake script as a call companion.

Plain-text copy, one source list, Markdown and DOCX exports with ticks and redacted notes, the wording
of who works for whom, and the script tab's handlers (one-time downloads; notes never reach the
assistant). The handlers run against a stand-in assistant that builds the script without the rails
(the rails over every script line are covered by tests/app/test_intake.py and test_assistant.py).
"""

from __future__ import annotations

import io
import re
import zipfile
from types import SimpleNamespace
from xml.etree import ElementTree

import gradio as gr
import pytest

from app.intake import (CALL_TYPES, build_script, checklist_items, export_docx, export_markdown, plain_text,
                        redact_note)

ARTS, ORG = "Dr. P. de Vries", "Bouwbedrijf Jansen BV"
ALL = [(role, ct) for role in ("casemanager", "employer") for ct, _ in CALL_TYPES[role]]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# A note as a casemanager might type it: a name, a mobile number and a BSN (valid 11-check).
NOTE = "Terugbellen: Jan de Vries, 06-12345678, BSN 123456782"


def _script(role="casemanager", call_type="eerste_contact"):
    return build_script(role, call_type, bedrijfsarts=ARTS, organisation=ORG, call_date="2026-03-01")


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert {"[Content_Types].xml", "_rels/.rels", "word/document.xml"} <= set(z.namelist())
        root = ElementTree.fromstring(z.read("word/document.xml"))
    return "\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in root.iter(f"{W}p"))


# -- plain text ------------------------------------------------------------------------------

@pytest.mark.parametrize("role,call_type", ALL)
def test_plain_text_has_no_markdown_markup(role, call_type):
    s = build_script(role, call_type, bedrijfsarts=ARTS, organisation="Acme_BV #1", call_date="2026-03-01")
    text = plain_text(s.markdown)
    assert "**" not in text and "\\" not in text
    assert not any(ln.lstrip().startswith(("#", "- ", "* ")) for ln in text.splitlines())
    assert "Acme_BV #1" in text                                   # Markdown escapes undone
    assert "niet de bedrijfsarts" in text.lower() or role == "employer"
    assert s.title in text


# -- one source list -------------------------------------------------------------------------

@pytest.mark.parametrize("role,call_type", ALL)
def test_one_source_list_without_duplicates(role, call_type):
    s = _script(role, call_type)
    md = s.markdown
    assert md.count("## Bronnen") == 1 and md.rstrip().split("\n## ")[-1].startswith("Bronnen")
    listed = [ln for ln in md.split("## Bronnen")[1].splitlines() if ln.strip()]
    assert len(listed) == len(s.sources) <= 5                     # one entry per source document
    docs = [re.match(r"- \*\*\[(\d+)\]\*\* (\d{3}) ", ln).groups() for ln in listed]
    assert [int(n) for n, _ in docs] == list(range(1, len(docs) + 1))
    assert len({d for _, d in docs}) == len(docs)                 # no document twice
    for e in s.sources:
        spans = [span for _, span in e.refs]
        assert len(spans) == len(set(spans)) and spans == sorted(spans)
    body = md.split("## Bronnen")[0]
    assert {int(n) for n in re.findall(r"\[(\d+)\]", body)} == set(range(1, len(s.sources) + 1))
    assert len(s.sources) < len(s.citations)                      # folded: fewer entries than quotes


# -- who works for whom ----------------------------------------------------------------------

def test_casemanager_wording_of_who_works_for_whom():
    for call_type in ("eerste_contact", "vervolgcontact"):
        md = _script("casemanager", call_type).markdown
        assert f"{ARTS} ({ORG})" not in md                          # the doctor does not belong to the employer
        assert f"in taakdelegatie van bedrijfsarts {ARTS}, de bedrijfsarts voor uw werkgever {ORG}" in md
        parties = next(ln for ln in md.splitlines() if ln.startswith("**Wie werkt voor wie:**"))
        assert f"casemanager in taakdelegatie van bedrijfsarts {ARTS}" in parties
        assert f"voor werkgever {ORG}" in parties and "arbodienst" in parties
        assert "niet de casemanager verzuim namens de werkgever" in parties
        assert re.search(r"\[\d+\]$", parties)
    s = _script()
    cited = {(c.source, c.lines) for c in s.citations}
    assert ("000", (104, 108)) in cited and ("000", (288, 292)) in cited   # art. 2.5-2.6, art. 6.2


def test_employer_wording_of_who_works_for_whom():
    md = _script("employer", "ziekmelding").markdown
    parties = next(ln for ln in md.splitlines() if ln.startswith("**Wie werkt voor wie:**"))
    assert f"namens werkgever {ORG}" in parties and f"casemanager van {ORG}" in parties
    assert f"Bedrijfsarts {ARTS} werkt (via een arbodienst of als zelfstandig bedrijfsarts) voor {ORG}" in parties
    assert f"{ARTS} ({ORG})" not in md


# -- checklist and exports -------------------------------------------------------------------

def test_checklist_lists_the_steps_of_the_call():
    s = _script()
    items = checklist_items(s.markdown)
    kinds = {i.kind for i in items}
    assert kinds == {"Zeg", "Vraag", "Doe", "Vastleggen"}
    assert [i.id for i in items] == [f"c{n}" for n in range(1, len(items) + 1)]
    asks = [i.text for i in items if i.kind == "Vraag"]
    assert '"Wat is uw functie, en wat vraagt die functie van u?"' in asks
    assert all("**" not in i.label and not re.search(r"\[\d+\]", i.text) for i in items)
    assert not any(i.section == "Bronnen" for i in items)


def test_markdown_export_has_ticks_and_redacted_notes():
    s = _script()
    items = checklist_items(s.markdown)
    ask = next(i for i in items if i.kind == "Vraag")
    md = export_markdown(s.markdown, {ask.id: True}, {ask.id: NOTE, "bestaat-niet": "x"})
    assert md.count("- [x] ") == 1 and md.count("- [ ] ") == len(items) - 1
    note = next(ln for ln in md.splitlines() if ln.startswith("  - *Notitie:*"))
    assert "123456782" not in md and "12345678" not in md and "Jan de Vries" not in md
    assert "NL\\_BSN" in note and "PERSON" in note
    assert "gemaskeerd" in md
    assert md.split("\n").index(note) == md.split("\n").index(next(ln for ln in md.splitlines()
                                                                   if ask.text[:20] in ln and "[x]" in ln)) + 1


def test_docx_is_a_valid_word_package_with_the_questions_and_redacted_notes():
    s = _script()
    items = checklist_items(s.markdown)
    ask = next(i for i in items if i.kind == "Vraag")
    data = export_docx(s.markdown, {ask.id: True}, {ask.id: NOTE})
    assert data[:2] == b"PK"
    text = _docx_text(data)
    for i in items:
        if i.kind == "Vraag":
            assert i.text in text
    assert f"☒ Vraag: {ask.text}" in text and "☐ " in text
    assert "123456782" not in text and "12345678" not in text and "Jan de Vries" not in text
    assert "<NL_BSN>" in text and "<PERSON>" in text
    assert "Bronnen" in text and "**" not in text
    # a script without notes: no hint about masking
    assert "gemaskeerd" not in _docx_text(export_docx(s.markdown))


def test_redact_note_masks_and_fails_closed(monkeypatch):
    out = redact_note(NOTE)
    assert "123456782" not in out and "<NL_BSN>" in out and "Jan de Vries" not in out
    assert redact_note(None) == "" and redact_note("   ") == ""
    import guardrails.pii as pii

    monkeypatch.setattr(pii, "redact_for_storage", lambda text: pii.RedactionResult(text="x", failed=True))
    assert redact_note("Jan de Vries") == "[notitie niet opgenomen: maskeren mislukt]"


# -- the script tab's handlers ---------------------------------------------------------------

class StandIn:
    """An assistant stand-in: builds the script (no rails) and records every call it gets."""

    settings = None
    audit = None

    def __init__(self):
        self.calls = []

    def intake_script(self, role, call_type, **kw):
        self.calls.append((role, call_type, kw))
        s = build_script(role, call_type, **{k: v for k, v in kw.items()
                                             if k in ("bedrijfsarts", "organisation", "call_date")})
        return SimpleNamespace(text=s.markdown, decision="answer")

    def __getattr__(self, name):            # any other use of the assistant is a failure
        raise AssertionError(f"assistant.{name} used")


@pytest.fixture()
def tab(tmp_path):
    from app.auth import UserStore
    from app.ui import TdaUI

    users = UserStore.for_data_dir(tmp_path / "users")
    users.create_user("u-casemanager", "test-wachtwoord-123", "casemanager")
    stand_in = StandIn()
    return TdaUI(stand_in, users, report_dir=tmp_path / "out"), stand_in


COOKIES = {"access-token-cm": "sessie-van-de-casemanager"}


def _req():
    return gr.Request(username="u-casemanager", cookies=COOKIES)


def _tokens(md: str) -> list[str]:
    return re.findall(r"/tda/download/([\w-]+)", md)


def test_companion_gives_plain_text_checklist_and_md_docx_downloads(tab):
    ui, stand_in = tab
    view, text, md_link, docx_link, status, items, script, export_msg = ui.intake_companion(
        "eerste_contact", ARTS, ORG, "2026-03-01", "s1", _req())
    links = md_link + docx_link
    assert len(_tokens(md_link)) == 1 and ".docx" in docx_link
    assert "**" not in text and "niet de bedrijfsarts" in text.lower()
    assert script.startswith("# Belscript") and items and all({"id", "section", "label"} <= set(i) for i in items)
    md_token, docx_token = _tokens(links)
    assert ui.downloads.take(docx_token, {"access-token-x": "andere-sessie"}) is None
    content, name, media = ui.downloads.take(docx_token, COOKIES)
    assert name.endswith(".docx") and media.startswith("application/vnd.openxmlformats")
    assert '"Wat is uw functie, en wat vraagt die functie van u?"' in _docx_text(content)
    content, name, _ = ui.downloads.take(md_token, COOKIES)
    assert content.decode() == script and name.endswith(".md")
    assert export_msg == "" and len(stand_in.calls) == 1


def test_export_redacts_notes_and_never_gives_them_to_the_assistant(tab, caplog):
    ui, stand_in = tab
    _v, _t, _l, _d, _s, items, script, _e = ui.intake_companion("eerste_contact", ARTS, ORG, "", "s1", _req())
    n = len(items)
    checks = [k == 1 for k in range(n)]
    notes = ["" for _ in range(n)]
    notes[1] = NOTE
    with caplog.at_level("DEBUG"):
        msg = ui.intake_export(_req(), script, items, *checks, *notes)
    assert "1 van" in msg and "1 notitie" in msg
    md_token, docx_token = _tokens(msg)
    md = ui.downloads.take(md_token, COOKIES)[0].decode()
    docx = _docx_text(ui.downloads.take(docx_token, COOKIES)[0])
    for out in (md, docx):
        assert "123456782" not in out and "12345678" not in out and "Jan de Vries" not in out
        assert "BSN" in out
    assert md.count("- [x] ") == 1
    assert len(stand_in.calls) == 1                                # only the build, not the export
    assert "Jan de Vries" not in caplog.text and "123456782" not in caplog.text
    with pytest.raises(gr.Error):                                  # nothing to export yet
        ui.intake_export(_req(), "", [])
    with pytest.raises(gr.Error):                                  # no session to bind the file to
        ui.intake_export(gr.Request(username="u-casemanager"), script, items, *checks, *notes)


def test_downloads_store_binary_files(tmp_path):
    from app.downloads import DownloadStore

    store = DownloadStore(tmp_path / "dl", lambda user: "casemanager")
    url = store.create(cookies=COOKIES, user="u", roles=("casemanager",), filename="a.docx",
                       media_type="application/octet-stream", binary=True, write=lambda fh: fh.write(b"PK\x03\x04"))
    assert store.take(url.rsplit("/", 1)[1], COOKIES)[0] == b"PK\x03\x04"


def test_the_tab_builds_with_the_checklist():
    from app.ui.intake import INTAKE_CSS, NOTES_HINT_UI

    assert "niet naar de assistent" in NOTES_HINT_UI and "niet naar het auditlog" in NOTES_HINT_UI
    assert "gemaskeerd" in NOTES_HINT_UI
    assert "overflow-wrap: break-word" in INTAKE_CSS and "max-width: 600px" in INTAKE_CSS

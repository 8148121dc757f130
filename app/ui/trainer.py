"""The trainer tab ("Evaluatie"): run the eval suite (all, one group or one case), the corpus test
split apart, edit trainer cases, add intent examples. All text Dutch; usable at 390 px width."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from app.ui.layout import CHAT_ROLES, EVAL_ROLES, ROLE_LABELS, _md_escape, _short, guarded

TABLE_HEADERS = ["vraag", "rol", "verwacht", "antwoord (ingekort)", "oordeel", "waarom"]
CORPUS_FILE = "corpus-testsplit-latest.json"
NEW_CASE = ("(nieuwe case)", "")
ALL_GROUPS = ("(kies een categorie)", "")
NO_CASE = ("(kies een case)", "")

# Phone width: headers never split mid-word, wide tables scroll inside their own box, rows wrap.
TRAINER_CSS = """
#tab-eval, #tab-eval * { box-sizing: border-box; }
#tab-eval { max-width: 100%; overflow-x: hidden; }
#tab-eval h1, #tab-eval h2, #tab-eval h3, #tab-eval th, #tab-eval label span, #tab-eval button {
  word-break: normal; overflow-wrap: normal; hyphens: manual; }
#tab-eval .tda-eval-md table { display: block; max-width: 100%; overflow-x: auto; }
#tab-eval .tda-eval-md td, #tab-eval .tda-eval-md th { white-space: normal; word-break: normal; }
#tda-eval-table { max-width: 100%; overflow-x: auto; }
#tda-eval-table table { min-width: 56rem; }
#tda-eval-table th, #tda-eval-table th * { white-space: nowrap; word-break: keep-all; overflow-wrap: normal; }
#tda-eval-table td { word-break: normal; overflow-wrap: anywhere; }
@media (max-width: 640px) {
  #tab-eval .row, #tab-eval .form { flex-wrap: wrap; }
  #tab-eval .row > *, #tab-eval .form > * { min-width: 100% !important; }
}
"""


class TrainerTab:
    """The trainer tab of :class:`app.ui.app.TdaUI` (a mixin: uses ``role_for``, ``assistant``,
    ``turns`` and ``out_dir`` of the app)."""

    # -- trainer: evaluation -------------------------------------------------------------------
    @guarded
    def run_eval(self, request: gr.Request, progress=gr.Progress()):
        """Run every case (project, trainer and reference cases) with a progress bar.

        Returns:
            ``(metrics markdown, table rows, rows state, report download, status)``.
        """
        self.role_for(request, EVAL_ROLES)
        from evals.runner import load_default_cases

        return self._run_and_show(load_default_cases(getattr(self.assistant, "settings", None)), progress)

    @guarded
    def run_group(self, group, request: gr.Request, progress=gr.Progress()):
        """Run the cases of one group (category); same outputs as :meth:`run_eval`."""
        self.role_for(request, EVAL_ROLES)
        if not group:
            raise gr.Error("Kies eerst een categorie.", title="Geen categorie gekozen", print_exception=False)
        return self._run_and_show(self._all_cases(), progress, group=str(group))

    @guarded
    def run_one_case(self, case_id, request: gr.Request, progress=gr.Progress()):
        """Run one case (every phrasing); same outputs as :meth:`run_eval`."""
        self.role_for(request, EVAL_ROLES)
        if not case_id:
            raise gr.Error("Kies eerst een case.", title="Geen case gekozen", print_exception=False)
        return self._run_and_show(self._all_cases(), progress, case_id=str(case_id))

    def _all_cases(self):
        from evals.runner import load_default_cases

        return load_default_cases(getattr(self.assistant, "settings", None))

    def _run_and_show(self, cases, progress, *, group: str | None = None, case_id: str | None = None):
        from evals.report import group_nl, row_nl, write_report
        from evals.runner import run_selection

        progress(0.0, desc="Evaluatie gestart")

        def cb(done: int, total: int) -> None:
            total = max(1, int(total))
            progress(min(1.0, int(done) / total), desc=f"Run {int(done)} van {total}")

        try:
            result = run_selection(self.assistant, cases, group=group, case_id=case_id, progress=cb)
        except KeyError:
            raise gr.Error("Die case of categorie bestaat niet (meer). Open het tabblad opnieuw.",
                           title="Niet gevonden", print_exception=False) from None
        out = self.out_dir / f"eval-{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}"
        paths = write_report(result, out, generalisation=self._latest_corpus())
        rows = []
        for r in result.results:
            d = row_nl(r)
            rows.append([_short(d["vraag"], 160), d["rol"], d["verwacht"], _short(d["antwoord"], 160),
                         d["oordeel"], d["waarom"]])
        if case_id:
            scope = f"Alleen case **{_md_escape(case_id)}**."
        elif group:
            scope = f"Alleen de categorie **{_md_escape(group_nl(group))}**."
        else:
            scope = "Projectcases, uw eigen cases en de referentiecases; de regels zijn hierop afgestemd."
        failing = len(result.failing())
        status = (f"{len(rows)} runs, waarvan {failing} niet geslaagd. "
                  f"Rapport: {html.escape(paths['html'].name)} in {html.escape(out.name)}")
        return (_metrics_markdown(result, scope, full=not (group or case_id)), rows, rows,
                gr.DownloadButton(value=str(paths["html"]), visible=True), status)

    @guarded
    def run_corpus(self, request: gr.Request, progress=gr.Progress()):
        """Run the intent corpus test split through the assistant (minutes); shown apart from the cases."""
        self.role_for(request, EVAL_ROLES)
        from evals.runner import run_corpus_split

        progress(0.0, desc="Testsplit gestart")

        def cb(done: int, total: int) -> None:
            total = max(1, int(total))
            progress(min(1.0, int(done) / total), desc=f"Bericht {int(done)} van {total}")

        g = run_corpus_split(self.assistant, progress=cb)
        g["finished"] = datetime.now().strftime("%d-%m-%Y %H:%M")
        path = self.out_dir / CORPUS_FILE
        path.write_text(json.dumps(g, ensure_ascii=False), encoding="utf-8")
        return _corpus_markdown(g)

    def _latest_corpus(self) -> dict | None:
        path = Path(self.out_dir) / CORPUS_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        except (OSError, ValueError):
            return None

    @guarded
    def filter_eval(self, rows, failing_only, request: gr.Request):
        """Filter the last eval results to the runs that did not pass."""
        self.role_for(request, EVAL_ROLES)
        return _rows_to_table(rows or [], failing_only=bool(failing_only))

    @guarded
    def trainer_cases(self, request: gr.Request):
        """Refresh the pickers: the "case bewerken" list, the file overview, the group and case pickers
        of "één case of categorie draaien", and the last corpus test split figures."""
        self.role_for(request, EVAL_ROLES)
        return self._pickers("")

    @guarded
    def refresh_after_save(self, case_id, request: gr.Request):
        """After a save: the same refresh as opening the tab, with the saved case selected for editing."""
        self.role_for(request, EVAL_ROLES)
        return self._pickers(str(case_id or "").strip())

    def _pickers(self, selected: str):
        from evals.report import group_nl
        from evals.trainer import list_case_files, list_trainer_cases

        settings = getattr(self.assistant, "settings", None)
        own = list_trainer_cases(settings)
        files = list_case_files(settings)
        counts: dict[str, list[int]] = {}
        for f in files:
            c = counts.setdefault(f["suite"], [0, 0])
            c[0] += f["cases"]
            c[1] += f["runs"]
        suite_names = {"project": "Projectcases (alleen lezen)", "trainer": "Uw eigen cases (bewerkbaar)",
                       "reference": "Referentiecases (alleen lezen)"}
        info = "\n".join(f"- {suite_names.get(s, s)}: {n} cases, {r} runs" for s, (n, r) in counts.items())
        cases = self._all_cases()
        groups: dict[str, int] = {}
        for c in cases:
            groups[c.category] = groups.get(c.category, 0) + 1
        group_choices = [ALL_GROUPS] + [(f"{group_nl(g)} ({n})", g) for g, n in sorted(
            groups.items(), key=lambda kv: group_nl(kv[0]))]
        case_choices = [NO_CASE] + [(_case_label(c, group_nl(c.category)), c.id) for c in cases]
        edit_choices = [NEW_CASE] + [(_case_label(c, None), c.id) for c in own]
        value = selected if selected and any(c.id == selected for c in own) else ""
        corpus = self._latest_corpus()
        return (gr.Dropdown(choices=edit_choices, value=value), info,
                gr.Dropdown(choices=group_choices, value=""), gr.Dropdown(choices=case_choices, value=""),
                _corpus_markdown(corpus) if corpus else CORPUS_NOT_RUN)

    @guarded
    def load_case(self, case_id, request: gr.Request):
        """Fill the case form with an existing trainer case."""
        self.role_for(request, EVAL_ROLES)
        from evals.trainer import list_trainer_cases

        empty = ("", "employer", "", "answer", "", "", "")
        if not case_id:
            return empty
        case = next((c for c in list_trainer_cases(getattr(self.assistant, "settings", None))
                     if c.id == case_id), None)
        if case is None:
            return empty
        messages = case.messages if case.messages is not None else [case.message or ""]
        mention = "\n".join(", ".join(group) for group in case.must_mention_any)
        return (case.id, case.role, "\n".join(messages), case.expected, mention,
                ", ".join(case.tags), case.notes)

    @guarded
    def save_case(self, editing_id, case_id, role, messages, expected, mention, tags, notes,
                  request: gr.Request):
        """Validate and save a trainer case from the form (add when new, else update).

        Invalid input raises a Dutch ``gr.Error`` (Dutch title); the case list is refreshed by the
        ``success`` event that follows.
        """
        self.role_for(request, EVAL_ROLES)
        from evals.schema import LABELS, CaseError
        from evals.trainer import add_case, update_case

        settings = getattr(self.assistant, "settings", None)
        case_id = str(case_id or "").strip()
        lines = [ln.strip() for ln in str(messages or "").splitlines() if ln.strip()]
        problems = _validate_form(case_id, role, lines, expected, LABELS)
        if not problems and case_id != (editing_id or "") and case_id in self._known_ids():
            problems.append(f"De case-id ‘{case_id}’ bestaat al. Kies een andere id, of kies de case bij "
                            "‘Case bewerken’ om hem aan te passen.")
        if problems:
            raise gr.Error(html.escape(" ".join(problems)), title="Case niet opgeslagen", print_exception=False)
        case: dict[str, Any] = {"id": case_id, "role": role, "expected": expected}
        if len(lines) == 1:
            case["message"] = lines[0]
        else:
            case["messages"] = lines
        groups = [[w.strip() for w in ln.split(",") if w.strip()] for ln in str(mention or "").splitlines()]
        groups = [g for g in groups if g]
        if groups:
            case["must_mention_any"] = groups
        tag_list = [t.strip() for t in str(tags or "").split(",") if t.strip()]
        if tag_list:
            case["tags"] = tag_list
        if notes and str(notes).strip():
            case["notes"] = str(notes).strip()
        try:
            saved = update_case(settings, editing_id, case) if editing_id else add_case(settings, case)
        except (CaseError, ValueError) as exc:
            raise gr.Error(html.escape(_dutch_case_error(str(exc))), title="Case niet opgeslagen",
                           print_exception=False) from None
        verb = "bijgewerkt" if editing_id else "toegevoegd"
        return (f"Case **{html.escape(saved.id)}** {verb}; hij staat in de lijsten hierboven en telt mee in "
                "de volgende evaluatie.")

    def _known_ids(self) -> set[str]:
        try:
            return {c.id for c in self._all_cases()}
        except Exception:  # noqa: BLE001 - the save itself checks again
            return set()

    @guarded
    def add_intent_example(self, intent_id, role, text, counter_intent, request: gr.Request,
                           progress=gr.Progress()):
        """Append a trainer's example to an intent file and rebuild the intent model."""
        self.role_for(request, EVAL_ROLES)
        from guardrails.intent.corpus import add_example

        counter = str(counter_intent or "").strip() or None
        try:
            split = add_example(str(intent_id or ""), str(text or ""), role=role or None, counter_intent=counter)
        except ValueError as exc:
            raise gr.Error(f"Het voorbeeld is niet toegevoegd: {html.escape(str(exc))}",
                           title="Ongeldig voorbeeld") from None
        progress(0.1, desc="Intentiemodel opnieuw trainen")
        provider = getattr(getattr(self.assistant, "guardrails", None), "intent_model", None)
        if provider is not None and hasattr(provider, "reload"):
            provider.reload()
        if self.turns is not None:
            self.turns.restart()  # the workers load the new model; this process answers meanwhile
        where = ("de testset (wordt alleen gemeten, niet getraind)" if split == "test"
                 else "de trainingsset")
        return (f"Voorbeeld toegevoegd aan **{html.escape(str(intent_id))}**; het valt in {where}. "
                "Het intentiemodel is opnieuw getraind.")

    # -- layout --------------------------------------------------------------------------------
    def _build_trainer_tab(self) -> SimpleNamespace:
        """The trainer tab's components (inside the app's ``gr.Tabs``)."""
        from evals.metrics import label_nl
        from evals.schema import LABELS

        with gr.Tab("Evaluatie", id="eval", visible=False, elem_id="tab-eval") as tab_eval:
            gr.HTML(f"<style>{TRAINER_CSS}</style>", elem_id="tda-eval-style", padding=False)
            gr.Markdown("Draai de evaluatie en bekijk per vraag wat er verwacht werd, wat de assistent "
                        "antwoordde en waarom een run niet geslaagd is. De eigen cases en de testsplit van "
                        "het intentiecorpus staan apart.", elem_classes=["tda-eval-md"])
            run = gr.Button("Evaluatie starten (alle cases)", variant="primary", elem_id="tda-run-eval")
            with gr.Accordion("Eén categorie of één case draaien", open=True, elem_id="tda-eval-one"):
                with gr.Row():
                    pick_group = gr.Dropdown(label="Categorie", choices=[ALL_GROUPS], value="",
                                             elem_id="tda-eval-group", min_width=200)
                    run_group = gr.Button("Categorie draaien", elem_id="tda-run-group", min_width=160)
                with gr.Row():
                    pick_case = gr.Dropdown(label="Case", choices=[NO_CASE], value="", filterable=True,
                                            elem_id="tda-eval-case", min_width=200)
                    run_case = gr.Button("Case draaien", elem_id="tda-run-case", min_width=160)
            eval_status = gr.Markdown("", elem_id="tda-eval-status")
            metrics = gr.Markdown("", elem_id="tda-eval-metrics", elem_classes=["tda-eval-md"])
            failing_only = gr.Checkbox(label="Alleen niet geslaagde runs tonen", value=False,
                                       elem_id="tda-eval-failing")
            eval_rows = gr.State([])
            eval_table = gr.Dataframe(headers=TABLE_HEADERS, interactive=False, wrap=True, max_height=600,
                                      column_widths=["260px", "130px", "150px", "280px", "120px", "220px"],
                                      elem_id="tda-eval-table")
            eval_dl = gr.DownloadButton("Rapport downloaden (HTML)", visible=False, elem_id="tda-eval-download")
            gr.Markdown("### Generalisatie: testsplit van het intentiecorpus\n"
                        "Berichten waarop nooit is getraind of afgestemd, door dezelfde assistent. Deze "
                        "cijfers staan los van de eigen cases en komen ook in het rapport.",
                        elem_classes=["tda-eval-md"])
            corpus = gr.Markdown(CORPUS_NOT_RUN, elem_id="tda-eval-corpus", elem_classes=["tda-eval-md"])
            run_corpus = gr.Button("Testsplit draaien (ongeveer 2000 berichten, enkele minuten)",
                                   elem_id="tda-run-corpus")
            with gr.Accordion("Case toevoegen of bewerken", open=False, elem_id="tda-case-form"):
                case_files_md = gr.Markdown("", elem_classes=["tda-eval-md"])
                editing = gr.Dropdown(label="Case bewerken", choices=[NEW_CASE], value="",
                                      elem_id="tda-case-editing")
                with gr.Row():
                    c_id = gr.Textbox(label="Case-id", placeholder="bijv. trainer-diagnose-01", min_width=200,
                                      elem_id="tda-case-id")
                    c_role = gr.Dropdown(label="Rol van de vrager", min_width=200, value="employer",
                                         choices=[(ROLE_LABELS.get(r, r), r) for r in CHAT_ROLES],
                                         elem_id="tda-case-role")
                    c_expected = gr.Dropdown(label="Verwachte uitkomst", value="answer", min_width=200,
                                             choices=[(label_nl(lab), lab) for lab in LABELS],
                                             elem_id="tda-case-expected")
                c_messages = gr.Textbox(label="Vraag (één formulering per regel)", lines=3,
                                        elem_id="tda-case-messages")
                c_mention = gr.Textbox(label="Moet noemen (optioneel): per regel een groep woorden, "
                                             "gescheiden door komma's; één woord per groep is genoeg", lines=2)
                with gr.Row():
                    c_tags = gr.Textbox(label="Labels (gescheiden door komma's)", min_width=200)
                    c_notes = gr.Textbox(label="Notitie", min_width=200)
                save = gr.Button("Case opslaan", elem_id="tda-case-save")
                case_status = gr.Markdown("", elem_id="tda-case-status")
            with gr.Accordion("Voorbeeld aan een intentie toevoegen", open=False, elem_id="tda-intent-form"):
                gr.Markdown("Leer het intentiemodel een formulering: kies de intentie, de rol en typ "
                            "het bericht. Een tegenvoorbeeld is een toegestaan bericht dat op de "
                            "intentie lijkt. Het model wordt daarna opnieuw getraind.")
                with gr.Row():
                    i_intent = gr.Dropdown(label="Intentie", choices=_intent_choices(),
                                           elem_id="tda-intent-id", min_width=200)
                    i_role = gr.Dropdown(label="Rol", choices=[(ROLE_LABELS.get(r, r), r) for r in CHAT_ROLES],
                                         value="employer", min_width=200)
                    i_counter = gr.Dropdown(label="Tegenvoorbeeld van (toegestane intentie)",
                                            choices=[("(geen: gewoon voorbeeld)", "")] + _allow_choices(),
                                            value="", min_width=200)
                i_text = gr.Textbox(label="Bericht", lines=2, elem_id="tda-intent-text")
                i_save = gr.Button("Voorbeeld toevoegen", elem_id="tda-intent-save")
                i_status = gr.Markdown("", elem_id="tda-intent-status")
        return SimpleNamespace(tab=tab_eval, run=run, status=eval_status, metrics=metrics,
                               pick_group=pick_group, run_group=run_group, pick_case=pick_case, run_case=run_case,
                               corpus=corpus, run_corpus=run_corpus,
                               failing_only=failing_only, rows=eval_rows, table=eval_table, download=eval_dl,
                               case_files=case_files_md, editing=editing, c_id=c_id, c_role=c_role,
                               c_expected=c_expected, c_messages=c_messages, c_mention=c_mention, c_tags=c_tags,
                               c_notes=c_notes, save=save, case_status=case_status, i_intent=i_intent,
                               i_role=i_role, i_counter=i_counter, i_text=i_text, i_save=i_save, i_status=i_status)

    def _wire_trainer_tab(self, c: SimpleNamespace) -> None:
        """The trainer tab's events."""
        outputs = [c.metrics, c.table, c.rows, c.download, c.status]
        c.run.click(self.run_eval, None, outputs, api_name="eval_run")
        c.run_group.click(self.run_group, c.pick_group, outputs, api_name="eval_run_group")
        c.run_case.click(self.run_one_case, c.pick_case, outputs, api_name="eval_run_case")
        c.run_corpus.click(self.run_corpus, None, c.corpus, api_name="eval_corpus")
        c.failing_only.change(self.filter_eval, [c.rows, c.failing_only], c.table, api_name="eval_filter")
        pickers = [c.editing, c.case_files, c.pick_group, c.pick_case, c.corpus]
        c.tab.select(self.trainer_cases, None, pickers, api_name="eval_cases")
        c.editing.change(self.load_case, c.editing, [c.c_id, c.c_role, c.c_messages, c.c_expected, c.c_mention,
                                                     c.c_tags, c.c_notes], api_visibility="private")
        c.save.click(self.save_case, [c.editing, c.c_id, c.c_role, c.c_messages, c.c_expected, c.c_mention,
                                      c.c_tags, c.c_notes],
                     c.case_status, api_name="eval_case_save").success(
            self.refresh_after_save, c.c_id, pickers, api_visibility="private")
        c.i_save.click(self.add_intent_example, [c.i_intent, c.i_role, c.i_text, c.i_counter], c.i_status,
                       api_name="eval_intent_example")


CORPUS_NOT_RUN = ("_Nog niet gedraaid in deze sessie van de app. De cijfers van `tda eval` staan in de "
                  "terminal; hier draait u de testsplit met de knop hieronder._")


def _metrics_markdown(result, scope: str, *, full: bool) -> str:
    """The own-cases section: scope, headline figures (Dutch), per group, and the release gate."""
    from evals.report import gate_nl, group_nl, summary_rows_nl

    lines = ["### Eigen cases", "", scope, "", "| metriek | waarde |", "| --- | --- |"]
    lines += [f"| {_md_escape(n)} | {_md_escape(v)} |" for n, v in summary_rows_nl(result)]
    groups = result.metrics.get("per_group", {})
    if len(groups) > 1:
        lines += ["", "| categorie | runs | geslaagd | juiste beslissing |", "| --- | --- | --- | --- |"]
        for g, s in groups.items():
            lines.append(f"| {_md_escape(group_nl(g))} | {s['runs']} | {s['passed']} | "
                         f"{_md_escape(_pct(s['decision_accuracy']))} |")
    lines.append("")
    if full:
        lines.append("**Releasepoort:** " + _md_escape(gate_nl(result)))
    else:
        lines.append("_De releasepoort geldt alleen voor een volledige evaluatie._")
    return "\n".join(lines)


def _pct(value) -> str:
    from evals.report import _pct as pct

    return pct(value)


def _corpus_markdown(g: dict) -> str:
    """The corpus test split section (Dutch), apart from the own cases."""
    from evals.report import corpus_rows_nl

    lines = []
    if g.get("finished"):
        lines += [f"Gedraaid op {_md_escape(g['finished'])}.", ""]
    lines += ["| metriek | waarde |", "| --- | --- |"]
    lines += [f"| {_md_escape(n)} | {_md_escape(v)} |" for n, v in corpus_rows_nl(g)]
    fails = g.get("failures") or []
    if fails:
        lines += ["", f"{len(fails)} berichten fout beoordeeld; ze staan in het rapport van de volgende evaluatie."]
    return "\n".join(lines)


def _case_label(case, group: str | None) -> str:
    """A readable picker label: the question, then the group (the id last, small)."""
    from evals.report import printable

    texts = case.phrasings() if case.message is not None or case.messages else []
    first = " ".join(printable((texts[0] if texts else "")[:200]).split()) or "(leeg bericht)"
    label = _short(first, 70)
    if len(texts) > 1:
        label += f" (+{len(texts) - 1} formuleringen)"
    if group:
        label += f" — {group}"
    return f"{label} [{case.id}]"


_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{1,80}$")


def _validate_form(case_id: str, role, lines: list[str], expected, labels) -> list[str]:
    """Dutch messages for what is missing or wrong in the case form (empty list when it is fine)."""
    problems = []
    if not case_id:
        problems.append("Vul een case-id in (bijv. trainer-diagnose-01).")
    elif not _ID_RE.match(case_id):
        problems.append("De case-id mag alleen letters, cijfers en de tekens _ . : - bevatten, zonder spaties "
                        "of #, en is 2 tot 81 tekens lang.")
    if role not in CHAT_ROLES:
        problems.append("Kies de rol van de vrager.")
    if not lines:
        problems.append("Vul minstens één vraag in (één formulering per regel).")
    if expected not in labels:
        problems.append("Kies de verwachte uitkomst.")
    return problems


def _dutch_case_error(message: str) -> str:
    """The case store's (English) validation message in Dutch; unknown details are kept after a Dutch lead."""
    m = re.search(r"case id '([^']*)' already exists", message)
    if m:
        return f"De case-id ‘{m.group(1)}’ bestaat al. Kies een andere id."
    m = re.search(r"no trainer case with id '([^']*)'", message)
    if m:
        return f"Er is geen eigen case met id ‘{m.group(1)}’ (meer). Open het tabblad opnieuw."
    if "invalid case id" in message:
        return "De case-id mag alleen letters, cijfers en de tekens _ . : - bevatten, zonder spaties of #."
    if "must_mention_any" in message:
        return "Elke regel bij ‘Moet noemen’ heeft minstens één woord nodig."
    return f"De case is niet geldig. Technische melding: {message}"


def _intent_choices() -> list[tuple[str, str]]:
    """(label, id) of every intent in the corpus, for the trainer's form."""
    from guardrails.intent.corpus import INTENT_DIR, load_intent_file

    out = []
    for path in sorted(INTENT_DIR.glob("*.yaml")):
        try:
            spec = load_intent_file(path)
        except Exception:
            continue
        verdict = "weigeren" if spec.decision == "refuse" else "toegestaan"
        out.append((f"{spec.id} ({verdict}): {spec.description[:60]}", spec.id))
    return out


def _allow_choices() -> list[tuple[str, str]]:
    from guardrails.intent.corpus import ALLOW_INTENTS

    return [(i, i) for i in ALLOW_INTENTS]


def _rows_to_table(rows: list[list], *, failing_only: bool) -> list[list]:
    from evals.metrics import VERDICT_PASS

    return [r for r in rows if not failing_only or (len(r) > 4 and r[4] != VERDICT_PASS)]

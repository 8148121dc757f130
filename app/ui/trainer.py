"""The trainer tab ("Evaluatie"): run the eval suite, edit trainer cases, add intent examples."""

from __future__ import annotations

import html
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import gradio as gr

from app.ui.layout import CHAT_ROLES, EVAL_ROLES, _md_escape, _short, guarded


class TrainerTab:
    """The trainer tab of :class:`app.ui.app.TdaUI` (a mixin: uses ``role_for``, ``assistant``,
    ``turns`` and ``out_dir`` of the app)."""

    # -- trainer: evaluation -------------------------------------------------------------------
    @guarded
    def run_eval(self, request: gr.Request, progress=gr.Progress()):
        """Run the eval suite with a progress bar.

        Returns:
            ``(metrics markdown, table rows, rows state, report download, status)``.
        """
        self.role_for(request, EVAL_ROLES)
        from evals.report import summary_rows, write_report
        from evals.runner import load_default_cases, run_suite

        settings = getattr(self.assistant, "settings", None)
        cases = load_default_cases(settings)
        progress(0.0, desc="Evaluatie gestart")

        def cb(done: int, total: int) -> None:
            total = max(1, int(total))
            progress(min(1.0, int(done) / total), desc=f"Run {int(done)} van {total}")

        result = run_suite(self.assistant, cases, progress=cb)
        out = self.out_dir / f"eval-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
        paths = write_report(result, out)
        rows = [[r.run_id, r.role, r.expected, r.got_label or "", "ja" if r.passed else "nee",
                 _short("; ".join(r.failures), 300)] for r in result.results]
        table = ["| metriek | waarde |", "| --- | --- |"]
        table += [f"| {_md_escape(n)} | {_md_escape(v)} |" for n, v in summary_rows(result)]
        gate = result.gate()
        table.append("")
        table.append("**Poort:** " + ("groen" if not gate else "rood: " + _md_escape("; ".join(gate))))
        failing = len(result.failing())
        status = f"{len(rows)} runs, waarvan {failing} mislukt. Rapport: {paths['html'].name}"
        return ("\n".join(table), rows, rows,
                gr.DownloadButton(value=str(paths["html"]), visible=True), status)

    @guarded
    def filter_eval(self, rows, failing_only, request: gr.Request):
        """Filter the last eval results to failing cases."""
        self.role_for(request, EVAL_ROLES)
        return _rows_to_table(rows or [], failing_only=bool(failing_only))

    @guarded
    def trainer_cases(self, request: gr.Request):
        """Choices for the "case bewerken" dropdown: the trainer's own cases, plus the file list."""
        self.role_for(request, EVAL_ROLES)
        from evals.trainer import list_case_files, list_trainer_cases

        settings = getattr(self.assistant, "settings", None)
        ids = [c.id for c in list_trainer_cases(settings)]
        files = list_case_files(settings)
        info = "\n".join(f"- `{_md_escape(f['name'])}` ({f['suite']}): {f['cases']} cases, {f['runs']} runs"
                         + (" — bewerkbaar" if f.get("editable") else "") for f in files)
        return gr.Dropdown(choices=[("(nieuwe case)", "")] + [(i, i) for i in ids], value=""), info

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
        """Validate and save a trainer case from the form (add when new, else update)."""
        self.role_for(request, EVAL_ROLES)
        from evals.schema import CaseError
        from evals.trainer import add_case, update_case

        lines = [ln.strip() for ln in str(messages or "").splitlines() if ln.strip()]
        if not lines:
            raise gr.Error("Vul minstens één bericht in (één per regel).", title="Ongeldige case")
        case: dict[str, Any] = {"id": str(case_id or "").strip(), "role": role, "expected": expected}
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
        settings = getattr(self.assistant, "settings", None)
        try:
            saved = update_case(settings, editing_id, case) if editing_id else add_case(settings, case)
        except (CaseError, ValueError) as exc:
            raise gr.Error(f"De case is niet opgeslagen: {html.escape(str(exc))}", title="Ongeldige case") from None
        verb = "bijgewerkt" if editing_id else "toegevoegd"
        return f"Case **{html.escape(saved.id)}** {verb}; hij telt mee in de volgende evaluatie."

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
        with gr.Tab("Evaluatie", id="eval", visible=False, elem_id="tab-eval") as tab_eval:
            gr.Markdown("Draai de evaluatieset (projectcases, uw eigen cases en de referentiecases) "
                        "en bekijk welke cases falen.")
            run = gr.Button("Evaluatie starten", variant="primary", elem_id="tda-run-eval")
            eval_status = gr.Markdown("", elem_id="tda-eval-status")
            metrics = gr.Markdown("", elem_id="tda-eval-metrics")
            failing_only = gr.Checkbox(label="Alleen mislukte cases tonen", value=False,
                                       elem_id="tda-eval-failing")
            eval_rows = gr.State([])
            eval_table = gr.Dataframe(headers=["run", "rol", "verwacht", "gekregen", "geslaagd",
                                               "toelichting"],
                                      interactive=False, wrap=True, elem_id="tda-eval-table")
            eval_dl = gr.DownloadButton("Download rapport (HTML)", visible=False,
                                        elem_id="tda-eval-download")
            with gr.Accordion("Case toevoegen of bewerken", open=False, elem_id="tda-case-form"):
                case_files_md = gr.Markdown("")
                editing = gr.Dropdown(label="Case bewerken", choices=[("(nieuwe case)", "")], value="")
                with gr.Row():
                    c_id = gr.Textbox(label="Case-id", placeholder="bijv. trainer-diagnose-01")
                    c_role = gr.Dropdown(label="Rol", choices=list(CHAT_ROLES), value="employer")
                    c_expected = gr.Dropdown(label="Verwachte uitkomst", value="answer", choices=[
                        "answer", "partial", "not_found", "refuse_medical", "refuse_delegation",
                        "refuse_health_data", "refuse_injection", "refuse_out_of_scope"])
                c_messages = gr.Textbox(label="Bericht(en), één formulering per regel", lines=3)
                c_mention = gr.Textbox(label="Moet noemen (optioneel): per regel een groep "
                                             "woordstammen, gescheiden door komma's", lines=2)
                with gr.Row():
                    c_tags = gr.Textbox(label="Tags (komma's)")
                    c_notes = gr.Textbox(label="Notitie")
                save = gr.Button("Case opslaan", elem_id="tda-case-save")
                case_status = gr.Markdown("")
            with gr.Accordion("Voorbeeld aan een intentie toevoegen", open=False, elem_id="tda-intent-form"):
                gr.Markdown("Leer het intentiemodel een formulering: kies de intentie, de rol en typ "
                            "het bericht. Een tegenvoorbeeld is een toegestaan bericht dat op de "
                            "intentie lijkt. Het model wordt daarna opnieuw getraind.")
                with gr.Row():
                    i_intent = gr.Dropdown(label="Intentie", choices=_intent_choices(),
                                           elem_id="tda-intent-id")
                    i_role = gr.Dropdown(label="Rol", choices=list(CHAT_ROLES), value="employer")
                    i_counter = gr.Dropdown(label="Tegenvoorbeeld van (toegestane intentie)",
                                            choices=[("(geen: gewoon voorbeeld)", "")] + _allow_choices(),
                                            value="")
                i_text = gr.Textbox(label="Bericht", lines=2, elem_id="tda-intent-text")
                i_save = gr.Button("Voorbeeld toevoegen", elem_id="tda-intent-save")
                i_status = gr.Markdown("", elem_id="tda-intent-status")
        return SimpleNamespace(tab=tab_eval, run=run, status=eval_status, metrics=metrics,
                               failing_only=failing_only, rows=eval_rows, table=eval_table, download=eval_dl,
                               case_files=case_files_md, editing=editing, c_id=c_id, c_role=c_role,
                               c_expected=c_expected, c_messages=c_messages, c_mention=c_mention, c_tags=c_tags,
                               c_notes=c_notes, save=save, case_status=case_status, i_intent=i_intent,
                               i_role=i_role, i_counter=i_counter, i_text=i_text, i_save=i_save, i_status=i_status)

    def _wire_trainer_tab(self, c: SimpleNamespace) -> None:
        """The trainer tab's events."""
        c.run.click(self.run_eval, None, [c.metrics, c.table, c.rows, c.download, c.status], api_name="eval_run")
        c.failing_only.change(self.filter_eval, [c.rows, c.failing_only], c.table, api_name="eval_filter")
        c.tab.select(self.trainer_cases, None, [c.editing, c.case_files], api_name="eval_cases")
        c.editing.change(self.load_case, c.editing, [c.c_id, c.c_role, c.c_messages, c.c_expected, c.c_mention,
                                                     c.c_tags, c.c_notes], api_visibility="private")
        c.save.click(self.save_case, [c.editing, c.c_id, c.c_role, c.c_messages, c.c_expected, c.c_mention,
                                      c.c_tags, c.c_notes],
                     c.case_status, api_name="eval_case_save")
        c.i_save.click(self.add_intent_example, [c.i_intent, c.i_role, c.i_text, c.i_counter], c.i_status,
                       api_name="eval_intent_example")


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
    return [r for r in rows if not failing_only or (len(r) > 4 and r[4] != "ja")]

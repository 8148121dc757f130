"""``tda audit``: verify, list, export and purge the audit log.

Examples:
    tda audit verify
    tda audit list --role employer --decision refuse --from 2026-11-01 --json
    tda audit export --format csv --out audit.csv --rule employer.no_diagnosis_questions
    tda audit purge --before 2026-01-01
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from app.reply import CATEGORIES
from app.settings import ROLES


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"ongeldige datum {text!r}, verwacht JJJJ-MM-DD") from exc


def _add_filters(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters")
    g.add_argument("--from", dest="date_from", type=_date, metavar="JJJJ-MM-DD", help="vanaf deze dag (UTC)")
    g.add_argument("--to", dest="date_to", type=_date, metavar="JJJJ-MM-DD", help="tot en met deze dag (UTC)")
    g.add_argument("--role", choices=ROLES, help="rol van de gebruiker")
    g.add_argument("--decision", choices=("answer", "refuse", "not_found"), help="beslissing")
    g.add_argument("--category", choices=CATEGORIES, help="weigeringscategorie")
    g.add_argument("--rule", dest="rule_id", metavar="RULE_ID", help="regel-id in het record")
    g.add_argument("--text", help="tekst in de geredigeerde invoer of het antwoord")
    g.add_argument("--kind", choices=("chat", "intake_script", "checkpoint"), help="soort record")
    g.add_argument("--user", help="gebruikersnaam")
    g.add_argument("--session", dest="session_id", help="sessie-id")


def _filter(args):
    from app.audit import AuditFilter

    return AuditFilter(date_from=args.date_from, date_to=args.date_to, role=args.role, decision=args.decision,
                       category=args.category, rule_id=args.rule_id, text=args.text, kind=args.kind,
                       user=args.user, session_id=args.session_id)


def _open(*, read_only: bool = False):
    from app.audit import AuditLog
    from app.settings import load_settings

    return AuditLog.open(load_settings(), read_only=read_only)


def _cmd_verify(args) -> int:
    from app.audit import Anchor

    extra = []
    for path in args.anchor or ():
        try:
            with open(path, encoding="utf-8") as fh:
                extra.append((f"het geëxporteerde anker {path}", Anchor.from_json(fh.read())))
        except (OSError, ValueError) as exc:
            print(f"fout: anker {path} is niet leesbaar ({exc})", file=sys.stderr)
            return 1
    log = _open(read_only=True)  # verification never writes: not the tables, the key or the anchor
    try:
        result = log.verify(extra)
    finally:
        log.close()
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    elif result.ok:
        anchored = f", verankerd tot en met record {result.anchored_id}" if result.anchored_id else ""
        print(f"Auditlog in orde: {_records(result.checked)} gecontroleerd, keten intact{anchored}.")
        for note in result.notes:
            print(f"Let op: {note}")
    else:
        print(f"Auditlog BESCHADIGD na {_records(result.checked)} in orde. {result.problem}")
    return 0 if result.ok else 2


def _cmd_anchor(args) -> int:
    log = _open(read_only=True)
    try:
        anchor = log.current_anchor()
    finally:
        log.close()
    if anchor is None:
        print("fout: er is (nog) geen anker", file=sys.stderr)
        return 1
    text = anchor.to_json()
    if args.out in (None, "-"):
        sys.stdout.write(text)
    else:
        import os

        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"Anker (tot en met record {anchor.last_id}) geschreven naar {args.out}. Bewaar het buiten "
              "bereik van wie de database kan wijzigen.", file=sys.stderr)
    return 0


def _cmd_rotate_key(args) -> int:
    log = _open()
    try:
        kid = log.rotate_key()
    finally:
        log.close()
    print(f"Nieuwe auditsleutel {kid} is actief; oude sleutels blijven bewaard om oude records te controleren.")
    return 0


def _records(n: int) -> str:
    return f"{n} record" if n == 1 else f"{n} records"


def _short(text: str, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _cmd_list(args) -> int:
    log = _open()
    records = log.query(_filter(args), limit=args.limit, offset=args.offset)
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=None))
        return 0
    if not records:
        print("Geen records gevonden.")
        return 0
    print(f"{'id':>6}  {'tijd (UTC)':19}  {'rol':11}  {'beslissing':10}  {'categorie':18}  regels / invoer")
    for r in records:
        rules = ",".join(r["rule_ids"] or []) if isinstance(r["rule_ids"], list) else str(r["rule_ids"])
        print(f"{r['id']:>6}  {r['ts'][:19]:19}  {r['role'] or '-':11}  {r['decision'] or r['kind']:10}  "
              f"{r['category'] or '-':18}  {_short(rules, 40)} | {_short(r['input_redacted'], 60)}")
    print(f"{_records(len(records))}.")
    return 0


def _cmd_export(args) -> int:
    log = _open()
    if args.out == "-":
        n = log.export(_filter(args), args.format, sys.stdout)
    else:
        n = log.export(_filter(args), args.format, args.out)
    print(f"{_records(n)} geëxporteerd ({args.format}) naar {args.out}.", file=sys.stderr)
    return 0


def _cmd_purge(args) -> int:
    log = _open()
    n = log.purge(args.before)
    if n:
        print(f"{_records(n)} van voor {args.before.isoformat()} verwijderd; controlepunt toegevoegd.")
    else:
        print(f"Geen records van voor {args.before.isoformat()}.")
    result = log.verify()
    if not result.ok:
        print(f"Let op: {result.problem}", file=sys.stderr)
        return 2
    return 0


def register(subparsers) -> None:
    """Add ``tda audit`` with its verbs to the ``tda`` parser."""
    p = subparsers.add_parser("audit", help="auditlog controleren, doorzoeken, exporteren, opschonen",
                              description="Het auditlog: hashketen controleren, records tonen, exporteren, opschonen.")
    verbs = p.add_subparsers(dest="audit_command", required=True)

    v = verbs.add_parser("verify", help="controleer de keten (alleen lezen)")
    v.add_argument("--json", action="store_true", help="uitslag als JSON")
    v.add_argument("--anchor", action="append", metavar="BESTAND",
                   help="controleer ook tegen een geëxporteerd anker (mag vaker)")
    v.set_defaults(func=_cmd_verify)

    an = verbs.add_parser("anchor", help="exporteer het anker (aantal records en laatste MAC)")
    an.add_argument("--out", help="bestand (standaard: stdout)")
    an.set_defaults(func=_cmd_anchor)

    rk = verbs.add_parser("rotate-key", help="maak een nieuwe auditsleutel actief")
    rk.set_defaults(func=_cmd_rotate_key)

    ls = verbs.add_parser("list", help="toon records (nieuwste eerst)")
    _add_filters(ls)
    ls.add_argument("--limit", type=int, default=50, help="maximaal aantal records (standaard 50)")
    ls.add_argument("--offset", type=int, default=0)
    ls.add_argument("--json", action="store_true", help="records als JSON")
    ls.set_defaults(func=_cmd_list)

    ex = verbs.add_parser("export", help="exporteer de gefilterde records")
    ex.add_argument("--format", choices=("csv", "jsonl"), required=True)
    ex.add_argument("--out", required=True, help="bestand, of - voor stdout")
    _add_filters(ex)
    ex.set_defaults(func=_cmd_export)

    pu = verbs.add_parser("purge", help="verwijder records ouder dan een datum (bewaartermijn)")
    pu.add_argument("--before", type=_date, required=True, metavar="JJJJ-MM-DD")
    pu.set_defaults(func=_cmd_purge)

"""``tda ask --role ROLE [--json] MESSAGE``: one turn, as the app would answer it."""

from __future__ import annotations

import json
import sys

from app.settings import ROLES


def register(sub) -> None:
    p = sub.add_parser("ask", help="stel één vraag, zoals de app die beantwoordt")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--json", action="store_true", help="print het antwoordobject als JSON")
    p.add_argument("--explain", action="store_true",
                   help="met --json: voeg de railbeslissingen toe (intentie, score, drempel, dichtstbijzijnde voorbeelden)")
    p.add_argument("--user", default="cli")
    p.add_argument("message", nargs="*", help="de vraag (leeg: lees van stdin)")
    p.set_defaults(func=run)


def run(args) -> int:
    from app.assistant import Assistant

    message = " ".join(args.message) if args.message else sys.stdin.read()
    assistant = Assistant.load(warm=False)
    for notice in assistant.notices:
        print(notice, file=sys.stderr)
    reply = assistant.respond(message, role=args.role, history=[], session_id="cli", user=args.user)
    if args.json:
        d = reply.to_dict()
        if args.explain:   # outside the contract, so only on request
            d["decisions"] = reply.to_full_dict()["decisions"]
        print(json.dumps(d, ensure_ascii=False, indent=2))
        return 0
    print(reply.text)
    for i, c in enumerate(reply.citations, 1):
        print(f"\n[{i}] {c.title} — {c.section} (regels {c.lines[0]}-{c.lines[1]})\n    \"{c.quote}\"")
    for r in reply.rules:
        print(f"\nregel {r.id}: {r.reason} (bron {r.source}, regels {r.lines[0]}-{r.lines[1]})")
    for n in reply.notices:
        print(f"\nlet op: {n}")
    return 0

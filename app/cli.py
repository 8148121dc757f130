"""The ``tda`` console script. Each verb lives in its own module under app/commands/."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

import app  # noqa: F401  (sets the offline environment first)
from app.logging_setup import setup_logging

COMMANDS = ("ingest", "ask", "serve", "users", "eval", "audit", "profile")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tda", description="Guarded assistant for verzuim-casemanagement.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"app.commands.{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Everything tda writes (audit log and its WAL/SHM, keys, anchor, exports, index, reports) is
    # for the user running it only: files 0600, directories 0700.
    os.umask(0o077)
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(verbose=args.verbose)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear message instead of a traceback
        if args.verbose:
            raise
        print(f"fout: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""``tda ingest [--rebuild]``: build the knowledge index with a progress bar."""

from __future__ import annotations

import sys
import time


def register(sub) -> None:
    p = sub.add_parser("ingest", help="bouw de kennisindex (Chroma + BM25) uit de bronnen")
    p.add_argument("--rebuild", action="store_true", help="opnieuw opbouwen, ook als de index actueel is")
    p.set_defaults(func=run)


def run(args) -> int:
    from app.commands.progress import progress_bar
    from app.settings import load_settings
    from knowledge.index import KnowledgeIndex

    settings = load_settings()
    t = time.perf_counter()
    index = KnowledgeIndex.load_or_build(settings, rebuild=args.rebuild,
                                         progress=progress_bar("passages indexeren", "passage"))
    for notice in index.notices:
        print(notice, file=sys.stderr)
    print(f"kennisindex gereed: {len(index.chunks)} passages uit 5 documenten in {settings.data_dir} "
          f"({time.perf_counter() - t:.1f} s)")
    from guardrails.intent.store import load_or_build

    t = time.perf_counter()
    model = load_or_build(settings.intent_dir, config=settings.intent_config(), rebuild=args.rebuild,
                          cache_dir=settings.cache_path)
    print(f"intentmodel gereed: {len(model.classes)} intenties, drempels per rol {model.thresholds} "
          f"({time.perf_counter() - t:.1f} s)")
    return 0

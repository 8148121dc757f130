"""A fast-loading copy of deduce's lookup structures.

deduce keeps its lookup tables (first names, surnames, 775k streets, 431k care institutions, ...)
as a pickle of nested ``LookupTrie`` objects: about three million small objects, 8-16 s to unpickle
on this machine, paid by every process on its first name lookup. This module converts those tries
once into flat string sets (every item and every prefix of an item, tokens joined by a separator)
that load in about a second, and serves them through :class:`FlatTrie`, a ``LookupTrie`` with the
same lookups (``longest_matching_prefix``, ``in``, the root's ``children``), so deduce's annotators
run on it unchanged. ``tests/guardrails/test_deduce_cache.py`` checks that deduce
annotates exactly the same spans with both.

The cache is derived data, not a model: it is rebuilt whenever deduce's version or its own cache
file changes. It lives in ``$TDA_CACHE_DIR``, else ``$XDG_CACHE_HOME/tda``, else ``~/.cache/tda``;
the app passes its own directory through :func:`load_lookup_structs`. Run
``python -m guardrails.deduce_cache`` to build it ahead of time (``make install`` does).
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Optional

import docdeid as dd

from guardrails.cache import default_cache_dir, private_cache_dir

logger = logging.getLogger(__name__)

FORMAT = 1
SEP = "\x1f"  # joins the tokens of one item; deduce tokens never contain it
CACHE_NAME = "deduce-lookup-v{format}-{version}.pickle"


class _Children(Mapping):
    """The children of a :class:`FlatTrie` node, as the mapping ``LookupTrie.children`` is."""

    def __init__(self, trie: "FlatTrie", prefix: str) -> None:
        self._trie, self._prefix = trie, prefix

    def _key(self, head: str) -> str:
        return f"{self._prefix}{SEP}{head}" if self._prefix else head

    def __contains__(self, head: object) -> bool:
        return isinstance(head, str) and self._key(head) in self._trie._nodes

    def __getitem__(self, head: str) -> "FlatTrie":
        if head not in self:
            raise KeyError(head)
        return FlatTrie._view(self._trie, self._key(head))

    def _heads(self) -> frozenset:
        if not self._prefix:
            return self._trie._starts
        lead = self._prefix + SEP
        return frozenset(n[len(lead):].split(SEP, 1)[0] for n in self._trie._nodes if n.startswith(lead))

    def __iter__(self) -> Iterator[str]:
        return iter(self._heads())

    def __len__(self) -> int:
        return len(self._heads())

    def keys(self):  # a set, as deduce builds its start words with set(trie.children.keys())
        return self._heads()


class FlatTrie(dd.ds.LookupTrie):
    """A read-only ``LookupTrie`` backed by two string sets.

    ``_terminals`` holds every item (its tokens, after the matching pipeline, joined by ``SEP``);
    ``_nodes`` holds every non-empty prefix of every item, so walking the trie is a set lookup
    per token.
    """

    def __init__(self, items: frozenset, nodes: frozenset, starts: frozenset, matching_pipeline=None,
                 prefix: str = "") -> None:
        super().__init__(matching_pipeline=matching_pipeline)  # its children/is_terminal are ignored
        self._terminals, self._nodes, self._starts, self._prefix = items, nodes, starts, prefix

    @classmethod
    def _view(cls, root: "FlatTrie", prefix: str) -> "FlatTrie":
        # child nodes of a LookupTrie carry no matching pipeline of their own
        return cls(root._terminals, root._nodes, root._starts, None, prefix)

    @property
    def children(self) -> _Children:  # type: ignore[override]
        return _Children(self, self._prefix)

    @children.setter
    def children(self, value) -> None:  # LookupTrie.__init__ assigns {}; ignored
        pass

    @children.deleter
    def children(self) -> None:
        pass

    @property
    def is_terminal(self) -> bool:  # type: ignore[override]
        return self._prefix in self._terminals if self._prefix else "" in self._terminals

    @is_terminal.setter
    def is_terminal(self, value) -> None:
        pass

    @is_terminal.deleter
    def is_terminal(self) -> None:
        pass

    def add_item(self, item: list[str]) -> None:
        raise TypeError("FlatTrie is read-only")

    def _join(self, tokens) -> str:
        key = SEP.join(self._apply_matching_pipeline(t) for t in tokens)
        if self._prefix:
            return f"{self._prefix}{SEP}{key}" if key or tokens else self._prefix
        return key

    def __contains__(self, item) -> bool:
        if len(item) == 0:
            return self.is_terminal
        return self._join(item) in self._terminals

    def longest_matching_prefix(self, item: list[str], start_i: int = 0) -> Optional[list[str]]:
        """Same result as ``LookupTrie.longest_matching_prefix``."""
        longest = None
        applied: list[str] = []
        key = self._prefix
        i = 0
        while True:
            if (key in self._terminals) if key else ("" in self._terminals):
                longest = i
            if start_i + i >= len(item):
                break
            head = self._apply_matching_pipeline(item[start_i + i])
            nxt = f"{key}{SEP}{head}" if key else head
            if nxt not in self._nodes:
                break
            applied.append(head)
            key, i = nxt, i + 1
        return applied[:longest] if longest else None


def _walk(trie: dd.ds.LookupTrie) -> list[tuple[str, ...]]:
    """Every item of a ``LookupTrie`` (depth first, iterative: street names nest 13 deep)."""
    out, stack = [], [(trie, ())]
    while stack:
        node, prefix = stack.pop()
        if node.is_terminal:
            out.append(prefix)
        for head, child in node.children.items():
            stack.append((child, prefix + (head,)))
    return out


def _flatten(trie: dd.ds.LookupTrie) -> dict:
    items = _walk(trie)
    nodes = {SEP.join(it[:n]) for it in items for n in range(1, len(it) + 1)}
    return {
        "pipeline": trie.matching_pipeline,
        "items": "\n".join(SEP.join(it) for it in items),
        "nodes": "\n".join(nodes),
        "starts": "\n".join(trie.children.keys()),
    }


def _split(text: str) -> frozenset:
    return frozenset(text.split("\n")) if text else frozenset()


def _source_stamp() -> dict:
    """deduce's version and its own cache file: a change in either invalidates ours."""
    import deduce
    from deduce import lookup_structs as ls

    path = Path(deduce.__file__).parent / "data" / "lookup" / ls._CACHE_SUBDIR / ls._CACHE_FILE
    try:
        st = path.stat()
        mark = (st.st_size, int(st.st_mtime))
    except OSError:
        mark = None
    from importlib.metadata import version

    return {"format": FORMAT, "deduce": version("deduce"), "docdeid": version("docdeid"), "source": mark}


def _cache_file(cache_dir: Path) -> Path:
    import deduce

    return cache_dir / CACHE_NAME.format(format=FORMAT, version=deduce.__version__)


def _from_payload(payload: dict) -> dd.ds.DsCollection:
    structs = dd.ds.DsCollection()
    for name, value in payload["sets"].items():
        structs[name] = value
    for name, flat in payload["tries"].items():
        structs[name] = FlatTrie(_split(flat["items"]), _split(flat["nodes"]), _split(flat["starts"]),
                                 flat["pipeline"])
    order = payload.get("order")
    if order:  # keep deduce's order of the collection
        ordered = dd.ds.DsCollection()
        for name in order:
            ordered[name] = structs[name]
        structs = ordered
    return structs


def build(cache_dir: Optional[Path] = None, structs=None) -> Path:
    """Convert deduce's lookup structures into the fast cache; return its path.

    Args:
        cache_dir: Target directory (created); default :func:`default_cache_dir`.
        structs: deduce's own lookup structures; loaded the slow way (``Deduce()``) when None.
    """
    cache_dir = private_cache_dir(cache_dir)
    if structs is None:
        from deduce import Deduce

        logger.info("building the fast deduce lookup cache (once, about 20 s)")
        structs = Deduce().lookup_structs
    payload = {"stamp": _source_stamp(), "sets": {}, "tries": {}, "order": list(structs.keys())}
    for name, value in structs.items():
        if isinstance(value, dd.ds.LookupTrie):
            payload["tries"][name] = _flatten(value)
        else:
            payload["sets"][name] = value
    target = _cache_file(cache_dir)
    fd, tmp = tempfile.mkstemp(prefix=".deduce-", dir=cache_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)  # atomic: parallel builders (test workers) each write a whole file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def load_lookup_structs(cache_dir: Optional[Path] = None, *, build_missing: bool = True):
    """deduce's lookup structures from the fast cache, building it when missing or stale.

    Returns:
        A ``DsCollection`` for ``Deduce``, or ``None`` when no cache could be read or written
        (the caller then loads deduce the normal way).
    """
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    path = _cache_file(cache_dir)
    for attempt in range(2):
        try:
            with open(path, "rb") as fh:
                payload = pickle.load(fh)
            if payload.get("stamp") == _source_stamp():
                return _from_payload(payload)
            logger.info("deduce lookup cache is stale; rebuilding")
        except FileNotFoundError:
            pass
        except Exception as exc:  # a damaged cache is rebuilt, never trusted
            logger.warning("deduce lookup cache unreadable (%s); rebuilding", type(exc).__name__)
        if attempt or not build_missing:
            return None
        try:
            build(cache_dir)
        except OSError as exc:
            logger.warning("deduce lookup cache not writable (%s); loading deduce the slow way", exc)
            return None
    return None


def main(argv: Optional[list[str]] = None) -> None:  # pragma: no cover - a build step
    import argparse

    parser = argparse.ArgumentParser(description="Build the fast deduce lookup cache.")
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: $TDA_CACHE_DIR or ~/.cache/tda")
    parser.add_argument("--if-missing", action="store_true", help="only when missing or stale")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cache_dir = args.cache_dir or default_cache_dir()
    if args.if_missing and load_lookup_structs(cache_dir, build_missing=False) is not None:
        print(f"deduce lookup cache up to date: {_cache_file(cache_dir)}")
        return
    print(f"deduce lookup cache: {build(cache_dir)}")


if __name__ == "__main__":  # pragma: no cover
    main()

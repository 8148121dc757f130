"""A text progress bar on stderr for the ``progress(done, total)`` callbacks (index build)."""

from __future__ import annotations

import sys
from typing import Callable


def progress_bar(desc: str, unit: str, *, leave: bool = True) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback drawing a tqdm bar on stderr; it closes at ``done >= total``.

    The bar appears with the first call, so nothing is drawn when there is nothing to build.
    """
    from tqdm import tqdm

    state: dict = {}

    def progress(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None or bar.disable:  # first call, or a second build after the first closed
            bar = state["bar"] = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=leave,
                                      dynamic_ncols=True, mininterval=0.5)
        bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return progress

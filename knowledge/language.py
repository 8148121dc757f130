"""Is a question written in English? (The assistant answers in Dutch and says so.)

A count of function words from ``language.yaml``: English when at least three English words occur
and clearly outnumber the Dutch ones. Short or mixed messages count as Dutch.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

WORDS_FILE = Path(__file__).resolve().parent / "language.yaml"
NOTICE = "Ik werk in het Nederlands: de bronnen zijn Nederlands en ik antwoord in het Nederlands."


@lru_cache(maxsize=1)
def _words() -> tuple[frozenset[str], frozenset[str]]:
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    return frozenset(map(str, data["english"])), frozenset(map(str, data["dutch"]))


def is_english(text: str) -> bool:
    english, dutch = _words()
    tokens = re.findall(r"[a-z']+", text.lower())
    en = sum(1 for t in tokens if t in english and t not in dutch)
    nl = sum(1 for t in tokens if t in dutch and t not in english)
    return en >= 3 and en > 2 * nl

"""The catalog's search field: one lowercase text per product that a query is matched against.

It holds the Chinese and English names, brand, generic names, ingredients and, for every
Chinese name, its full pinyin and pinyin initials (布洛芬 → "buluofen blf"), so `blf`,
`buluofen`, `布洛芬`, `ibuprofen` and the brand all find the product with one indexed LIKE.
On PostgreSQL a trigram GIN index (migration 0002) serves the LIKE; on SQLite it is a scan,
which is fine for the embedded default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_HAN = re.compile(r"[\u3400-\u9fff]+")
_SPACES = re.compile(r"\s+")
MAX_TERMS = 5


def pinyin_forms(text: str) -> list[str]:
    """Full pinyin and initials of each run of Chinese characters in `text`."""
    # Imported here: pypinyin's phrase tables cost about 55 MiB in every process that loads
    # them, and only saving a product needs them; answering a search never does.
    from pypinyin import Style, lazy_pinyin

    forms: list[str] = []
    for run in _HAN.findall(text):
        forms.append("".join(lazy_pinyin(run)))
        forms.append("".join(lazy_pinyin(run, style=Style.FIRST_LETTER)))
    return forms


def search_text_build(*, chinese: Iterable[str], other: Iterable[str]) -> str:
    chinese = [c for c in chinese if c]
    parts = [*chinese, *(o for o in other if o)]
    for name in chinese:
        parts.extend(pinyin_forms(name))
    seen: dict[str, None] = {}
    for part in parts:
        seen.setdefault(_SPACES.sub(" ", part.strip().lower()), None)
    return " | ".join(p for p in seen if p)


def query_terms(q: str) -> list[str]:
    """The query's words, lowercased; each must occur in the search field."""
    return [t for t in _SPACES.split(q.strip().lower()) if t][:MAX_TERMS]

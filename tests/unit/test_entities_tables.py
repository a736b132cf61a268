"""Built-in entity tagger: the tables classified at load time agree with the plain look-up."""

from __future__ import annotations

import itertools

from pipeline.tagging.countries import CountryTagger
from pipeline.tagging.entities import EntityTagger


def with_tables() -> EntityTagger:
    """A tagger that reads the country tagger's tables whole at load time."""
    return EntityTagger(CountryTagger.default().lookup)


def without_tables() -> EntityTagger:
    """A tagger that asks the country tagger's look-up surface by surface."""
    lookup = CountryTagger.default().lookup
    return EntityTagger(lambda surface: lookup(surface))


def test_country_tables_are_read() -> None:
    """The country tagger's look-up tables are found (the load-time path is in use)."""
    tagger = with_tables()
    assert tagger._folded
    assert tagger._heads
    assert without_tables()._folded is None


def test_known_surfaces_agree() -> None:
    """Every surface either way of loading classifies the same (case, spaces, unknowns)."""
    country = CountryTagger.default()
    fast, slow = with_tables(), without_tables()
    exact, folded = country.lookup_tables()
    surfaces = list(exact)[::7] + list(folded)[::3]
    surfaces += list(fast._static)[::5]
    surfaces += [s.upper() for s in surfaces[::4]] + [s.title() for s in surfaces[::4]]
    surfaces += [f" {s}" for s in surfaces[::50]] + [f"{s}\n" for s in surfaces[::50]]
    surfaces += ["Putin", "Vladimir Putin", "UNITED STATES", "united states", "Foo Bar", "Xyzzy"]
    surfaces += ["Foreign Ministry", "Russian Foreign Ministry", "Gulf of Aden", "", " "]
    assert [fast._known(s) for s in surfaces] == [slow._known(s) for s in surfaces]


def test_run_readings_agree() -> None:
    """Runs read with the load-time tables (span filter, one-chunk shortcut) read as without."""
    fast, slow = with_tables(), without_tables()
    words = [
        "United", "States", "New", "York", "Russian", "Foreign", "Ministry", "Vladimir",
        "Putin", "President", "North", "Korea's", "Gulf", "of", "Aden", "The", "UNITED",
        "STATES", "Smith", "Bank", "England", "Kim", "Jong", "Un", "Islamic", "State",
        "Corp", "Sea", "and", "Monday", "Cup", "ACME",
    ]  # fmt: skip
    runs = []
    for size in (1, 2, 3):
        for combo in itertools.product(words, repeat=size):
            if combo[0][0].isupper() and combo[-1] != "of":
                runs.append(" ".join(combo))
    for run in runs:
        for initial in (False, True):
            assert fast._analyse_uncached(run, initial) == slow._analyse_uncached(run, initial)


def test_eager_sentence_start_readings() -> None:
    """A one-word run's sentence-initial reading, set at analysis, is the one read later."""
    for tagger in (with_tables(), without_tables()):
        for word in ["Turkey", "The", "Meanwhile", "China", "Russia's", "US", "Bank", "Smith"]:
            info = tagger._analyse(word)
            if info.initial is not None:
                assert info.initial == tagger._analyse_uncached(word, True)

"""Tests of the country tagger: gazetteer, disambiguation rules, salience and offsets."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.tagging.countries import DEFAULT_MIN_SALIENCE, CountryTagger
from pipeline.tagging.types import Country
from tests.unit.countries_helpers import codes, vias

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_be93d98e5d221129.txt"


@pytest.fixture(scope="module")
def tagger() -> CountryTagger:
    """The process-wide tagger."""
    return CountryTagger.default()


# -- the ways a country is named ---------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Russia warned Ukraine.", {("RU", "Russia", "name"), ("UA", "Ukraine", "name")}),
        ("The U.S. and the U.K. agreed.", {("US", "U.S.", "alias"), ("GB", "U.K.", "alias")}),
        ("The DPRK and the ROK met.", {("KP", "DPRK", "alias"), ("KR", "ROK", "alias")}),
        (
            "Burma and Zaire voted.",
            {("MM", "Burma", "alias"), ("CD", "Zaire", "alias")},
        ),
        ("North Korean troops arrived.", {("KP", "North Korean", "demonym")}),
        ("South Korean exports rose.", {("KR", "South Korean", "demonym")}),
        ("Officials in Seoul spoke.", {("KR", "Seoul", "capital")}),
        ("Rain fell in Yokohama.", {("JP", "Yokohama", "city")}),
        ("Fighting raged in Bavaria.", {("DE", "Bavaria", "subdivision")}),
        ("The Kremlin denied it.", {("RU", "Kremlin", "institution")}),
        ("The Bundesbank held rates.", {("DE", "Bundesbank", "institution")}),
        ("The Knesset voted.", {("IL", "Knesset", "institution")}),
        ("Downing Street declined to comment.", {("GB", "Downing Street", "institution")}),
        ("Vladimir Putin spoke.", {("RU", "Vladimir Putin", "leader")}),
        ("The yen fell.", {("JP", "yen", "currency")}),
        ("The rouble and the ruble.", {("RU", "rouble", "currency"), ("RU", "ruble", "currency")}),
        ("Shares of Acme <7203.T> rose.", {("JP", "7203.T", "exchange")}),
    ],
)
def test_ways_of_naming(tagger: CountryTagger, sentence: str, expected: set[object]) -> None:
    """Names, aliases, demonyms, places, institutions, leaders and currencies are found."""
    assert vias(tagger, sentence) == expected


def test_output_names_are_common_short_names(tagger: CountryTagger) -> None:
    """The output uses "Russia"/"South Korea", not ISO formal names, plus alpha-3."""
    out = {
        c["code"]: c
        for c in tagger.tag("", "Russia, South Korea and North Korea met.", min_salience=0)
    }
    assert out["RU"]["name"] == "Russia" and out["RU"]["alpha3"] == "RUS"
    assert out["KR"]["name"] == "South Korea" and out["KR"]["alpha3"] == "KOR"
    assert out["KP"]["name"] == "North Korea" and out["KP"]["alpha3"] == "PRK"


def test_every_iso_country_has_a_name_entry(tagger: CountryTagger) -> None:
    """Every ISO 3166-1 country and territory is found by the short name it is output with."""
    import pycountry

    for country in pycountry.countries:
        described = tagger.describe(country.alpha_2)
        assert described is not None and described[0] == country.alpha_3
        out = tagger.tag("", f"News from {described[1]} today.")
        assert [c["code"] for c in out] == [country.alpha_2], described
        assert tagger.lookup(described[1]) == (country.alpha_2, "name")
    assert tagger.describe("XX") is None


# -- disambiguation rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # Case: the country is capitalised, the bird is not.
        ("Turkey closed its border.", {"TR"}),
        ("We ate roast turkey for dinner.", set()),
        ("TURKEY RAISES INTEREST RATES", {"TR"}),
        # Chad and Jordan as people.
        ("Chad Smith scored twice on Sunday.", set()),
        ("Chad closed its border with Sudan.", {"TD", "SD"}),
        ("Michael Jordan won six titles.", set()),
        ("Jordan Peterson gave a lecture.", set()),
        ("Jordan and Israel signed a water deal.", {"JO", "IL"}),
        # Georgia the US state.
        ("The plant is in Atlanta, Georgia.", {"US"}),
        ("Georgia Governor Brian Kemp signed the bill.", {"US"}),
        ("Georgia's Senate race tightened.", {"US"}),
        ("Georgia and Armenia held talks in Tbilisi.", {"GE", "AM"}),
        # China inside other names.
        ("Ships sailed through the South China Sea.", set()),
        ("Air China added flights.", set()),
        ("China protested.", {"CN"}),
        # Longest match wins.
        ("Wildfires spread in New Mexico.", {"US"}),
        ("Guinea holds elections.", {"GN"}),
        ("Equatorial Guinea holds elections.", {"GQ"}),
        ("Papua New Guinea holds elections.", {"PG"}),
        ("Guinea-Bissau holds elections.", {"GW"}),
        # No match inside words.
        ("A woman from Romania spoke.", {"RO"}),
        ("That is a germane point.", set()),
        # Possessives and hyphenated forms.
        ("Russia's army advanced.", {"RU"}),
        ("Russian-backed separatists attacked.", {"RU"}),
        # Occupied territory belongs to the recognised country.
        ("Fighting continued in the occupied Donetsk Oblast.", {"UA"}),
        ("Crimea was annexed in 2014.", {"UA"}),
        # International bodies are not countries.
        ("The UN, the EU, NATO and OPEC met.", set()),
        # Acronyms are case-sensitive; a pronoun in capitals is not the US.
        ("Tell us more about it.", set()),
        ("The US imposed tariffs.", {"US"}),
        ("LET US TALK ABOUT IT", set()),
        # "Korean" alone is ambiguous.
        ("Korean food is popular.", set()),
        # A city followed by a region of another country.
        ("A rodeo was held in Paris, Texas.", {"US"}),
        # Currencies: "won" only after an amount.
        ("Samsung earned 500 billion won.", {"KR"}),
        ("She won the match.", set()),
        # A place word starting a company name.
        ("Sterling Software said profits rose.", set()),
        ("Paris Hilton arrived.", set()),
        # Historical names map to the successor state.
        ("Soviet grain purchases rose.", {"RU"}),
        ("West German bonds fell and Bonn said nothing.", {"DE"}),
        # A one-word place after a given name is a surname.
        ("Anthony Washington won the race.", set()),
        ("Trevor Holland scored.", set()),
        ("Washington and Moscow talked.", {"US", "RU"}),
        # Multi-word places keep their capitals; Brent is crude oil.
        ("Oil output rose in the eastern province.", set()),
        ("Brent crude rose.", set()),
        # Seas and continents are not countries.
        ("Indian Ocean trade grew.", set()),
        ("Latin American debt rose.", set()),
    ],
)
def test_disambiguation(tagger: CountryTagger, sentence: str, expected: set[str]) -> None:
    """Each disambiguation rule, on a short sentence with its expected countries."""
    assert codes(tagger, sentence) == expected


def test_possessive_evidence_excludes_suffix(tagger: CountryTagger) -> None:
    """In "Russia's" the evidence is "Russia"; in "Russian-backed" it is "Russian"."""
    assert vias(tagger, "Russia's army and Russian-backed forces.") == {
        ("RU", "Russia", "name"),
        ("RU", "Russian", "demonym"),
    }


# -- lookup ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        ("Seoul", ("KR", "capital")),
        ("Russian", ("RU", "demonym")),
        ("Kremlin", ("RU", "institution")),
        ("Vladimir Putin", ("RU", "leader")),
        ("Putin", ("RU", "leader")),
        ("Donetsk Oblast", ("UA", "subdivision")),
        ("donetsk oblast", ("UA", "subdivision")),
        ("South Korea", ("KR", "name")),
        ("U.S.", ("US", "alias")),
        ("Interfax", None),
        ("UN", None),
        ("NATO", None),
        ("Korean", None),
        ("turkey", None),
        ("South China Sea", None),
    ],
)
def test_lookup(tagger: CountryTagger, surface: str, expected: tuple[str, str] | None) -> None:
    """lookup() maps one surface to (country, via), None when unknown or not a country."""
    assert tagger.lookup(surface) == expected


# -- salience, focus, threshold ----------------------------------------------------------


def seed_article() -> tuple[str, str]:
    """Return the sample article's (title, body)."""
    title, body = SEED.read_text(encoding="utf-8").split("\n", 1)
    return title, body


def test_seed_article(tagger: CountryTagger) -> None:
    """The sample article yields KR, RU, KP and UA with evidence; RU is the focus.

    "The US think tank" does name the US, so the US is found, but only as a
    passing mention: its salience is below the routing threshold.
    """
    title, body = seed_article()
    routed = tagger.tag(title, body)
    assert {c["code"] for c in routed} == {"KR", "RU", "KP", "UA"}
    for country in routed:
        assert country["evidence"] and country["mentions"] == len(country["evidence"])
    assert [c["code"] for c in routed if c["focus"]] == ["RU"]
    by_code = {c["code"]: c for c in tagger.tag(title, body, min_salience=0.0)}
    assert by_code["US"]["salience"] < DEFAULT_MIN_SALIENCE
    ua = {(e["text"], e["via"]) for e in by_code["UA"]["evidence"]}
    assert ("Donetsk Oblast", "subdivision") in ua
    assert ("Seoul", "capital") in {(e["text"], e["via"]) for e in by_code["KR"]["evidence"]}


def test_min_salience_filters(tagger: CountryTagger) -> None:
    """A higher threshold keeps fewer countries; above 1 nothing is left."""
    title, body = seed_article()
    everything = tagger.tag(title, body, min_salience=0.0)
    assert len(everything) > len(tagger.tag(title, body))
    assert tagger.tag(title, body, min_salience=1.01) == []


def test_title_outweighs_body(tagger: CountryTagger) -> None:
    """A country in the title is more salient than one mentioned once deep in the body."""
    body = "Officials met on Tuesday. " * 5 + "A delegate from Peru attended."
    out = tagger.tag("Chile raises copper output", body, min_salience=0.0)
    assert [c["code"] for c in out] == ["CL", "PE"]
    assert out[0]["focus"] and out[0]["salience"] > out[1]["salience"]


def test_nothing_found(tagger: CountryTagger) -> None:
    """No country: an empty list."""
    assert tagger.tag("Shares rise", "Stocks rose on Monday.") == []


def test_data_version_and_scaled_gazetteer(tagger: CountryTagger) -> None:
    """data_version names the data; a doubled synthetic gazetteer tags identically."""
    assert tagger.data_version.startswith("countries/")
    assert "leaders/" in tagger.data_version
    scaled = CountryTagger.build(gazetteer_scale=2)
    title, body = seed_article()
    assert scaled.tag(title, body) == tagger.tag(title, body)
    with pytest.raises(ValueError):
        CountryTagger.build(gazetteer_scale=0)


def test_default_is_cached() -> None:
    """default() returns the same instance every time."""
    assert CountryTagger.default() is CountryTagger.default()


# -- properties --------------------------------------------------------------------------

_WORDS = [
    "Russia",
    "Russia's",
    "Russian-backed",
    "U.S.",
    "US",
    "us",
    "Turkey",
    "turkey",
    "Georgia",
    "Atlanta,",
    "Jordan",
    "Michael",
    "Chad",
    "South",
    "China",
    "Sea",
    "New",
    "Guinea",
    "Papua",
    "Seoul",
    "Kremlin",
    "yen",
    "won",
    "500",
    "billion",
    "Paris,",
    "Texas",
    "Donetsk",
    "Oblast",
    "woman",
    "the",
    "said",
    "İstanbul",
    "Côte",
    "d’Ivoire",
    "—",
    "“Kyiv”",
    "\n",
    "Ünïcode",
    "MOSCOW",
    "<ABC.L>",
    "(7203.T)",
    "São",
    "Paulo",
]


def check_invariants(title: str, body: str, out: list[Country]) -> None:
    """Offsets point into their field, salience is in 0..1, sorted, one focus."""
    fields = {"title": title, "body": body}
    for country in out:
        assert 0.0 <= country["salience"] <= 1.0
        assert country["mentions"] == len(country["evidence"]) > 0
        for e in country["evidence"]:
            text = fields[e["field"]]
            assert 0 <= e["start"] < e["end"] <= len(text)
            assert text[e["start"] : e["end"]] == e["text"]
    saliences = [c["salience"] for c in out]
    assert saliences == sorted(saliences, reverse=True)
    if out:
        assert sum(c["focus"] for c in out) == 1 and out[0]["focus"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join),
    st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=8)), max_size=60).map(" ".join),
    st.sampled_from([0.0, None, 0.5]),
)
def test_invariants_on_generated_text(title: str, body: str, min_salience: float | None) -> None:
    """Whatever the text, the output keeps its invariants."""
    out = CountryTagger.default().tag(title, body, min_salience=min_salience)
    check_invariants(title, body, out)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300), st.text(max_size=60))
def test_invariants_on_arbitrary_text(body: str, title: str) -> None:
    """Arbitrary Unicode (odd case mappings, separators) never breaks offsets."""
    out = CountryTagger.default().tag(title, body, min_salience=0.0)
    check_invariants(title, body, out)


def test_salience_is_the_documented_model(tagger: CountryTagger) -> None:
    """tag()'s fast scoring equals the logistic model over the documented features."""
    import json
    import math

    from pipeline.tagging.countries import FEATURES

    model = json.loads(
        (
            Path(__file__).resolve().parents[2] / "pipeline/tagging/data/countries/salience.json"
        ).read_text(encoding="utf-8")
    )
    assert model["features"] == list(FEATURES)
    title, body = seed_article()
    features, _ = tagger._features(title, body)
    out = {c["code"]: c["salience"] for c in tagger.tag(title, body, min_salience=0.0)}
    assert set(out) == set(features)
    for code, x in features.items():
        z = sum(w * v for w, v in zip(model["weights"], x, strict=True))
        assert out[code] == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-4)


# -- company-form suffixes and datelines ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        ("Shares of Acme Holdings Plc rose.", "GB", "Plc"),
        ("Foo Mining Pty Ltd said output fell.", "AU", "Pty"),
        ("Volvo AB said sales rose.", "SE", "AB"),
        ("Montedison SpA said profit rose.", "IT", "SpA"),
        ("Siemens Beteiligungs GmbH said it agreed.", "DE", "GmbH"),
    ],
)
def test_company_suffix_names_its_country(
    tagger: CountryTagger, body: str, code: str, text: str
) -> None:
    """A company-form suffix used in one country only, after a capitalised word, names it."""
    assert (code, text, "company") in vias(tagger, body)


def test_company_suffix_needs_a_company_name(tagger: CountryTagger) -> None:
    """A suffix after a lower-case word or at the start names nothing; lookup ignores it."""
    assert codes(tagger, "the plc said") == set()
    assert codes(tagger, "AB testing is common.") == set()
    assert tagger.lookup("Plc") is None


@pytest.mark.parametrize(
    ("body", "code", "place"),
    [
        ("TOKYO, March 3 - Exports rose in February, officials said.", "JP", "TOKYO"),
        ("LONDON (Reuters) - Shares fell on Monday.", "GB", "LONDON"),
        ("OTTAWA, March 3 (Reuters) - The central bank kept rates.", "CA", "OTTAWA"),
        ("KUALA LUMPUR, March 3 - Palm oil prices eased.", "MY", "KUALA LUMPUR"),
        ("ATLANTA, Ga., March 3 - The company said sales rose.", "US", "ATLANTA"),
    ],
)
def test_dateline_names_the_focus(tagger: CountryTagger, body: str, code: str, place: str) -> None:
    """A wire dateline's place, written in capitals, is found and makes its country the focus."""
    countries = tagger.tag("", body)
    assert countries and countries[0]["code"] == code and countries[0]["focus"]
    first = countries[0]["evidence"][0]
    assert first["text"] == place and body[first["start"] : first["end"]] == place


def test_dateline_only_at_the_start(tagger: CountryTagger) -> None:
    """Capitals later in the body, or without the dash, are no dateline."""
    assert codes(tagger, "Prices rose. TOKYO, March 3 - nothing.") == set()
    assert codes(tagger, "TOKYO is large.") == set()


def test_dateline_weighs_like_the_title(tagger: CountryTagger) -> None:
    """A dateline place gets the same salience as the place in the title."""
    body = "Exports rose in February, officials said."
    in_dateline = tagger.tag("", "TOKYO, March 3 - " + body, min_salience=0.0)
    in_title = tagger.tag("Tokyo", body, min_salience=0.0)
    assert in_dateline[0]["salience"] == in_title[0]["salience"]


def test_irish_punt_and_basle(tagger: CountryTagger) -> None:
    """Older wire forms: "Irish punt", an amount of punts, and "Basle" (Basel)."""
    assert codes(tagger, "The Irish punt fell.") == {"IE"}
    assert codes(tagger, "It raised 50 mln punts.") == {"IE"}
    assert codes(tagger, "The bank is based in Basle.") == {"CH"}


def test_canadian_province_abbreviation_after_comma(tagger: CountryTagger) -> None:
    """Province abbreviations ("Ont.", "B.C.") name Canada only after a comma."""
    assert ("CA", "Ont.", "subdivision") in vias(tagger, "It is based in Mississauga, Ont., now.")
    assert ("CA", "B.C.", "subdivision") in vias(tagger, "Foo of Surrey, B.C., said.")
    assert codes(tagger, "He said Ont. is fine.") == set()

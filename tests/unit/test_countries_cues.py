"""Tests of the country tagger's newer cues and rules: one short sentence, the expected codes."""

from __future__ import annotations

import pytest

from pipeline.tagging.countries import CountryTagger
from tests.unit.countries_helpers import codes, vias


@pytest.fixture(scope="module")
def tagger() -> CountryTagger:
    """The process-wide tagger."""
    return CountryTagger.default()




@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("The official Iraqi News Agency said the talks failed.", {"IQ"}),
        ("Tass said the delegation had arrived.", {"RU"}),
        ("The news agency IRNA quoted the minister.", {"IR"}),
        ("KUNA said oil output was steady.", {"KW"}),
        ("Xinhua reported heavy rain.", {"CN"}),
        ("Tanjug said prices rose.", {"RS"}),
        ("Prensa Latina said the sugar crop was late.", {"CU"}),
        ("Kyodo reported the accord.", {"JP"}),
        ("In an article in Handelsblatt, the banker said so.", {"DE"}),
        ("The Financial Times reported the bid.", {"GB"}),
        ("Elf Aquitaine raised its output.", {"FR"}),
    ],
)
def test_state_news_agencies_newspapers_and_state_companies(
    tagger: CountryTagger, body: str, expected: set[str]
) -> None:
    """A state news agency, a national newspaper or a state company names its country."""
    assert codes(tagger, body) == expected


def test_commercial_banks_are_not_country_cues(tagger: CountryTagger) -> None:
    """A bank that leads deals abroad (Nomura, Paribas) names no country by itself."""
    assert codes(tagger, "The bond was led by Paribas and Nomura International.") == set()


def test_old_spelling_of_suriname(tagger: CountryTagger) -> None:
    """The older English spelling "Surinam" is Suriname."""
    assert codes(tagger, "Surinam's government opened a congress.") == {"SR"}


def test_company_named_after_a_city(tagger: CountryTagger) -> None:
    """The US drug company Bristol-Myers is not the English city."""
    assert codes(tagger, "Bristol-Myers Co said its vaccine worked.") == {"US"}
    assert "GB" in codes(tagger, "The factory in Bristol will close.")


@pytest.mark.parametrize(
    "body",
    [
        "said strategist\nMichael Metz.",  # the given name ends a line
        "said strategist Michael\nMetz.",  # the surname starts one
    ],
)
def test_surname_after_a_line_break(tagger: CountryTagger, body: str) -> None:
    """A given name and its surname may be split by a line break."""
    assert codes(tagger, body) == set()


def test_surname_is_remembered_in_the_article(tagger: CountryTagger) -> None:
    """Once a word is a surname ("Michael Metz"), its bare mentions are the person too."""
    body = "Michael Metz raised his estimate.\nMetz said the shares were cheap."
    assert codes(tagger, body) == set()
    assert codes(tagger, "Metz said the shares were cheap.", title="METZ SEES GAINS") == {"FR"}
    # The title's "Metz" is the person named in the body.
    assert codes(tagger, "Michael Metz said so.", title="METZ SEES GAINS") == set()


@pytest.mark.parametrize(
    "body",
    [
        "Ministers met for the Uruguay Round of trade talks.",
        "The Warsaw Pact held manoeuvres.",
        "The Treaty of Rome set up the Community.",
        "The Basle Committee set capital rules.",
    ],
)
def test_named_rounds_pacts_and_treaties_name_no_country(tagger: CountryTagger, body: str) -> None:
    """A trade round, pact or treaty named after a city or country is not about it."""
    assert codes(tagger, body) == set()


def test_a_city_list_is_not_city_and_region(tagger: CountryTagger) -> None:
    """After "City, " another city starts a list; a subdivision or country is the region."""
    assert codes(tagger, "He visited Tokyo, Seoul and Beijing.") == {"JP", "KR", "CN"}
    assert codes(tagger, "Officials in Paris, London and Bonn agreed.") == {"FR", "GB", "DE"}
    assert codes(tagger, "The plant is in Paris, Texas.") == {"US"}
    assert codes(tagger, "She grew up in London, Ontario.") == {"CA"}
    assert codes(tagger, "He flew to Paris, France.") == {"FR"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("The Saudis and Kuwaitis agreed.", {"SA", "KW"}),
        ("The Soviets said no.", {"RU"}),
        ("Argentines and Cypriots voted.", {"AR", "CY"}),
        ("Slovenes and Montenegrins voted.", {"SI", "ME"}),
        ("The Rhodesian army withdrew.", {"ZW"}),
        ("Sales of Krugerrands fell.", {"ZA"}),
    ],
)
def test_demonym_plurals_and_coins(tagger: CountryTagger, body: str, expected: set[str]) -> None:
    """Plural demonyms, historical demonyms and national coins name their country."""
    assert codes(tagger, body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Sino-Soviet relations thawed.", {"CN", "RU"}),
        ("The Franco-German brigade paraded.", {"FR", "DE"}),
        ("SINO-BRITISH TALKS RESUME", {"CN", "GB"}),
        ("The Belgo-Luxembourg union posted a surplus.", {"BE", "LU"}),
        ("General Franco died in 1975.", set()),
        ("Anglo-Saxon law applies.", set()),
        ("The word Sino is Latin.", set()),
    ],
)
def test_combining_forms(tagger: CountryTagger, body: str, expected: set[str]) -> None:
    """A combining form names its country only before a hyphen and a capital."""
    assert codes(tagger, body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("The mill in Lebanon, Pa., closed.", {"US"}),
        ("A plant in Peru, Indiana, opened.", {"US"}),
        ("Talks with Lebanon, Syria and Jordan began.", {"LB", "SY", "JO"}),
        ("Exports to Morocco, Israel, Canary Islands and Spain rose.", {"MA", "IL", "ES"}),
    ],
)
def test_towns_named_after_countries(tagger: CountryTagger, body: str, expected: set[str]) -> None:
    """A country's name before ", " and a US state or Canadian province is a town there."""
    assert codes(tagger, body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("LONDON, Ontario, March 3 - The company said it was fine.", "CA"),
        ("PARIS, Texas (Reuters) - The plant closed.", "US"),
        ("LEBANON, Pa., March 3 - The firm said so.", "US"),
        ("LONDON, March 3 - Sterling fell.", "GB"),
    ],
)
def test_dateline_region(tagger: CountryTagger, body: str, expected: str) -> None:
    """A dateline's region of another country makes its place a town there."""
    out = tagger.tag("", body, min_salience=0.0)
    assert out[0]["code"] == expected
    assert out[0]["evidence"][0]["start"] == 0


def test_city_names_that_are_given_names(tagger: CountryTagger) -> None:
    """Eugene (Oregon) before a surname is a person; after "in" it is the city."""
    assert codes(tagger, "Shares rose today, said analyst Eugene Atkinson of the firm.") == set()
    assert codes(tagger, "The mill in Eugene, Oregon, closed today, the company said.") == {"US"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("The deal is worth C$1.5 billion.", {("CA", "C$")}),
        ("It raised NZ$30 mln and S$ 12 mln.", {("NZ", "NZ$"), ("SG", "S$")}),
        ("It raised HK$20 mln.", {("HK", "HK")}),  # "HK" is found by the scan already
        ("It costs $100 and AT$T.", set()),
    ],
)
def test_prefixed_dollar_signs(
    tagger: CountryTagger, body: str, expected: set[tuple[str, str]]
) -> None:
    """A dollar sign with a country prefix before an amount names the issuing country."""
    found = {
        (c["code"], e["text"])
        for c in tagger.tag("", body, min_salience=0.0)
        for e in c["evidence"]
    }
    assert found == expected
    for c in tagger.tag("", body, min_salience=0.0):
        for e in c["evidence"]:
            assert body[e["start"] : e["end"]] == e["text"]


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("ROCKWELL <ROK> SETS PAYOUT", "The company said so.", set()),
        ("ROCKWELL <ROK.N> SETS PAYOUT", "The company said so.", {"US"}),  # ".N": New York
        ("<CANADIAN GYPSUM CO LTD> YEAR NET", "Shr 3.13 dlrs.", {"CA"}),
        ("<CANADA MALTING CO LTD> YEAR NET", "Shr 1.30 dlrs.", {"CA"}),
    ],
)
def test_a_ticker_is_all_that_stands_in_its_brackets(
    tagger: CountryTagger, title: str, body: str, expected: set[str]
) -> None:
    """A ticker ("<ROK>") names no country; a company's name in capitals in brackets does."""
    assert codes(tagger, body, title=title) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Ford Motor Co of Canada Ltd raised its dividend.", {"CA"}),
        ("Shell Canada Ltd cut crude prices.", {"CA"}),
        ("Unilever Australia Ltd is issuing bonds.", {"AU"}),
        ("The Japan Fund Inc got a buyout offer.", set()),
        ("The Korea Fund rose.", set()),
    ],
)
def test_country_and_company_form(tagger: CountryTagger, body: str, expected: set[str]) -> None:
    """A company "X Canada Ltd" is registered there; "The Japan Fund" only invests there."""
    assert codes(tagger, body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Noranda Inc said it would spin off its forest unit.", {"CA"}),
        ("Volvo raised car output.", {"SE"}),
        ("VOLKSWAGEN SEES HIGHER SALES", {"DE"}),
        ("Hutchison Whampoa raised its payout.", {"HK"}),
        ("Nippon Life is seeking a tie with a broker.", {"JP"}),
        ("Petrofina and Fiat signed a pact.", {"BE", "IT"}),
    ],
)
def test_companies_with_a_clear_nationality(
    tagger: CountryTagger, body: str, expected: set[str]
) -> None:
    """A national champion or well-known industrial group names its country ("Nippon" is
    Japan's own name)."""
    assert codes(tagger, body) == expected


def test_company_names_are_company_evidence_not_places(tagger: CountryTagger) -> None:
    """A named company is evidence via "company" and is not a place for lookup()."""
    out = tagger.tag("", "Alcan said it would close the smelter.", min_salience=0.0)
    assert [(c["code"], [e["via"] for e in c["evidence"]]) for c in out] == [("CA", ["company"])]
    assert tagger.lookup("Alcan") is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("SDC Sydney Development Corp reported a loss.", set()),
        ("Quebec Explorations Ltd found gold.", set()),
        ("Floods hit Sydney and Quebec.", {"AU", "CA"}),
        ("Alaska Air Group said its Alaska\nAirlines unit flew more.", set()),
        ("Its Cleveland\nElectric Illuminating Co unit redeemed bonds.", set()),
        ("The dollar rose against sterling\nand the yen.", {"GB", "JP"}),
    ],
)
def test_more_company_words_after_a_place(
    tagger: CountryTagger, body: str, expected: set[str]
) -> None:
    """A place before a company word ("Development", "Explorations") starts a company name,
    also across a line break."""
    assert codes(tagger, body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("United Jersey Banks will merge two South Jersey banks.", {"US"}),
        ("Jersey Central Power and Light Co cut rates.", {"US"}),
        ("The money was paid to a company in Jersey.", {"JE"}),
    ],
)
def test_new_jersey_regions_and_firms(tagger: CountryTagger, body: str, expected: set[str]) -> None:
    """The regions and firms "South Jersey", "Jersey Central", "United Jersey" are New Jersey."""
    assert codes(tagger, body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("The six nations reaffirmed the Paris accord.", set()),
        ("Under the Paris agreement, rates stay stable.", set()),
        ("The Paris Club agreed to reschedule the debt.", set()),
        ("Banks in the London Club met the debtor.", set()),
        ("The Geneva Conventions apply.", set()),
        ("The minister flew to Paris.", {"FR"}),
    ],
)
def test_accords_and_clubs_named_after_a_place(
    tagger: CountryTagger, body: str, expected: set[str]
) -> None:
    """An accord, club or convention named after the place where it was made names no
    country."""
    assert codes(tagger, body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("The budget totals 12.2 billion riyals.", set()),
        ("Saudi riyal deposits were steady.", {"SA"}),
        ("The Qatari riyal is pegged.", {"QA"}),
    ],
)
def test_riyal_alone_is_ambiguous(tagger: CountryTagger, body: str, expected: set[str]) -> None:
    """Saudi Arabia and Qatar both pay in riyals: the bare word names neither."""
    assert codes(tagger, body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("The Libyan news agency JANA said the talks ended.", {"LY"}),
        ("SUNA said the crop was poor.", {"SD"}),
        ("Algerie Presse Service reported the figures.", {"DZ"}),
        ("The Press Trust of India said so.", {"IN"}),
    ],
)
def test_more_state_news_agencies(tagger: CountryTagger, body: str, expected: set[str]) -> None:
    """A state news agency names its country."""
    assert codes(tagger, body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Hezbollah fired rockets at the border.", {("LB", "Hezbollah", "armed_group")}),
        ("Houthi rebels seized a ship.", {("YE", "Houthi rebels", "armed_group")}),
        ("The Taliban took the town.", {("AF", "Taliban", "armed_group")}),
        ("PKK militants attacked a post.", {("TR", "PKK", "armed_group")}),
        ("The House voted aid for the contras.", {("NI", "contras", "armed_group")}),
        ("UNITA said it shot down a plane.", {("AO", "UNITA", "armed_group")}),
        ("The Tatmadaw shelled villages.", {("MM", "Tatmadaw", "armed_group")}),
    ],
)
def test_armed_groups_name_their_country(
    tagger: CountryTagger, body: str, expected: set[tuple[str, str, str]]
) -> None:
    """An armed force or armed group tied to one country names it (via "armed_group")."""
    assert vias(tagger, body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "Goldome FSB said its profit rose.",  # a federal savings bank, not Russia's FSB
        "Savers may put 2,000 dlrs a year into an IRA.",  # a retirement account
        "Duties follow the HTS codes.",  # a tariff schedule
        "Richard Wagner wrote operas.",  # a name before it is a Russian mercenary group
        "The Islamic State claimed the attack.",  # transnational: no country
    ],
)
def test_ambiguous_armed_group_names_name_no_country(tagger: CountryTagger, body: str) -> None:
    """Unlisted acronyms, the forms in ``not_country_cues`` and transnational groups name none."""
    assert codes(tagger, body) == set()


def test_an_institution_stays_one(tagger: CountryTagger) -> None:
    """A name in both lists ("Pentagon", "CIA") keeps its institution reading."""
    assert vias(tagger, "The Pentagon and the CIA declined to comment.") == {
        ("US", "Pentagon", "institution"),
        ("US", "CIA", "institution"),
    }


def test_armed_group_lists_name_real_entries() -> None:
    """Every form in ``country_cue_acronyms`` and ``not_country_cues`` is a name in the list."""
    import json
    from pathlib import Path

    import pipeline.tagging.countries as countries

    path = Path(countries.__file__).resolve().parent / "data" / "entities" / "armed_groups.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    forms = {form for name, _code, aliases in data["entries"] for form in (name, *aliases)}
    assert set(data["country_cue_acronyms"]) <= forms
    assert set(data["not_country_cues"]) <= forms


def test_the_event_schema_lists_every_via() -> None:
    """The enriched-event schema's ``via`` enum is exactly the tagger's ways of naming a country."""
    from pipeline.serde import load_schema
    from pipeline.tagging.countries import VIAS

    schema = load_schema("enriched")
    assert set(schema["$defs"]["evidence"]["properties"]["via"]["enum"]) == set(VIAS)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # seats of government, parliaments, central banks, exchanges, state media
        ("The Bundeskanzleramt declined to comment.", {"DE"}),
        ("Officials at Baabda Palace met the envoy.", {"LB"}),
        ("The Banque du Liban cut the rate.", {"LB"}),
        ("Fars News Agency said the drill ended.", {"IR"}),
        ("Rodong Sinmun said the test was a warning.", {"KP"}),
        ("The Wolesi Jirga approved the budget.", {"AF"}),
        ("The Casa de Nariño said talks would resume.", {"CO"}),
        ("Aso Rock said the election would go ahead.", {"NG"}),
        ("The Seimas voted for more defence spending.", {"LT"}),
        ("Tadawul shares fell.", {"SA"}),
        # conflict regions and towns in the English forms ISO and GeoNames lack
        ("Fighting spread across Tigray and Amhara.", {"ET"}),
        ("M23 rebels advanced in North Kivu.", {"CD"}),
        ("Strikes hit Nabatieh and the Bekaa Valley.", {"LB"}),
        ("Shelling was reported near Jabalia.", {"PS"}),
        ("Rockets fell on Sderot.", {"IL"}),
        ("The militia took El Geneina.", {"SD"}),
        ("Houthi forces pushed towards Marib.", {"YE"}),
        ("Troops entered Stepanakert.", {"AZ"}),  # the recognised country, as for Crimea
    ],
)
def test_more_institutions_and_conflict_places(
    tagger: CountryTagger, body: str, expected: set[str]
) -> None:
    """Seats of government, parliaments, central banks, exchanges, state media, and conflict
    regions and towns name their country."""
    assert codes(tagger, body) == expected

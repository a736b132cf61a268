"""Built-in entity tagger: the seed article, each rule on its own, offsets (property tests)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import BrinkwatchError
from pipeline.tagging.countries import CountryTagger
from pipeline.tagging.entities import EntityTagger, get_entity_tagger
from pipeline.tagging.types import Entity, FieldName


def tag(title: str, body: str) -> list[Entity]:
    """Tag one article the way the Tagger facade does (countries first)."""
    countries = CountryTagger.default().tag(title, body)
    return EntityTagger.default().tag(title, body, countries)


def find(entities: list[Entity], canonical: str) -> Entity:
    """Return the entity with this canonical name (fail if absent)."""
    for entity in entities:
        if entity["canonical"] == canonical:
            return entity
    raise AssertionError(f"{canonical!r} not in {[e['canonical'] for e in entities]}")


def surfaces(entities: list[Entity], title: str, body: str) -> list[str]:
    """Return the text of every mention of every entity."""
    texts = {"title": title, "body": body}
    return [
        texts[m["field"]][m["start"] : m["end"]] for entity in entities for m in entity["mentions"]
    ]


# -- the seed article ----------------------------------------------------------------------

SEED_PEOPLE = {
    "Vladimir Putin": "RU",
    "Kim Jong Un": "KP",
    "Volodymyr Zelenskyy": "UA",
    "Maria Zakharova": "RU",
    "Lim Soo-suk": "KR",
    "Alexander Bastrykin": "RU",
    "Oleksandr Syrskyi": "UA",
}
SEED_ORGS = {
    "Interfax": "RU",
    "UN Security Council": None,
    "Institute for the Study of War": "US",
    "South Korean Foreign Ministry": "KR",
    "ICARO Media Group": None,
}
SEED_PLACES = {"Donetsk": "UA", "Donetsk Oblast": "UA", "Seoul": "KR"}


@pytest.fixture(scope="module")
def seed_entities(seed_article: tuple[str, str]) -> list[Entity]:
    """The seed article's entities."""
    return tag(*seed_article)


@pytest.mark.parametrize(("name", "country"), sorted(SEED_PEOPLE.items()))
def test_seed_people_have_type_and_country(
    seed_entities: list[Entity], name: str, country: str
) -> None:
    """Every person named in the seed article is a PERSON with the right country."""
    entity = find(seed_entities, name)
    assert entity["type"] == "PERSON"
    assert entity["country"] == country


@pytest.mark.parametrize(("name", "country"), sorted(SEED_ORGS.items(), key=str))
def test_seed_organisations_have_type_and_country(
    seed_entities: list[Entity], name: str, country: str | None
) -> None:
    """Every organisation named in the seed article is an ORG; country where one is known."""
    entity = find(seed_entities, name)
    assert entity["type"] == "ORG"
    if country is not None:
        assert entity["country"] == country


@pytest.mark.parametrize(("name", "country"), sorted(SEED_PLACES.items()))
def test_seed_places_are_loc_with_country(
    seed_entities: list[Entity], name: str, country: str
) -> None:
    """Cities and regions are LOC entities tied to their country."""
    entity = find(seed_entities, name)
    assert entity["type"] == "LOC"
    assert entity["country"] == country


def test_seed_countries_and_demonyms_are_not_entities(seed_entities: list[Entity]) -> None:
    """Places that are countries, and nationalities, are left to the country tagger."""
    canonicals = {e["canonical"] for e in seed_entities}
    for word in ("Russia", "Ukraine", "North Korea", "South Korea", "Russian", "Ukrainian", "US"):
        assert word not in canonicals


def test_seed_has_no_common_word(
    seed_entities: list[Entity], seed_article: tuple[str, str]
) -> None:
    """No sentence-initial or capitalised common word becomes an entity."""
    common = {
        "The", "In", "Meanwhile", "According", "Furthermore", "West", "This", "As", "We",
        "July", "Commander", "President", "Role", "Warns", "Conflict", "Kremlin official",
    }  # fmt: skip
    seen = set(surfaces(seed_entities, *seed_article))
    assert not seen & common
    for entity in seed_entities:
        assert entity["text"][0].isupper(), entity
        assert not entity["text"].startswith(("The ", "In ", "According")), entity


def test_seed_surname_joins_full_name(
    seed_entities: list[Entity], seed_article: tuple[str, str]
) -> None:
    """ "Bastrykin" alone is a mention of "Alexander Bastrykin", not its own entity."""
    bastrykin = find(seed_entities, "Alexander Bastrykin")
    texts = surfaces([bastrykin], *seed_article)
    assert texts == ["Alexander Bastrykin", "Bastrykin"]
    assert all(e["canonical"] != "Bastrykin" for e in seed_entities)


def test_seed_acronym_joins_its_organisation(seed_entities: list[Entity]) -> None:
    """ "ISW" after "Institute for the Study of War (ISW)" is the same ORG."""
    isw = find(seed_entities, "Institute for the Study of War")
    assert len(isw["mentions"]) == 2
    assert all(e["canonical"] != "ISW" for e in seed_entities)


def test_seed_roles(seed_entities: list[Entity]) -> None:
    """Titles and role nouns before a name become the person's role."""
    assert find(seed_entities, "Vladimir Putin")["role"] == "President"
    assert find(seed_entities, "Kim Jong Un")["role"] == "leader"
    assert find(seed_entities, "Oleksandr Syrskyi")["role"] == "Commander in Chief"
    lim = find(seed_entities, "Lim Soo-suk")["role"] or ""
    assert lim.lower() == "foreign ministry spokesperson"
    assert find(seed_entities, "Maria Zakharova")["role"] == "foreign ministry official"


def test_seed_title_mentions_are_found(seed_entities: list[Entity]) -> None:
    """The Title Case headline is read against known places: "Seoul" in the title."""
    seoul = find(seed_entities, "Seoul")
    assert {"field": "title", "start": 0, "end": 5} in seoul["mentions"]


# -- one rule at a time --------------------------------------------------------------------


def test_title_role_and_demonym_country() -> None:
    """A demonym and a title before a name give its country and role."""
    body = "German Foreign Minister Hans Dietrich met officials in Berlin."
    hans = find(tag("", body), "Hans Dietrich")
    assert (hans["type"], hans["country"], hans["role"]) == ("PERSON", "DE", "Foreign Minister")


def test_lower_case_role_after_organisation() -> None:
    """ "<Org> spokesperson, <Name>" gives the person the organisation's country."""
    body = "The Turkish Defence Ministry spokesman, Zeki Aktas, said the drills were over."
    entities = tag("", body)
    ministry = find(entities, "Turkish Defence Ministry")
    assert (ministry["type"], ministry["country"]) == ("ORG", "TR")
    person = find(entities, "Zeki Aktas")
    assert person["country"] == "TR"
    assert person["role"] == "Defence Ministry spokesman"


def test_abbreviated_title() -> None:
    """ "Gen." is a title, not a full stop ending a sentence."""
    body = "The offensive was led by Gen. Mark Thompson of the army."
    person = find(tag("", body), "Mark Thompson")
    assert person["role"] == "Gen."


def test_canonical_full_name_for_title_and_surname() -> None:
    """ "President Putin", "Putin" and "Vladimir Putin" are one entity."""
    body = (
        "President Putin spoke on Monday. Vladimir Putin said the talks failed. "
        "Later Putin left Moscow."
    )
    entities = [e for e in tag("", body) if e["type"] == "PERSON"]
    assert len(entities) == 1
    assert entities[0]["canonical"] == "Vladimir Putin"
    assert len(entities[0]["mentions"]) == 3
    assert entities[0]["country"] == "RU"


def test_defined_acronym() -> None:
    """An acronym defined in brackets is the organisation it follows."""
    body = (
        "The Centre for Maritime Studies (CMS) published a report. "
        "Analysts at CMS said shipping fell."
    )
    org = find(tag("", body), "Centre for Maritime Studies")
    assert org["type"] == "ORG"
    assert len(org["mentions"]) == 3  # the name, "(CMS)" and "CMS"


def test_acronym_from_initials() -> None:
    """An acronym that spells an organisation's initials joins it."""
    body = (
        "The Islamic Revolutionary Guard Corps fired missiles, and the IRGC said more would come."
    )
    org = find(tag("", body), "Islamic Revolutionary Guard Corps")
    assert (org["type"], org["country"], len(org["mentions"])) == ("ORG", "IR", 2)


def test_article_before_organisation_is_not_part_of_it() -> None:
    """ "the UN Security Council" and "UN Security Council" are one entity."""
    body = (
        "Diplomats met at the UN Security Council on Tuesday. "
        "UN Security Council members disagreed."
    )
    council = find(tag("", body), "UN Security Council")
    assert len(council["mentions"]) == 2
    assert council["country"] is None


def test_headline_in_capitals() -> None:
    """A headline in capitals is read against names the body and tables know."""
    body = (
        "SOCCER - SHEARER NAMED AS ENGLAND CAPTAIN . LONDON 1996-08-30 "
        "The world 's costliest footballer Alan Shearer was named as the new England captain ."
    )
    entities = tag("", body)
    shearer = find(entities, "Alan Shearer")
    assert shearer["type"] == "PERSON"
    assert {"field": "body", "start": 9, "end": 16} in shearer["mentions"]
    london = find(entities, "London")
    assert london["type"] == "LOC"
    assert london["mentions"][0]["start"] == body.index("LONDON")
    texts = set(surfaces(entities, "", body))
    assert not texts & {"SOCCER", "NAMED", "CAPTAIN", "AS"}


def test_title_case_headline() -> None:
    """A Title Case title tags only what is known, not every capitalised word."""
    title = "Kyiv Braces for New Attacks as Talks Stall"
    body = "Officials in Kyiv said air defences were ready."
    entities = tag(title, body)
    in_title = [m for e in entities for m in e["mentions"] if m["field"] == "title"]
    assert [title[m["start"] : m["end"]] for m in in_title] == ["Kyiv"]


def test_quotes_and_sentence_starts() -> None:
    """A capital after an opening quote or a full stop is a sentence start."""
    body = (
        '"Nothing will change," said Marta Kowalczyk. '
        '"However hard they try." Meanwhile Kowalczyk left.'
    )
    entities = tag("", body)
    texts = set(surfaces(entities, "", body))
    assert texts == {"Marta Kowalczyk", "Kowalczyk"}
    assert find(entities, "Marta Kowalczyk")["type"] == "PERSON"


def test_place_cues_and_gazetteer_regions() -> None:
    """Place suffixes and the region list make LOC entities."""
    body = "Ships crossed the Red Sea toward the Gulf of Aden, far from Kharkiv Oblast."
    entities = tag("", body)
    assert find(entities, "Red Sea")["type"] == "LOC"
    assert find(entities, "Gulf of Aden")["type"] == "LOC"
    kharkiv = find(entities, "Kharkiv Oblast")
    assert (kharkiv["type"], kharkiv["country"]) == ("LOC", "UA")


def test_organisation_cues() -> None:
    """Organisation words make ORG entities, with a leading country word's country."""
    body = "Prices rose, the Polish Finance Ministry said, citing Orlen Group data."
    entities = tag("", body)
    ministry = find(entities, "Polish Finance Ministry")
    assert (ministry["type"], ministry["country"]) == ("ORG", "PL")
    assert find(entities, "Orlen Group")["type"] == "ORG"


def test_news_agency_and_armed_group_gazetteers() -> None:
    """Gazetteer entries carry their country."""
    body = "Houthi fighters attacked a tanker, Yonhap and Reuters reported."
    entities = tag("", body)
    assert find(entities, "Houthis")["country"] == "YE"
    assert find(entities, "Yonhap")["country"] == "KR"
    assert find(entities, "Reuters")["type"] == "ORG"


def test_hyphenated_adjective_is_not_a_name() -> None:
    """ "US-led" and "Kurdish-controlled" are adjectives, not names."""
    body = "The US-led coalition struck near a Kurdish-controlled town."
    assert tag("", body) == []


def test_empty_and_lowercase_text() -> None:
    """Nothing to tag gives an empty list."""
    assert tag("", "") == []
    assert tag("quiet day", "nothing happened here at all.") == []


# -- backends ------------------------------------------------------------------------------


def test_get_entity_tagger_builtin_is_cached() -> None:
    """The built-in backend is the process-wide instance."""
    assert get_entity_tagger() is EntityTagger.default()
    assert get_entity_tagger("builtin") is EntityTagger.default()
    assert EntityTagger.default().data_version.startswith("entities/")


def test_get_entity_tagger_unknown_backend() -> None:
    """An unknown backend name is refused with a BrinkwatchError."""
    with pytest.raises(BrinkwatchError, match="unknown entity backend"):
        get_entity_tagger("nltk")


# -- offsets (property tests) --------------------------------------------------------------

WORDS = [
    "Russian", "President", "Vladimir", "Putin", "said", "the", "The", "UN", "Security",
    "Council", "in", "Kyiv", "Donetsk", "Oblast", "Ministry", "of", "Defence", "and", "ISW",
    "(ISW)", "Gen.", "U.S.", "Reuters", "Kim", "Jong", "Un's", "Institute", "for", "War",
    "LONDON", "SOCCER", "-", ".", ",", '"', "Meanwhile", "Lim", "Soo-suk", "al-Assad", "é",
    "Zürich", "ÉLYSÉE", "spokesperson", "official", "\n", "O'Brien", "Mr.", "St.", "Co",
]  # fmt: skip


def check_offsets(title: str, body: str, entities: list[Entity]) -> None:
    """Every mention lies inside its field and slices back to a trimmed, capitalised name."""
    texts = {"title": title, "body": body}
    for entity in entities:
        assert entity["type"] in ("PERSON", "ORG", "LOC")
        assert entity["mentions"]
        first = entity["mentions"][0]
        assert texts[first["field"]][first["start"] : first["end"]] == entity["text"]
        for m in entity["mentions"]:
            text = texts[m["field"]]
            assert 0 <= m["start"] < m["end"] <= len(text)
            piece = text[m["start"] : m["end"]]
            assert piece == piece.strip()
            assert piece[0].isupper() or piece[0].isdigit()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join),
)
def test_offsets_from_name_like_text(title: str, body: str) -> None:
    """Text made of names, titles and punctuation gives well-formed offsets."""
    check_offsets(title, body, tag(title, body))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.text(max_size=300))
def test_offsets_from_any_text(title: str, body: str) -> None:
    """Arbitrary Unicode never breaks the tagger or its offsets."""
    check_offsets(title, body, tag(title, body))


def test_assemble_other_recogniser_spans() -> None:
    """Spans from another recogniser are trimmed, typed by the tables, and merged."""
    body = "The Acme  Holdings board met. Anna Berg of the Acme  Holdings spoke; Berg's aide left."
    spans: list[tuple[FieldName, int, int, str]] = [
        ("body", body.index("The Acme"), body.index(" board"), "ORG"),
        ("body", body.index("Anna Berg"), body.index(" of"), "PERSON"),
        ("body", body.rindex("Acme"), body.index(" spoke"), "ORG"),
        ("body", body.index("Berg's"), body.index(" aide"), "ORG"),
    ]
    entities = EntityTagger.default().assemble("", body, spans, [])
    org = find(entities, "Acme  Holdings")
    assert [body[m["start"] : m["end"]] for m in org["mentions"]] == ["Acme  Holdings"] * 2
    berg = find(entities, "Anna Berg")
    assert [body[m["start"] : m["end"]] for m in berg["mentions"]] == ["Anna Berg", "Berg"]

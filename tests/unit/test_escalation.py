"""Tests of the escalation tagger: the seed article, then one short sentence per rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.errors import DataError
from pipeline.tagging.escalation import (
    DATA_PATH,
    DEFAULT_THRESHOLDS,
    MODALITIES,
    EscalationTagger,
    expand_phrase,
    level_for,
)
from pipeline.tagging.types import LEVELS, Country, Entity, Escalation, Signal

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_be93d98e5d221129.txt"

# A hand-made gazetteer, so that these tests do not depend on the country and
# entity taggers (those are exercised together in test_seed_full_pipeline).
GAZETTEER = {
    "North Korea": "KP",
    "North Korean": "KP",
    "Pyongyang": "KP",
    "South Korea": "KR",
    "South Korean": "KR",
    "Seoul": "KR",
    "Russia": "RU",
    "Russian": "RU",
    "Moscow": "RU",
    "Kremlin": "RU",
    "Ukraine": "UA",
    "Ukrainian": "UA",
    "Kyiv": "UA",
    "Donetsk": "UA",
    "Donetsk Oblast": "UA",
    "Iran": "IR",
    "Turkey": "TR",
    "Syria": "SY",
    "Syrian": "SY",
    "US": "US",
}
PEOPLE = {
    "Alexander Bastrykin": "RU",
    "Bastrykin": "RU",
    "Lim Soo-suk": "KR",
    "Maria Zakharova": "RU",
}


def _spans(text: str, names: dict[str, str]) -> list[tuple[int, int, str, str]]:
    """Find every name of *names* in *text*, longest first, whole words."""
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return [
        (m.start(), m.end(), m.group(), names[m.group()])
        for m in re.finditer(rf"\b(?:{alternation})\b", text)
    ]


def countries_in(title: str, body: str) -> list[Country]:
    """Country facts with evidence for every gazetteer name in the article."""
    by_code: dict[str, Country] = {}
    for field, text in (("title", title), ("body", body)):
        for start, end, surface, code in _spans(text, GAZETTEER):
            country = by_code.setdefault(
                code,
                {
                    "code": code,
                    "alpha3": code + "X",
                    "name": code,
                    "mentions": 0,
                    "salience": 1.0,
                    "focus": False,
                    "evidence": [],
                },
            )
            country["mentions"] += 1
            country["evidence"].append(
                {"field": field, "start": start, "end": end, "text": surface, "via": "name"}  # type: ignore[typeddict-item]
            )
    return list(by_code.values())


def people_in(title: str, body: str) -> list[Entity]:
    """PERSON entities with a country for every known person in the article."""
    entities: list[Entity] = []
    for field, text in (("title", title), ("body", body)):
        for start, end, surface, code in _spans(text, PEOPLE):
            entities.append(
                {
                    "text": surface,
                    "canonical": surface,
                    "type": "PERSON",
                    "country": code,
                    "mentions": [{"field": field, "start": start, "end": end}],  # type: ignore[typeddict-item]
                }
            )
    return entities


@pytest.fixture(scope="module")
def tagger() -> EscalationTagger:
    """The process-wide tagger of the packaged lexicon."""
    return EscalationTagger.default()


def tag(tagger: EscalationTagger, body: str, title: str = "") -> Escalation:
    """Tag one article with the hand-made countries and people."""
    return tagger.tag(title, body, countries_in(title, body), people_in(title, body))


def find(escalation: Escalation, term: str) -> Signal:
    """Return the (first) signal whose term contains *term*."""
    for signal in escalation["signals"]:
        if term.lower() in signal["term"].lower():
            return signal
    raise AssertionError(f"no signal for {term!r} in {[s['term'] for s in escalation['signals']]}")


def terms(escalation: Escalation) -> list[str]:
    """The matched terms, lower-cased, in order."""
    return [s["term"].lower() for s in escalation["signals"]]


def asserted(escalation: Escalation) -> list[Signal]:
    """The signals that are asserted (not negated)."""
    return [s for s in escalation["signals"] if not s["negated"]]


# -- the seed article ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed(tagger: EscalationTagger) -> Escalation:
    """The seed article, tagged with hand-made countries and people."""
    title, body = SEED.read_text(encoding="utf-8").split("\n", 1)
    return tag(tagger, body, title)


def test_seed_level_is_elevated_or_higher(seed: Escalation) -> None:
    """The seed article (arms supplies, mobilisation, annexation, attacks) is at least elevated."""
    assert LEVELS.index(seed["level"]) >= LEVELS.index("elevated")
    assert seed["score"] >= DEFAULT_THRESHOLDS[1]


def test_seed_personnel_sent_by_north_korea_to_russia(seed: Escalation) -> None:
    """'North Korea sending engineers ... to help rebuild Russian infrastructure': KP -> RU."""
    signal = find(seed, "sending engineers")
    assert signal["category"] == "foreign_military"
    assert signal["actors"][:2] == ["KP", "RU"]


def test_seed_weapons_supply(seed: Escalation) -> None:
    """'involvement with North Korea in supplying weapons': an asserted arms transfer by KP."""
    signal = find(seed, "supplying weapons")
    assert signal["category"] == "arms_transfer"
    assert not signal["negated"]
    assert signal["actors"][0] == "KP"


@pytest.mark.parametrize("term", ["mobilized to fight", "forcibly enlisted", "forced to fight"])
def test_seed_mobilisation_and_forced_enlistment(seed: Escalation, term: str) -> None:
    """Mobilisation and forced enlistment of Russian citizens are found, with Russia as actor."""
    signal = find(seed, term)
    assert signal["category"] == "mobilisation"
    assert signal["cameo"] == "15"
    assert "RU" in signal["actors"]


def test_seed_forced_enlistment_is_asserted(seed: Escalation) -> None:
    """'had been forcibly enlisted' is stated as fact."""
    signal = find(seed, "forcibly enlisted")
    assert signal["modality"] == "asserted"
    assert signal["actors"] == ["RU"]


def test_seed_annexation(seed: Escalation) -> None:
    """'Russia's annexation of parts of Donetsk': annexation by RU of UA territory."""
    signal = find(seed, "annexation")
    assert signal["category"] == "annex_occupy"
    assert signal["actors"][:2] == ["RU", "UA"]


def test_seed_attacks_from_the_russian_army(seed: Escalation) -> None:
    """'relentless ground and air attacks from the Russian army': RU attacks UA ('from' = agent)."""
    signal = find(seed, "attacks")
    assert signal["cameo"] in {"18", "19"}
    assert not signal["negated"]
    assert signal["actors"][:2] == ["RU", "UA"]


def test_seed_no_concrete_reports_is_negated(seed: Escalation) -> None:
    """'no concrete reports of North Korean personnel participating in combat operations'."""
    signal = find(seed, "combat")
    assert signal["negated"]
    assert signal["modality"] == "negated"
    assert signal["weight"] == 0


def test_seed_could_potentially_bolster_is_hedged(seed: Escalation) -> None:
    """'could potentially bolster Russian forces' is hedged, not asserted."""
    signal = find(seed, "bolster")
    assert signal["negated"]
    assert signal["modality"] == "hedged"


def test_seed_advice_against_providing_arms_is_not_an_arms_transfer(seed: Escalation) -> None:
    """'advised South Korea against providing arms to Ukraine' warns about a hypothetical."""
    sentence = next(s for s in seed["signals"] if "providing arms" in s["sentence"])["sentence"]
    in_sentence = [s for s in seed["signals"] if s["sentence"] == sentence]
    arms = [s for s in in_sentence if s["category"] == "arms_transfer"]
    assert arms
    assert all(s["negated"] and s["modality"] == "hypothetical" for s in arms)
    warning = find(seed, "advised South Korea against")
    assert (warning["category"], warning["cameo"], warning["negated"]) == ("warn", "13", False)


def test_seed_cautioning_russia_is_a_warning(seed: Escalation) -> None:
    """'cautioning Russia against making any mistakes' is a warning (CAMEO 13) by KR to RU."""
    signal = find(seed, "cautioning Russia")
    assert (signal["category"], signal["cameo"]) == ("warn", "13")
    assert not signal["negated"]
    assert signal["actors"][:2] == ["KR", "RU"]


def test_seed_signals_locate_their_terms(seed: Escalation) -> None:
    """Every seed signal's offsets locate its term in its field and lie in its sentence."""
    title, body = SEED.read_text(encoding="utf-8").split("\n", 1)
    for signal in seed["signals"]:
        text = title if signal["field"] == "title" else body
        assert text[signal["start"] : signal["end"]] == signal["term"]
        assert signal["term"] in signal["sentence"]


def test_seed_full_pipeline() -> None:
    """With the real country and entity taggers the seed facts hold as well."""
    try:
        from pipeline.tagging import Tagger

        tagger = Tagger()
    except (ImportError, DataError) as exc:  # pragma: no cover - depends on the other taggers
        pytest.skip(f"country/entity taggers not available: {exc}")
    title, body = SEED.read_text(encoding="utf-8").split("\n", 1)
    escalation = tagger.tag(title, body).escalation
    assert LEVELS.index(escalation["level"]) >= LEVELS.index("elevated")
    assert find(escalation, "sending engineers")["actors"][:2] == ["KP", "RU"]
    assert find(escalation, "combat")["negated"]
    assert find(escalation, "bolster")["modality"] == "hedged"
    assert find(escalation, "annexation")["actors"][0] == "RU"


# -- phrase, not bag of words -------------------------------------------------------------


def test_military_alone_is_not_a_signal(tagger: EscalationTagger) -> None:
    """Conflict-flavoured words outside a conflict phrase are not signals."""
    escalation = tag(tagger, "The military held a parade and the army band played.")
    assert escalation["signals"] == []
    assert (escalation["score"], escalation["level"]) == (0.0, "none")


def test_troops_massed_on_the_border_is_force_posture(tagger: EscalationTagger) -> None:
    """'troops massed on the border' is force posture (CAMEO 15)."""
    signal = find(tag(tagger, "Russian troops massed on the border with Ukraine."), "massed")
    assert (signal["category"], signal["cameo"], signal["actors"]) == (
        "force_posture",
        "15",
        ["RU", "UA"],
    )


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("The government vowed to fight corruption.", "fight"),
        ("The senator died of a heart attack.", "attack"),
        ("Analysts said the fund will fight the takeover bid.", "fight"),
        ("Iran has anti-ship missiles near the Gulf.", "ship"),
        ("Shares shot up 11 pct in early trading.", "shot"),
        ("The spokesman declined to comment.", "declined"),
    ],
)
def test_suppressed_phrases(tagger: EscalationTagger, text: str, absent: str) -> None:
    """Phrases that contain a conflict word but mean something else yield no signal."""
    assert not any(absent in t for t in terms(tag(tagger, text)))


def test_peacekeeping_deployment_is_cooperation(tagger: EscalationTagger) -> None:
    """Sending troops to a peacekeeping mission is not a force-posture signal."""
    assert tag(tagger, "Japan is sending troops to the UN peacekeeping force.")["signals"] == []
    assert find(tag(tagger, "Russia is sending troops to the border."), "sending troops")


def test_gap_phrase_stays_in_its_clause(tagger: EscalationTagger) -> None:
    """A gapped phrase ('send ... troops') does not run across a sentence end."""
    assert tag(tagger, "They will send it. Troops are not needed.")["signals"] == []


# -- statements versus acts ---------------------------------------------------------------


def test_warned_against_arming_is_a_warning_not_a_transfer(tagger: EscalationTagger) -> None:
    """'warned against arming Ukraine': a warning (13), the arming is hypothetical."""
    escalation = tag(tagger, "Moscow warned against arming Ukraine.")
    assert find(escalation, "warned")["category"] == "warn"
    arming = find(escalation, "arming")
    assert arming["category"] == "arms_transfer"
    assert (arming["negated"], arming["modality"]) == (True, "hypothetical")


def test_supplying_weapons_is_an_asserted_transfer_with_actors(tagger: EscalationTagger) -> None:
    """'North Korea supplying weapons to Russia' -> arms transfer, actors KP then RU."""
    signal = find(tag(tagger, "North Korea is supplying weapons to Russia."), "supplying")
    assert (signal["category"], signal["cameo"], signal["modality"]) == (
        "arms_transfer",
        "072",
        "asserted",
    )
    assert signal["actors"] == ["KP", "RU"]


def test_threat_to_attack_asserts_the_threat_not_the_attack(tagger: EscalationTagger) -> None:
    """'threatened to attack': the threat is asserted, the attack hypothetical."""
    escalation = tag(tagger, "Iran threatened to attack the base.")
    assert find(escalation, "threatened")["modality"] == "asserted"
    assert find(escalation, "attack")["modality"] == "hypothetical"


def test_offer_to_send_troops_is_hypothetical(tagger: EscalationTagger) -> None:
    """An offer to send troops does not send them."""
    signal = find(tag(tagger, "Turkey offered to send troops to Syria."), "send troops")
    assert (signal["negated"], signal["modality"]) == (True, "hypothetical")


# -- negation, hedging and reports, and their scope ---------------------------------------


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Russia denied sending troops to the region.", "sending troops"),
        ("The government ruled out military action.", "military action"),
        ("There were no attacks overnight.", "attacks"),
        ("The army did not attack the town.", "attack"),
        ("The army didn’t attack the town.", "attack"),
        ("The rebels never fought in the north.", "fought"),
        ("There were no concrete reports of troops participating in combat operations.", "combat"),
        ("The unions called off the general strike.", "general strike"),
        ("Japan lifted sanctions on Iran.", "sanctions"),
        ("The planned attack was foiled by police.", "attack"),
    ],
)
def test_negation_cues(tagger: EscalationTagger, text: str, term: str) -> None:
    """Each negation cue voids the signal it governs."""
    signal = find(tag(tagger, text), term)
    assert (signal["negated"], signal["modality"], signal["weight"]) == (True, "negated", 0)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("He did not comment, but the army attacked the town.", "attacked"),
        ("Not long after the talks ended, fighting resumed.", "fighting"),
        ("The minister, who has never visited the region, ordered air strikes.", "air strikes"),
        ("No one was hurt in the attack on Monday, and troops shelled the city.", "shelled"),
    ],
)
def test_negation_scope_ends_at_the_clause(tagger: EscalationTagger, text: str, term: str) -> None:
    """A negation cue in another clause (comma, 'but') does not govern the signal."""
    signal = find(tag(tagger, text), term)
    assert not signal["negated"]


def test_negation_window_is_short(tagger: EscalationTagger) -> None:
    """'not' governs the next few words only, not a far signal in the same clause."""
    escalation = tag(tagger, "It is not clear why government forces on the hill suddenly attacked.")
    assert not find(escalation, "attacked")["negated"]


@pytest.mark.parametrize(
    ("text", "term", "modality"),
    [
        ("The crisis could potentially turn into a full-scale war.", "war", "hedged"),
        ("Rebels may have killed dozens of villagers.", "killed", "hedged"),
        ("There were unconfirmed reports of shelling near the airport.", "shelling", "unconfirmed"),
        ("The Houthis claimed that they had attacked the airport.", "attacked", "unconfirmed"),
        ("Troops allegedly tortured detainees.", "tortured", "unconfirmed"),
        ("If attacked, Turkey will respond.", "attacked", "hypothetical"),
        ("Seoul foresees North Korea sending engineers to Russia.", "sending engineers", "hedged"),
    ],
)
def test_hedges_and_claims_are_not_asserted(
    tagger: EscalationTagger, text: str, term: str, modality: str
) -> None:
    """Possibility, prediction, conditions and unconfirmed claims are not asserted."""
    signal = find(tag(tagger, text), term)
    assert (signal["negated"], signal["modality"]) == (True, modality)
    assert 0 < signal["weight"] < 10


def test_attributed_reports_stay_asserted_with_less_weight(tagger: EscalationTagger) -> None:
    """'According to Interfax, ... mobilized to fight': reported, still asserted, lighter."""
    plain = find(tag(tagger, "Some 10,000 citizens have been mobilized to fight."), "mobilized")
    reported = find(
        tag(tagger, "According to Interfax, some 10,000 citizens have been mobilized to fight."),
        "mobilized",
    )
    assert (reported["modality"], reported["negated"]) == ("reported", False)
    assert reported["weight"] < plain["weight"]


def test_definite_reference_presupposes_the_event(tagger: EscalationTagger) -> None:
    """'condemned the attack': the attack is presupposed (background), the condemnation asserted."""
    escalation = tag(tagger, "Putin condemned the attack.")
    assert find(escalation, "condemned")["modality"] == "asserted"
    attack = find(escalation, "attack")
    assert (attack["modality"], attack["negated"]) == ("presupposed", True)
    assert attack["weight"] > 0
    again = find(tag(tagger, "Government forces continued their attacks on the town."), "attacks")
    assert again["modality"] == "asserted"


def test_sympathy_makes_the_event_background(tagger: EscalationTagger) -> None:
    """Killings that condolences are about are presupposed, not asserted as news."""
    escalation = tag(
        tagger, "The minister expressed condolences to the families of those killed in Kabul."
    )
    assert find(escalation, "killed")["modality"] == "presupposed"
    assert asserted(escalation) == []


# -- inflections --------------------------------------------------------------------------


def test_expand_phrase_inflections_and_alternatives() -> None:
    """The compact notation expands to spelled-out forms."""
    assert expand_phrase("mobili{s,z}e~") == [
        "mobilise",
        "mobilises",
        "mobilised",
        "mobilising",
        "mobilize",
        "mobilizes",
        "mobilized",
        "mobilizing",
    ]
    assert expand_phrase("fight~", {"fight": ["fights", "fought", "fighting"]}) == [
        "fight",
        "fights",
        "fought",
        "fighting",
    ]
    assert expand_phrase("occup{y,ies,ied}") == ["occupy", "occupies", "occupied"]
    assert set(expand_phrase("seize~")) == {"seize", "seizes", "seized", "seizing"}
    assert set(expand_phrase("air{ ,}strike{,s}")) == {
        "air strike",
        "air strikes",
        "airstrike",
        "airstrikes",
    }
    assert expand_phrase("{de{ny,nies},x} ...2 {a,b}")[:2] == ["deny ...2 a", "deny ...2 b"]
    assert expand_phrase("cease-fire won't") == ["cease fire won t"]


@pytest.mark.parametrize(
    "text",
    [
        "Russia mobilised 300,000 reservists.",
        "Russia is mobilizing troops.",
        "The Kremlin mobilizes the army.",
        "A partial mobilisation of reservists was announced.",
        "A general mobilization was announced.",
    ],
)
def test_mobilisation_inflections(tagger: EscalationTagger, text: str) -> None:
    """British and American spellings and every verb form of 'mobilise' match."""
    signals = tag(tagger, text)["signals"]
    assert signals
    assert {s["category"] for s in signals} == {"mobilisation"}


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Rebels fought government troops overnight.", "fight"),
        ("Protesters were shot dead by police.", "assault"),
        ("Gunmen kidnapped two engineers.", "assault"),
        ("Warplanes carried out airstrikes on the city.", "air_strike"),
        ("Artillery shelled the town.", "shelling"),
        ("Russia annexed Crimea in 2014.", "annex_occupy"),
        ("Militants seized the airport.", "seize"),
        ("The EU imposed sanctions on Russia.", "sanctions"),
        ("Thousands of protesters marched against the government.", "protest"),
    ],
)
def test_one_sentence_categories(tagger: EscalationTagger, text: str, category: str) -> None:
    """Typical conflict-news sentences get their CAMEO-aligned category, asserted."""
    signals = asserted(tag(tagger, text))
    assert category in {s["category"] for s in signals}


# -- score, level, order, data ------------------------------------------------------------


def test_level_for_thresholds() -> None:
    """level_for picks the highest level whose threshold the score reaches."""
    low, elevated, high, critical = DEFAULT_THRESHOLDS
    assert low < elevated < high < critical <= 100
    assert level_for(0.0) == "none"
    assert level_for(low) == "low"
    assert level_for(elevated - 0.1) == "low"
    assert level_for(high) == "high"
    assert level_for(100.0) == "critical"
    assert level_for(50.0, (10.0, 20.0, 60.0, 90.0)) == "elevated"


def test_one_verbal_signal_is_low_and_one_attack_elevated(tagger: EscalationTagger) -> None:
    """The calibration: one asserted verbal signal is low, one violent act elevated."""
    assert tag(tagger, "The minister condemned the decision.")["level"] == "low"
    assert tag(tagger, "Gunmen attacked a police station.")["level"] == "elevated"


def test_more_violence_scores_higher(tagger: EscalationTagger) -> None:
    """More and stronger signals raise the score, which saturates below 100."""
    one = tag(tagger, "Gunmen attacked a police station.")["score"]
    two = tag(tagger, "Gunmen attacked a police station and killed five officers.")["score"]
    many = tag(
        tagger,
        "Troops shelled the city. Warplanes carried out air strikes. Militants massacred "
        "villagers. Rebels seized the airport. Heavy fighting raged.",
    )
    assert 0 < one < two < many["score"] <= 100
    assert many["level"] in {"high", "critical"}


def test_custom_thresholds_change_the_level_only(tagger: EscalationTagger) -> None:
    """Thresholds decide the level; the score does not depend on them."""
    text = "Gunmen attacked a police station."
    default = tagger.tag("", text, [], [])
    strict = tagger.tag("", text, [], [], thresholds=(90.0, 95.0, 98.0, 99.0))
    assert strict["score"] == default["score"]
    assert strict["level"] == "none"


def test_signals_title_first_then_by_position(tagger: EscalationTagger) -> None:
    """Signals come title first, then in order of position."""
    escalation = tagger.tag(
        "Rebels attack town", "Troops shelled the city. Later, police arrested ten men.", [], []
    )
    keys = [(s["field"] == "body", s["start"]) for s in escalation["signals"]]
    assert keys == sorted(keys)
    assert escalation["signals"][0]["field"] == "title"


def test_data_version_and_default_cache(tagger: EscalationTagger) -> None:
    """The tagger reports the lexicon version and default() is compiled once."""
    data = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    assert tagger.data_version == data["version"]
    assert EscalationTagger.default() is tagger
    assert set(data["scoring"]["modality_factors"]) == set(MODALITIES)


def test_lexicon_phrases_compile_to_matches(tagger: EscalationTagger) -> None:
    """Every category has phrases, a CAMEO code in 09-20 or the documented 072, and a weight."""
    data = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    for category in data["categories"]:
        code = category["cameo"]
        assert code in data["cameo_extensions"] or 9 <= int(code) <= 20
        assert 0 < category["weight"] <= 10
        assert category["phrases"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["categories"][0]["phrases"].append("bad {brace"), "unbalanced"),
        (lambda d: d["categories"][0].update(unless=["nowhere"]), "unknown context"),
        (lambda d: d["modality_cues"][0].update(modality="maybe"), "priority"),
        (lambda d: d.pop("scoring"), "bad escalation lexicon"),
    ],
)
def test_bad_lexicon_raises_data_error(change: object, reason: str) -> None:
    """A malformed lexicon is refused with a DataError that says why."""
    data = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    with pytest.raises(DataError, match=reason):
        EscalationTagger(data, path="lexicon.json")


def test_unreadable_lexicon_file(tmp_path: Path) -> None:
    """A lexicon file that is not JSON is refused with a DataError naming it."""
    path = tmp_path / "lexicon.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match=r"lexicon\.json"):
        EscalationTagger.from_file(path)

"""Built-in entity tagger: the speed machinery (caches, shortcuts) never changes an answer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline.tagging.entities as entities_module
from pipeline.tagging.countries import CountryTagger
from pipeline.tagging.entities import EntityTagger
from pipeline.tagging.types import Entity

BODIES = [
    "Russian President Vladimir Putin met Kim Jong Un in Pyongyang. Putin said the talks went"
    " well. The Institute for the Study of War (ISW) said Moscow gained ground near Donetsk.",
    "Officials in Cairo said the metro would open in May. Analysts said Egypt and the United"
    " States agreed. SOCCER - JAPAN GET LUCKY WIN , CHINA IN SURPRISE DEFEAT . Nadim Ladki said"
    " Japan began the defence of their Asian Cup title with a lucky 2-1 win.",
    "VATICAN CITY (Reuters) - Pope Francis met Italian Prime Minister Giorgia Meloni. Meloni"
    " said Italy would help. The UN Security Council met in New York.",
    "Operation Inherent Resolve continued. Meanwhile Zelenskyy spoke in Kyiv. U.S. Army officers"
    " and Gen. Smith of the Foreign Ministry's press office met Lim Soo-suk in Seoul.",
]


def fresh() -> EntityTagger:
    """A tagger with empty caches (the country tagger's look-up is shared)."""
    return EntityTagger(CountryTagger.default().lookup)


def run(tagger: EntityTagger, title: str, body: str) -> list[Entity]:
    """Tag one article with the country tagger's output, as the facade does."""
    return tagger.tag(title, body, CountryTagger.default().tag(title, body))


def test_first_and_second_pass_agree() -> None:
    """A cold tagger (every run a cache miss) and a warm one give the same entities."""
    tagger = fresh()
    first = [run(tagger, "", body) for body in BODIES]
    second = [run(tagger, "", body) for body in BODIES]
    assert first == second
    assert first == [run(fresh(), "", body) for body in BODIES]


def test_capitals_run_found_on_a_cache_hit() -> None:
    """A run in capitals sends the field the slow way whether it is new or already cached."""
    body = BODIES[1]
    warm = fresh()
    run(warm, "", "Reuters reported: SOCCER - JAPAN GET LUCKY WIN , CHINA IN SURPRISE DEFEAT .")
    assert run(warm, "", body) == run(fresh(), "", body)


def test_bounded_caches_give_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Caches emptied every few runs (a tiny limit) change nothing."""
    expected = [run(fresh(), "Seoul Warns Russia", body) for body in BODIES]
    monkeypatch.setattr(entities_module, "_CACHE_LIMIT", 3)
    tagger = fresh()
    for _ in range(2):
        assert [run(tagger, "Seoul Warns Russia", body) for body in BODIES] == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\n.!?:;-–—•*\"'“‘«([”’)]aZ,", max_size=8), st.sampled_from("AZ"))
def test_sentence_start_shortcut(prefix: str, capital: str) -> None:
    """_sentence_initial keeps its rule, and the hot loops' one-character "no" never errs."""
    text = prefix + capital
    base = len(prefix)
    initial = entities_module._sentence_initial(text, base)
    assert initial == _sentence_initial_reference(text, base)
    not_plain = entities_module._NOT_PLAIN
    if base > 1 and text[base - 1] == " " and text[base - 2] not in not_plain:
        assert not initial
    if base > 1 and text[base - 1] == " ":
        decided = entities_module._AFTER_SPACE.get(text[base - 2], False)
        assert decided is None or decided == initial


def _sentence_initial_reference(text: str, start: int) -> bool:
    """The sentence-start rule read plainly (no shortcut for ". The")."""
    i = start - 1
    while i >= 0 and text[i] in " \t\"'“‘«([":
        i -= 1
    if i < 0:
        return True
    if text[i] in ".!?\n:;-–—•*":
        return True
    return text[i] in "\"'”’)]" and i > 0 and text[i - 1] in ".!?"


def _shouting_reference(text: str, runs: list[tuple[int, int, str]]) -> list[bool]:
    """The straightforward reading of the capitals rule (every run visited three times)."""
    n = len(runs)
    loud = [False] * n
    for k, (_s, _e, r) in enumerate(runs):
        if r.isupper() and " " in r and sum(c.isalpha() for c in r) >= 7:
            loud[k] = True
    if not any(loud):
        return loud
    has_lower = entities_module._HAS_LOWER
    for k in range(n):
        if loud[k] or not runs[k][2].isupper():
            continue
        s, e, _r = runs[k]
        before = k > 0 and loud[k - 1] and not has_lower.search(text, runs[k - 1][1], s)
        after = k + 1 < n and loud[k + 1] and not has_lower.search(text, e, runs[k + 1][0])
        loud[k] = bool(before or after)
    for k in range(n - 2, -1, -1):
        if (
            not loud[k]
            and loud[k + 1]
            and runs[k][2].isupper()
            and not has_lower.search(text, runs[k][1], runs[k + 1][0])
        ):
            loud[k] = True
    return loud


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["WORLD CUP FINAL", "JAPAN", "CHINA", "UN", "Japan", "Asia Cup", "-", "a"]),
        max_size=10,
    )
)
def test_shouting_matches_the_plain_rule(words: list[str]) -> None:
    """_shouting (which visits only runs in capitals) agrees with the plain three-pass rule."""
    text = " ".join(words)
    runs = [(m.start(), m.end(), m.group()) for m in entities_module._RUN.finditer(text)]
    assert entities_module._shouting(text, runs) == _shouting_reference(text, runs)


def test_country_evidence_lists_title_first() -> None:
    """The entity tagger stops reading a country's evidence at its first body entry.

    That holds while the country tagger lists title evidence before body evidence;
    this test fails if that ever changes.
    """
    from pipeline.bench.corpus import generate

    articles = [(a["title"], a["body"]) for a in generate(40, 3000)]
    articles.append(("Seoul Warns Russia over North Korea's Role", BODIES[0] + " Seoul. Russia."))
    seen_title = 0
    for title, body in articles:
        for country in CountryTagger.default().tag(title, body, min_salience=0.0):
            fields = [ev["field"] for ev in country["evidence"]]
            assert fields == sorted(fields, key=lambda f: f != "title"), fields
            seen_title += fields.count("title")
    assert seen_title > 0


def test_a_span_given_twice_is_one_mention() -> None:
    """Another recogniser's duplicate spans (same field, start, end) make one mention each."""
    body = "Alice Walker met Bob Stone. Alice Walker left, and Walker spoke."
    spans = [
        ("body", 0, 12, "PERSON"),
        ("body", 0, 12, "PERSON"),
        ("body", 17, 26, "PERSON"),
        ("body", 28, 40, "PERSON"),
        ("body", 51, 57, "PERSON"),
        ("body", 28, 40, "PERSON"),
    ]
    entities = fresh().assemble("", body, spans, [])  # type: ignore[arg-type]
    alice = next(e for e in entities if e["canonical"] == "Alice Walker")
    starts = [m["start"] for m in alice["mentions"]]
    assert starts == [0, 28, 51]
    assert entities[0] is alice


def _role_before_reference(text: str, start: int) -> str | None:
    """The role rule read plainly: the 60 characters before the name, split in words."""
    t = entities_module._tables()
    window = text[max(0, start - 60) : start].rstrip(" ,")
    words = window.rsplit(" ", 4)
    if words[-1] not in t.roles:
        if words[-1] not in t.title_ends:
            return None
        for size in (3, 2, 1):
            title = " ".join(words[-size:])
            if len(words) >= size and title in t.titles:
                return title
        return None
    k = len(words) - 1
    while k > 0 and words[k - 1] in t.role_modifiers and len(words) - k < 4:
        k -= 1
    return " ".join(words[k:])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "foreign",
                "ministry",
                "official",
                "spokesperson",
                "President",
                "Foreign Minister",
                "said",
                "the",
                ",",
                "",
                "deputy",
                "x" * 30,
            ]
        ),
        max_size=8,
    ),
    st.sampled_from([" ", ", ", "  ", ""]),
)
def test_role_before_matches_the_plain_rule(words: list[str], tail: str) -> None:
    """_role_before (which reads the last word first) agrees with the plain window rule."""
    text = " ".join(words) + tail
    assert entities_module._role_before(text, len(text), entities_module._tables()) == (
        _role_before_reference(text, len(text))
    )


_CONNECT_PLAIN = (
    r"(?:of|for|de|du|des|da|do|dos|das|di|del|della|van|von|der|den|ter|bin|ibn|al|el|and|&"
    r"|in(?=[ ]Chief))(?:[ ](?:the|der|den|la|le|al))?"
)
_CONNECT_WORDS = (
    "Bank of for de del della des dos das do van von der den ter bin ibn al el and & in Chief"
    " the la le England Al U.S. said den. dell ands du di da"
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_CONNECT_WORDS.split(" ")), max_size=12))
def test_grouped_connectors_match_the_word_list(words: list[str]) -> None:
    """The run regex with its connectors grouped by first letter finds the plain list's runs."""
    import re

    plain = re.compile(
        rf"{entities_module._TOKEN}(?:(?:[ ]{_CONNECT_PLAIN})?[ ]{entities_module._TOKEN})*"
    )
    text = " ".join(words)
    spans = [m.span() for m in entities_module._RUN.finditer(text)]
    assert spans == [m.span() for m in plain.finditer(text)]


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=" \t\n.!?\"'”’)]aZ", max_size=30),
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=0, max_value=30),
)
def test_sentence_end_search(text: str, start: int, end: int) -> None:
    """_sentence_end_in (str.find, then the regex at a mark) agrees with the regex search."""
    expected = entities_module._SENTENCE_END_IN.search(text, start, end) is not None
    assert entities_module._sentence_end_in(text, start, end) == expected


_RUN_PIECES = (
    "Bank of for de del della des dos das do van von der den ter bin ibn al el and & in Chief"
    " the la le England Al U.S. U.S said den. dell ands du di da iPhone O'Brien O’Neill"
    " Łukasz ŁÓDŹ Ōta élan Zürich Mc-Kay X.Y. A. _Under 3M a. - ' ’ , ( ) \n"
    " Ab²c X٣ 𝐀bc Dǅx Ab𝐀 Straße µA ½B"
    " Nicolás Erdoğan Namp’o al-Sharaa ofal fore the-X them Chiefs É"
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_RUN_PIECES.split(" ")), max_size=14), st.sampled_from(" ,."))
def test_run_regexes_match_the_plain_pattern(words: list[str], glue: str) -> None:
    """The run regex (look-behind on the first token only, possessive loop) and its ASCII
    twin find the runs of the plain pattern "_TOKEN(?:(?:[ ]_CONNECT)?[ ]_TOKEN)*"."""
    import re

    token, connect = entities_module._TOKEN, entities_module._CONNECT
    plain = re.compile(rf"{token}(?:(?:[ ]{connect})?[ ]{token})*")
    for text in (" ".join(words), glue.join(words)):
        spans = [m.span() for m in plain.finditer(text)]
        assert [m.span() for m in entities_module._RUN.finditer(text)] == spans
        if text.isascii():
            assert [m.span() for m in entities_module._RUN_ASCII.finditer(text)] == spans


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(_RUN_PIECES.split(" ")), max_size=14),
    st.sampled_from(" ,.-(\n“"),
    st.booleans(),
)
def test_run_finder_finds_the_regex_runs(words: list[str], glue: str, compiled: bool) -> None:
    """_runs (compiled: a character loop that reads plain runs itself and asks the regex
    about the others) finds what the run regexes' own search finds, compiled and from source."""
    saved = entities_module._COMPILED
    entities_module._COMPILED = compiled  # both paths, whatever this install runs
    try:
        for text in (" ".join(words), glue.join(words), "".join(words)):
            regex = entities_module._RUN_ASCII if text.isascii() else entities_module._RUN
            starts, runs = entities_module._runs(text)
            assert list(zip(starts, runs, strict=True)) == [
                (m.start(), m.group()) for m in regex.finditer(text)
            ]
    finally:
        entities_module._COMPILED = saved


def test_joining_words_are_the_connectors() -> None:
    """_JOINING holds exactly the lower-case words the run regex joins tokens over."""
    import itertools
    import re

    joins = re.compile(rf"{entities_module._CONNECT}[ ]")
    letters = sorted({ch for ch in entities_module._CONNECT if "a" <= ch <= "z"})
    found = set()
    for size in range(1, 6):
        for word in map("".join, itertools.product(letters, repeat=size)):
            m = joins.match(f"{word} Chief")
            if m is not None and m.end() == size + 1:
                found.add(word)
    assert found == entities_module._JOINING
    # _runs tests a word's first letter against these before the set.
    assert "".join(sorted({word[0] for word in found})) == "abdefiotv"
    assert "".join(sorted({word[1] for word in found})) == "abefilnou"  # ... and the second
    assert max(map(len, entities_module._JOINING)) <= 5


def test_joining_next_words_are_the_connectors_second_words() -> None:
    """_JOINING_NEXT holds exactly the words the run regex takes between a joining word and
    the next token ("Institute for the Study")."""
    import itertools
    import re

    joins = re.compile(rf"{entities_module._CONNECT}[ ]")
    letters = sorted({ch for ch in entities_module._CONNECT if "a" <= ch <= "z"})
    found = set()
    for size in range(1, 4):
        for word in map("".join, itertools.product(letters, repeat=size)):
            m = joins.match(f"of {word} Chief")  # "of", a word, a space: joined
            if m is not None and m.end() == size + 4:
                found.add(word)
    assert found == entities_module._JOINING_NEXT


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 40), st.sampled_from(("US", "RU", "UA", ""))),
        max_size=16,
    ),
    st.integers(-1, 42),
)
def test_last_cue_is_what_bisecting_the_sorted_cues_finds(
    cues: list[tuple[int, int, str]], pos: int
) -> None:
    """_last_cue (one pass, cues in any order) finds the cue bisect_right finds in the sorted
    cues' ends (what _merge_article does once an article's look-ups are many)."""
    from bisect import bisect_right

    ordered = sorted(cues)
    k = bisect_right([cue[0] for cue in ordered], pos) - 1
    assert entities_module._last_cue(list(cues), pos) == (ordered[k] if k >= 0 else None)


LOUD_BODIES = [
    BODIES[1],
    BODIES[2],
    # A silent run's sentence-initial reading says something ("Battle" is a common word):
    # the field in capitals reads it, as it always did.
    "NEW DELHI (Reuters) - Talks went on. Battle Kovacs Brennan ended in May. SOCCER - INDIA"
    " WIN . Mr. Kovacs of the Asian Football Confederation (AFC) said INDIA played well.",
]


def _scan_loud_reference(
    tagger: EntityTagger, text: str
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[int, int, str]]]:
    """A field with text in capitals read plainly: every piece of every run, the pieces in
    capitals deferred by the capitals rule, the others read one by one (their
    sentence-initial reading where they open a sentence)."""
    pieces: list[tuple[int, int, str]] = []
    for match in entities_module._RUN.finditer(text):
        s, run_text = match.start(), match.group()
        for ps, pe in tagger._pieces(run_text):
            pieces.append((s + ps, s + pe, run_text[ps:pe]))
    loud = _shouting_reference(text, pieces)
    mentions: list[tuple[object, ...]] = []
    deferred: list[tuple[object, ...]] = []
    cues: list[tuple[int, int, str]] = []
    for (s, e, piece), is_loud in zip(pieces, loud, strict=True):
        if is_loud:
            deferred.append(("body", piece, s, e))
            continue
        info = tagger._analyse(piece)
        opens = info.depends and _sentence_initial_reference(text, s)
        segs, tail = tagger._initial(info) if opens else info.plain
        if tail is not None:
            cues.append((e, s, tail))
        for rs, re_, _kind, surface, canonical, country, strength, role in segs:
            mentions.append((s + rs, s + re_, surface, canonical, country, strength, role))
    return mentions, deferred, cues


@pytest.mark.parametrize("body", LOUD_BODIES)
def test_loud_field_reads_every_piece(body: str) -> None:
    """A field with text in capitals (cached piece entries, marks kept on run infos, the
    plain scan's loop) reads what the straightforward per-piece reading does."""
    tagger = fresh()
    for _ in range(2):  # cold, then warm caches
        out: list[entities_module._Mention] = []
        deferred: list[tuple[str, str, int, int]] = []
        cues: list[tuple[int, int, str]] = []
        tagger._scan("body", body, out, deferred, {}, cues, False)
        got = [
            (m.start, m.end, m.surface, m.canonical, m.country, m.cstrength, m.role) for m in out
        ]
        assert (got, deferred, cues) == _scan_loud_reference(tagger, body)


def test_loud_field_keeps_a_sentence_initial_reading() -> None:
    """The case LOUD_BODIES[2] holds: a run silent in its plain reading says something at
    a sentence start, and the field in capitals reads it."""
    entities = run(fresh(), "", LOUD_BODIES[2])
    assert ("Kovacs Brennan", "PERSON") in [(e["text"], e["type"]) for e in entities]


def _is_headline_reference(title: str) -> bool:
    """The headline rule read plainly, over title.split()."""
    words = [w for w in title.split() if len(w) > 3 and w[0].isalpha()]
    capital = sum(1 for w in words if w[0].isupper())
    return len(words) >= 2 and capital >= 0.75 * len(words)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="Abcd É1'\t\n\u00a0\u2003\u3000xyzQ", max_size=40))
def test_is_headline_matches_the_split_rule(title: str) -> None:
    """_is_headline (one loop over the characters) agrees with the rule over title.split()."""
    assert entities_module._is_headline(title) == _is_headline_reference(title)

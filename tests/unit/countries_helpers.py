"""What the country-tagger tests read from a tagging: codes, or (code, text, via) mentions."""

from __future__ import annotations

from pipeline.tagging.countries import CountryTagger


def codes(tagger: CountryTagger, body: str, title: str = "") -> set[str]:
    """Return every country named in *title*/*body*, whatever its salience."""
    return {c["code"] for c in tagger.tag(title, body, min_salience=0.0)}


def vias(tagger: CountryTagger, body: str) -> set[tuple[str, str, str]]:
    """Return (code, text, via) of every piece of evidence in *body*, whatever its salience."""
    return {
        (c["code"], e["text"], e["via"])
        for c in tagger.tag("", body, min_salience=0.0)
        for e in c["evidence"]
    }

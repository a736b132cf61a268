"""Brinkwatch: streaming news intelligence on Kafka.

Articles are tagged by country, entity and escalation (:mod:`pipeline.tagging`,
pure code), enriched and published by a Faust worker (:mod:`pipeline.app`).
"""

from __future__ import annotations

__all__ = ["__version__"]

#: The package version, also reported in every enriched event and in metrics.
__version__ = "0.1.0"

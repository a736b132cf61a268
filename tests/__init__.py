"""Brinkwatch tests: unit (no broker) and integration (a real embedded broker)."""

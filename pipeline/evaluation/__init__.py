"""Evaluation of the taggers against labelled development data (JSON Lines files)."""

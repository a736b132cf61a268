"""Readable one-screen summaries of enriched events and alerts (for ``tail`` and ``run``)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

__all__ = ["LEVEL_STYLES", "render_alert", "render_deadletter", "render_event", "render_message"]

#: The colour of each escalation level.
LEVEL_STYLES = {
    "none": "dim",
    "low": "green",
    "elevated": "yellow",
    "high": "bold red",
    "critical": "bold white on red",
}


def _signal_line(sig: dict[str, Any]) -> str:
    actors = "→".join(sig.get("actors") or []) or "?"
    mark = "✗ not asserted" if sig.get("negated") else "✓"
    return f"    [{sig['cameo']} {sig['category']}] {sig['term']!r} ({actors}) {mark}"


def render_event(event: dict[str, Any], *, max_entities: int = 8, max_signals: int = 6) -> Text:
    """Summarise an enriched event: countries, top entities, level and its evidence."""
    esc = event["escalation"]
    out = Text()
    out.append("▶ ", style="bold")
    out.append(event["title"] or "(no title)", style="bold")
    out.append(f"  [{event['article_id']}]\n", style="dim")
    countries = ", ".join(
        f"{c['code']}{'*' if c['focus'] else ''} {c['salience']:.2f}" for c in event["countries"]
    )
    out.append(f"  countries: {countries or '-'}   (* focus, salience)\n")
    ents = sorted(event["entities"], key=lambda e: -len(e["mentions"]))[:max_entities]
    out.append(
        "  entities:  "
        + (
            "; ".join(
                f"{e['canonical']} ({e['type']}{', ' + e['country'] if e['country'] else ''})"
                for e in ents
            )
            or "-"
        )
        + "\n"
    )
    out.append("  escalation: ")
    out.append(f"{esc['level'].upper()} {esc['score']:.0f}/100", style=LEVEL_STYLES[esc["level"]])
    out.append(f"  ({len(esc['signals'])} signals)\n")
    for sig in esc["signals"][:max_signals]:
        out.append(_signal_line(sig) + "\n", style="dim" if sig["negated"] else "")
    return out


def render_alert(alert: dict[str, Any]) -> Text:
    """Summarise an alert: level, kind, countries, headline and why."""
    out = Text()
    out.append("🚨 ALERT ", style="bold")
    out.append(f"{alert['level'].upper()} {alert['score']:.0f}", style=LEVEL_STYLES[alert["level"]])
    out.append(f"  {alert['kind']}  {','.join(alert['countries']) or '-'}  ")
    out.append(alert["headline"] + "\n", style="bold")
    for sig in alert["signals"]:
        out.append(_signal_line(sig) + "\n")
        out.append(f"      “{sig['sentence']}”\n", style="dim")
    return out


def render_deadletter(record: dict[str, Any]) -> Text:
    """Summarise a dead-letter record: reason and where the message came from."""
    err = record["error"]
    field = f" field={err['field']}" if err.get("field") else ""
    return Text(
        f"✗ dead letter {err['code']}{field}: {err['message']}  "
        f"({record['topic']}[{record['partition']}]@{record['offset']})\n",
        style="red",
    )


def render_message(obj: Any) -> Text:
    """Summarise any Brinkwatch message by its ``schema`` field."""
    schema = obj.get("schema", "") if isinstance(obj, dict) else ""
    if schema.startswith("brinkwatch.enriched/"):
        return render_event(obj)
    if schema.startswith("brinkwatch.alert/"):
        return render_alert(obj)
    if schema.startswith("brinkwatch.deadletter/"):
        return render_deadletter(obj)
    return Text(repr(obj) + "\n")

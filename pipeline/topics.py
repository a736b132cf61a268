"""Create every topic explicitly, with the configured partition count, before a worker starts.

Brokers that auto-create topics (Tansu does, with 4 partitions) would
otherwise make topics whose partition count disagrees with the worker's
tables, and Faust stops with ``PartitionsMismatch``. The Faust app is told
never to declare topics itself; this module is the only place that does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.clients import make_admin
from pipeline.errors import BrokerError
from pipeline.settings import Settings

__all__ = ["TABLES", "TopicSpec", "create_topics", "describe_topics", "topic_specs"]

#: The worker's Faust tables; each has a compacted changelog topic ``<app_id>-<table>-changelog``.
TABLES: tuple[str, ...] = ("spike_windows",)


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic to create: name, partitions, replication and configs."""

    name: str
    partitions: int
    replication: int
    configs: tuple[tuple[str, str], ...] = ()


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Return every topic the project needs, the tables' changelogs included."""
    specs = [
        TopicSpec(name, settings.partitions, settings.replication_factor)
        for name in settings.topics.values()
    ]
    specs += [
        TopicSpec(
            f"{settings.app_id}-{table}-changelog",
            settings.partitions,
            settings.replication_factor,
            (("cleanup.policy", "compact"),),
        )
        for table in TABLES
    ]
    return specs


def describe_topics(bootstrap_servers: str) -> dict[str, int]:
    """Return ``{topic: partition count}`` of every topic on the broker."""
    admin = make_admin(bootstrap_servers)
    try:
        return _partition_counts(admin)
    finally:
        admin.close()


def _partition_counts(admin: Any) -> dict[str, int]:
    names = [t for t in admin.list_topics() if not t.startswith("__")]
    if not names:
        return {}
    # kafka-python 3.x names the key "name"; 2.x named it "topic".
    return {
        t.get("topic", t.get("name")): len(t["partitions"]) for t in admin.describe_topics(names)
    }


def create_topics(settings: Settings) -> dict[str, str]:
    """Create the missing topics; return ``{topic: "created" | "exists"}``.

    Raises :class:`BrokerError` if a topic exists with another partition count.
    """
    from kafka.admin import NewTopic

    admin = make_admin(settings.bootstrap_servers)
    try:
        existing = _partition_counts(admin)
        result: dict[str, str] = {}
        missing: list[NewTopic] = []
        for spec in topic_specs(settings):
            if spec.name in existing:
                if existing[spec.name] != spec.partitions:
                    raise BrokerError(
                        f"topic {spec.name} has {existing[spec.name]} partitions, "
                        f"BRINKWATCH_PARTITIONS wants {spec.partitions}: "
                        "recreate it or change the setting"
                    )
                result[spec.name] = "exists"
                continue
            missing.append(
                NewTopic(
                    spec.name, spec.partitions, spec.replication, topic_configs=dict(spec.configs)
                )
            )
            result[spec.name] = "created"
        if missing:
            admin.create_topics(missing)
        return result
    finally:
        admin.close()

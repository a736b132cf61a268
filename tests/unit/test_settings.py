"""Settings: the only reader of the environment; every value checked once."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.settings import ENV_VARS, Settings


def test_defaults_without_environment() -> None:
    """An empty environment gives the documented defaults."""
    s = Settings.from_env({})
    assert s.bootstrap_servers == "localhost:9092"
    assert s.topic_articles == "news.articles"
    assert s.metrics_port == 9108
    assert s.alert_min_level == "elevated"


def test_values_are_parsed_from_prefixed_variables() -> None:
    """BRINKWATCH_* variables set typed fields; lists are comma separated."""
    s = Settings.from_env(
        {
            "BRINKWATCH_PARTITIONS": "6",
            "BRINKWATCH_ALERT_COUNTRIES": "kr, RU,UA",
            "BRINKWATCH_LEVEL_THRESHOLDS": "5,20,40,70",
            "BRINKWATCH_SPIKE_Z": "2.5",
            "UNRELATED": "x",
        }
    )
    assert s.partitions == 6
    assert s.alert_countries == ("KR", "RU", "UA")
    assert s.level_thresholds == (5.0, 20.0, 40.0, 70.0)
    assert s.spike_z == 2.5
    assert s.topics["alerts.UA"] == "news.alerts.country.UA"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BRINKWATCH_PARTITIONS", "many"),
        ("BRINKWATCH_PARTITIONS", "0"),
        ("BRINKWATCH_ALERT_COUNTRIES", "KOR"),
        ("BRINKWATCH_ALERT_MIN_LEVEL", "severe"),
        ("BRINKWATCH_LEVEL_THRESHOLDS", "50,20,40,70"),
        ("BRINKWATCH_ENTITY_BACKEND", "bert"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    """A bad value raises ConfigError naming the variable."""
    with pytest.raises(ConfigError) as info:
        Settings.from_env({name: value})
    assert info.value.name == name


def test_env_round_trip_and_documentation() -> None:
    """as_env() covers exactly ENV_VARS, reads back to equal settings, and every field has a doc."""
    s = Settings.from_env({"BRINKWATCH_ALERT_COUNTRIES": "KR"})
    env = s.as_env()
    assert set(env) == ENV_VARS
    assert Settings.from_env(env) == s
    assert all(doc for _, _, doc in s.describe())


def test_settings_are_frozen() -> None:
    """Settings cannot be changed after construction."""
    s = Settings()
    with pytest.raises(AttributeError):
        s.partitions = 3  # type: ignore[misc]


def test_namespaced_copies_prefix_app_and_topics() -> None:
    """namespaced() gives an isolated app id and topic set, the rest unchanged."""
    s = Settings(partitions=3).namespaced("t1")
    assert s.app_id == "t1" and s.partitions == 3
    assert all(name.startswith("t1.") for name in s.topics.values())


def test_tagging_processes_auto_is_one_per_usable_core() -> None:
    """-1 means one tagging process per CPU core the worker may use; below -1 is refused."""
    import os

    auto = Settings.from_env({"BRINKWATCH_TAGGING_PROCESSES": "-1"})
    assert auto.tagging_process_count == len(os.sched_getaffinity(0))
    assert Settings.from_env({"BRINKWATCH_TAGGING_PROCESSES": "0"}).tagging_process_count == 0
    assert Settings.from_env({"BRINKWATCH_TAGGING_PROCESSES": "3"}).tagging_process_count == 3
    with pytest.raises(ConfigError, match="TAGGING_PROCESSES"):
        Settings.from_env({"BRINKWATCH_TAGGING_PROCESSES": "-2"})

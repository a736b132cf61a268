"""The worker's consumer URL carries its fetch wait and fetch size to the transport."""

from __future__ import annotations

from yarl import URL

from pipeline.app import faust_settings
from pipeline.settings import Settings
from pipeline.transport import SCHEME, consumer_url, url_int


def test_the_consumer_url_names_each_host_with_both_fetch_values() -> None:
    """Every bootstrap host gets the transport's scheme and the two query values."""
    urls = [URL(u) for u in consumer_url("a:9092, tcp://b:9093", 50, 65536).split(";")]
    assert [(u.scheme, u.host, u.port) for u in urls] == [(SCHEME, "a", 9092), (SCHEME, "b", 9093)]
    assert url_int(urls, "fetch_max_wait_ms") == 50
    assert url_int(urls, "fetch_min_bytes") == 65536
    assert url_int(urls, "nothing") is None


def test_the_worker_settings_reach_the_consumer_url() -> None:
    """BRINKWATCH_CONSUMER_FETCH_{MAX_WAIT_MS,MIN_BYTES} end up in Faust's consumer URL."""
    env = {
        "BRINKWATCH_CONSUMER_FETCH_MAX_WAIT_MS": "20",
        "BRINKWATCH_CONSUMER_FETCH_MIN_BYTES": "4096",
    }
    conf = faust_settings(Settings.from_env(env))
    urls = [URL(u) for u in str(conf["broker_consumer"]).split(";")]
    assert url_int(urls, "fetch_max_wait_ms") == 20
    assert url_int(urls, "fetch_min_bytes") == 4096


def test_a_fetch_size_below_one_byte_is_refused() -> None:
    """Zero would have the broker answer every fetch at once, empty or not: refused by name."""
    import pytest

    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="BRINKWATCH_CONSUMER_FETCH_MIN_BYTES"):
        Settings.from_env({"BRINKWATCH_CONSUMER_FETCH_MIN_BYTES": "0"})

"""Unit tests: no broker, no network beyond loopback servers the tests start."""

"""Integration tests: each starts or shares a real embedded broker; never a mock."""

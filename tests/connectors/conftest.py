"""Fixtures of the connector tests: each fake server registers its fixtures here (a test file
that imported them would shadow its own parameters)."""

from tests.connectors.fake_asc import asc_keys, fake_asc  # noqa: F401
from tests.connectors.fake_sensortower import fake_sensortower  # noqa: F401

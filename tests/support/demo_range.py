"""The date range of the ``small_demo_home`` fixture (tests/conftest.py)."""

SMALL_DEMO_START = "2025-03-03"
SMALL_DEMO_END = "2025-03-28"

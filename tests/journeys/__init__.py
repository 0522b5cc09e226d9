"""Role journeys and accessibility checks in Chromium (a package: its conftest must not shadow
tests/conftest.py, which other test modules import as `conftest`)."""

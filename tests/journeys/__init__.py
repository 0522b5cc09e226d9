"""Role journeys and accessibility checks in Chromium."""

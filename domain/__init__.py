"""Plain domain modules: no HTTP in here, so views, CLI and tests share one implementation."""

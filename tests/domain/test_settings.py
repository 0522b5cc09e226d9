"""domain/settings.py and current_app.settings: one place for the app's settings and defaults."""

import pytest

from app import create_app
from domain.settings import Settings


def test_environment_values_are_typed_and_missing_ones_keep_their_default():
    config = Settings.config_from_environ({"EXPORT_MAX_ROWS": "7", "PG_DUMP": "", "UNRELATED": "x"})
    assert config["EXPORT_MAX_ROWS"] == 7
    assert config["PG_DUMP"] is None  # blank: the program on PATH
    assert config["RECEIVING_UNIT_CODE"] == "000.00.20.H37"
    assert "UNRELATED" not in config and "LIST_COUNT_LIMIT" not in config  # not from the env


def test_a_mistyped_number_stops_the_start(tmp_path):
    with pytest.raises(ValueError):
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                "SECRET_KEY": "x",
                "EXPORT_MAX_ROWS": "many",
            }
        )


def test_settings_follow_every_change_of_the_config(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
            "SECRET_KEY": "x",
            "LIST_COUNT_LIMIT": 5,
        }
    )
    assert app.settings.list_count_limit == 5
    assert app.settings is app.settings  # read once, not at every use
    app.config["LIST_COUNT_LIMIT"] = 6
    assert app.settings.list_count_limit == 6
    saved = dict(app.config)
    app.config.update(LIST_COUNT_LIMIT=7)
    assert app.settings.list_count_limit == 7
    del app.config["LIST_COUNT_LIMIT"]
    assert app.settings.list_count_limit == Settings.list_count_limit
    app.config.clear()
    app.config.update(saved)  # as tests/conftest.py restores a shared app
    assert app.settings.list_count_limit == 6

"""A username is stored in lower case and is the same account whatever the case or the spaces
typed around it (domain/usernames.py): found by a review, "Canbo.TuPhap2" and "canbo.tuphap2"
were two accounts."""

import unicodedata

import pytest

from domain.usernames import normalize_username
from models import User


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("canbo.tuphap2", "canbo.tuphap2"),
        ("Canbo.TuPhap2", "canbo.tuphap2"),
        (" CANBO.TUPHAP2\t", "canbo.tuphap2"),
        ("Admin", "admin"),
        ("lanhdao", "lanhdao"),
        ("Đặng.Hoà", "đặng.hoà"),  # Vietnamese letters too, not only ASCII
        (unicodedata.normalize("NFD", "Hoà"), "hoà"),  # a decomposed accent is the same name
        ("", ""),
        ("   ", ""),
        (None, None),
    ],
)
def test_a_username_is_tidied_and_in_lower_case(typed, stored):
    assert normalize_username(typed) == stored


def test_the_same_name_in_any_case_is_one_username():
    variants = ("Canbo.TuPhap2", "canbo.tuphap2", "CANBO.TUPHAP2 ", " canbo.TUPHAP2")
    assert {normalize_username(v) for v in variants} == {"canbo.tuphap2"}


def test_every_write_of_a_username_is_in_lower_case():
    user = User(username=" Canbo.TuPhap2 ", role="staff", full_name="x")
    assert user.username == "canbo.tuphap2"
    user.username = "LanhDao"
    assert user.username == "lanhdao"

"""The home page's choice of the twelve months shown: two Vietnamese menus (month, year), not the
browser's own month box, which an English browser labels "November 2026"."""

import re

import pytest

from domain import clock


def _window(html: str) -> str:
    return re.search(r"Từ ngày \d\d/\d\d/\d{4} đến ngày \d\d/\d\d/\d{4}", html)[0]


def _selected(html: str, select_id: str) -> str:
    menu = re.search(rf'<select[^>]*id="{select_id}".*?</select>', html, re.S)[0]
    return re.search(r"<option[^>]*selected[^>]*>([^<]*)</option>", menu)[1]


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_the_window_is_chosen_with_a_month_menu_and_a_year_menu(client, login_as, role):
    login_as(role)
    html = client.get("/?month=3&year=2019").get_data(as_text=True)
    assert 'type="month"' not in html
    assert _window(html) == "Từ ngày 01/04/2018 đến ngày 31/03/2019"
    assert (_selected(html, "until-month"), _selected(html, "until-year")) == ("Tháng 3", "2019")
    assert '<label class="mr-1" for="until-month">12 tháng đến hết tháng</label>' in html

    # The links written before the menus still open the same window.
    old = client.get("/?until=2019-03").get_data(as_text=True)
    assert _window(old) == "Từ ngày 01/04/2018 đến ngày 31/03/2019"

    # Today's month by default; the year menu goes from this year back to the first year.
    today = clock.today()
    html = client.get("/").get_data(as_text=True)
    assert _selected(html, "until-year") == str(today.year)
    years = re.findall(r"<option value=\"(\d{4})\"", html)
    assert years[0] == str(today.year) and years[-1] == "2015"


@pytest.mark.parametrize(
    "query",
    ["month=13&year=2019", "month=3&year=19", "month=x&year=2019", "month=3", "month=٣&year=2019"],
)
def test_a_month_that_does_not_exist_shows_the_last_twelve_months(client, login_as, query):
    login_as("manager")
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    today = clock.today()
    assert _selected(response.get_data(as_text=True), "until-year") == str(today.year)

"""The home page's choice of the twelve months shown: two Vietnamese menus (month, year), not the
browser's own month box, which an English browser labels "November 2026"."""

import datetime as dt
import re

import pytest

from domain import clock
from domain.status import Status
from models import Dossier, Procedure, db
from tests.factories import create_agency


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


def _open_by_agency(html: str) -> list[tuple[str, int, int]]:
    table = re.search(r'<table[^>]*id="open-by-agency".*?</table>', html, re.S)[0]
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S)[1]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        name, n, overdue = (
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>.*?</td>", row, re.S)
        )
        rows.append((name, int(n.replace(".", "")), int(overdue.replace(".", ""))))
    return rows


def _tile(html: str, tile_id: str) -> int:
    tile = re.search(rf'id="{tile_id}".*?class="h5 mb-0 tile-value">([^<]*)<', html, re.S)[1]
    return int(tile.strip().replace(".", ""))


def test_the_open_table_lists_every_agency_and_adds_up_to_the_tiles(app, client, login_as):
    """A province has 17 to 20 agencies: the table "open and overdue now, per agency" lists
    them all (it was cut at 12, its rows then summing to less than the tile "Open now")."""
    today = clock.today()
    with app.app_context():
        for i in range(18):
            agency = create_agency(code=f"S{i:02}", name=f"Sở thử nghiệm {i:02}")
            procedure = Procedure(
                code=f"9.{i:06}", name=f"Thủ tục {i}", agency=agency, processing_days=5
            )
            db.session.add(procedure)
            # Agency i: i + 1 open dossiers, the first (i % 3) of them past their due date.
            for k in range(i + 1):
                due = today + dt.timedelta(days=-20 if k < i % 3 else 20)
                db.session.add(
                    Dossier(
                        procedure=procedure,
                        agency=agency,
                        applicant_name=f"Người nộp {i}-{k}",
                        channel="direct",
                        accepted_at=dt.datetime.combine(today - dt.timedelta(days=40), dt.time(9)),
                        due_date=due,
                        status=Status.PROCESSING,
                    )
                )
        db.session.commit()
    login_as("manager")
    html = client.get("/").get_data(as_text=True)
    rows = _open_by_agency(html)
    assert sorted(name for name, _, _ in rows) == [f"Sở thử nghiệm {i:02}" for i in range(18)]
    assert dict((name, (n, o)) for name, n, o in rows) == {
        f"Sở thử nghiệm {i:02}": (i + 1, i % 3) for i in range(18)
    }
    assert sum(n for _, n, _ in rows) == _tile(html, "tile-open") == sum(range(1, 19))
    assert sum(o for _, _, o in rows) == _tile(html, "tile-overdue")


def _ratings_line(html: str) -> str:
    line = re.search(r"Đánh giá cán bộ: [^<]*</p>", html)[0]
    return re.sub(r"\s+", " ", line)


def test_the_evaluation_forms_share_is_said_only_when_there_are_forms(
    march_with_users, client, login_as
):
    """A reviewer's finding: with no form the dashboard read "Phiếu đánh giá: 0 (– số điểm tối
    đa)"."""
    login_as("manager")
    none = _ratings_line(client.get("/?month=3&year=2017").get_data(as_text=True))
    assert none.endswith("Phiếu đánh giá: 0</p>") and "tối đa" not in none
    march = _ratings_line(client.get("/?month=3&year=2019").get_data(as_text=True))
    assert re.search(r"Phiếu đánh giá: 4 \(\d+(,\d+)?% số điểm tối đa\)</p>$", march), march

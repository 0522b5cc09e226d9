"""The report page shows the digitisation figures (issue 14 point 4) to the manager, as the
browser gets it; the data set worked by hand is tests/domain/test_digitisation.py's."""

import pytest

from tests.digitisation_data import load_digitised
from tests.factories import login


@pytest.fixture
def digitised(app, users, tmp_path):
    return load_digitised(app, tmp_path)


def test_report_page_shows_the_table(digitised, client):
    assert login(client, "manager1").status_code == 302
    html = client.get("/report/?preset=month&month=3&year=2019").get_data(as_text=True)
    assert 'id="report-digitisation"' in html
    table = html[html.index('id="report-digitisation"') :]
    table = table[: table.index("</table>")]
    totals = table[table.index('id="report-digitisation-totals"') :]
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in totals.split("<td")[1:]]
    assert cells == ["Tổng số", "7", "2", "28,57%", "4", "2", "50,00%"]
    gt = table[table.index('data-agency="SGTVT"') :]
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in gt.split("<td")[1:8]]
    assert cells == ["Sở Giao thông vận tải", "6", "1", "16,67%", "3", "1", "33,33%"]


def test_staff_cannot_see_the_report(digitised, client):
    assert login(client, "staff1").status_code == 302
    assert client.get("/report/?preset=month&month=3&year=2019").status_code in (302, 403, 404)

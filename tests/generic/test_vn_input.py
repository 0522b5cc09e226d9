"""Dates and amounts typed the Vietnamese way (issue 10, item 11): "05/12/2026",
"05/12/2026 14:30", "1.200.000" / "1 200 000" / "1200000" are accepted in every form and list
filter, and shown back the same way; ISO is still accepted. The report page asks for the period
with inputs of the chosen kind only (quarter: two selects), and old links still work.

Every request is posted or read as the browser sends it, with what a person types."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from openpyxl import load_workbook

from domain import evaluation
from domain import lifecycle as lc
from domain.formatting import parse_date, parse_datetime
from models import Agency, CalendarDay, Dossier, EvaluationForm, FeeItem, Payment, Procedure, db

AT = dt.datetime(2019, 3, 4, 9, 0)


@pytest.fixture
def world(app, users):
    with app.app_context():
        gt = db.session.query(Agency).filter_by(code="SGTVT").one()
        p1 = Procedure(
            code="1.002809",
            name="Cấp lại Giấy phép lái xe",
            agency=gt,
            processing_days=5,
            fee_items=[FeeItem(kind="charge", name="Lệ phí cấp GPLX", amount_vnd=1200000)],
        )
        db.session.add(p1)
        db.session.flush()
        d1 = Dossier(procedure=p1, applicant_name="Nguyễn Văn Ánh")
        lc.accept_dossier(db.session, d1, None, AT, "000.00.20.H37")
        db.session.commit()
        return {"gt": gt.id, "p1": p1.id, "d1": d1.id, "due": d1.due_date}


def _filters(client, url) -> dict:
    """{(filter name, position in its group): index} read from the list page, as the browser
    script reads it. Positions: 0 equals, 1 not equal, 2 greater, 3 smaller, 4 between."""
    html = client.get(url).get_data(as_text=True)
    data = re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', html, re.S)
    groups = json.loads(data.group(1))
    return {(name, pos): f["index"] for name, flts in groups.items() for pos, f in enumerate(flts)}


def _index(filters, label, pos):
    (index,) = [i for (name, p), i in filters.items() if name == label and p == pos]
    return index


def _value(html: str, name: str) -> str:
    tag = re.search(rf'<(?:input|textarea)[^>]*\bname="{re.escape(name)}"[^>]*>', html).group(0)
    match = re.search(r'\bvalue="([^"]*)"', tag)
    return match.group(1) if match else ""


# ---- forms ------------------------------------------------------------------------------------


def test_calendar_override_typed_as_dd_mm_yyyy(app, client, login_as):
    login_as("admin")
    response = client.post(
        "/calendar_day/new/", data={"date": "05/12/2026", "is_working_day": "y", "note": "Làm bù"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        day = db.session.query(CalendarDay).one()
        assert day.date == dt.date(2026, 12, 5) and day.is_working_day
        day_id = day.id
    form = client.get(f"/calendar_day/edit/?id={day_id}").get_data(as_text=True)
    assert _value(form, "date") == "05/12/2026"  # shown back the same way
    assert 'data-date-format="DD/MM/YYYY"' in form
    # ISO still accepted; a wrong date is refused with a message saying how to type it, a day
    # that does not exist with one saying so.
    assert client.post("/calendar_day/new/", data={"date": "2026-12-06"}).status_code == 302
    page = client.post("/calendar_day/new/", data={"date": "31/02/26"}).get_data(as_text=True)
    assert "Nhập ngày theo dạng dd/mm/yyyy, ví dụ 05/12/2026." in page
    assert _value(page, "date") == "31/02/26"  # what was typed stays in the box
    page = client.post("/calendar_day/new/", data={"date": "31/02/2026"}).get_data(as_text=True)
    assert "Ngày 31/02/2026 không có thật." in page
    assert _value(page, "date") == "31/02/2026"
    with app.app_context():
        assert db.session.query(CalendarDay).count() == 2


@pytest.mark.parametrize("typed", ["1.200.000", "1 200 000", "1200000", "1.200.000 đ"])
def test_payment_typed_with_vietnamese_date_time_and_grouped_dong(
    app, client, login_as, world, typed
):
    login_as("staff")
    form = client.get(f"/payment/new/?dossier_id={world['d1']}").get_data(as_text=True)
    assert _value(form, "amount_vnd") == "1.200.000"  # the proposal, grouped
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", _value(form, "paid_at"))
    response = _pay(client, world, typed, "05/03/2019 14:30", receipt_no="BL-1")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        payment = db.session.query(Payment).one()
        assert payment.amount_vnd == 1200000
        assert payment.paid_at == dt.datetime(2019, 3, 5, 14, 30)


def _pay(client, world, amount: str, paid_at: str, **fields):
    """The payment form of dossier d1, paid in cash, as typed."""
    return client.post(
        "/payment/new/",
        data={
            "dossier": str(world["d1"]),
            "amount_vnd": amount,
            "method": "cash",
            "paid_at": paid_at,
            **fields,
        },
    )


def test_payment_form_refuses_with_messages_and_keeps_what_was_typed(app, client, login_as, world):
    login_as("staff")
    page = _pay(client, world, "1.200.000", "05/03/2019").get_data(as_text=True)  # no time
    assert "Nhập ngày giờ theo dạng dd/mm/yyyy HH:MM, ví dụ 05/12/2026 14:30." in page
    assert _value(page, "amount_vnd") == "1.200.000" and _value(page, "paid_at") == "05/03/2019"
    page = _pay(client, world, "0", "05/03/2019 14:30").get_data(as_text=True)
    assert "Số tiền phải lớn hơn 0 đồng." in page
    # The old format of the picker (ISO with seconds) still works.
    response = _pay(client, world, "135000", "2019-03-04 10:00:00")
    assert response.status_code == 302
    with app.app_context():
        assert [p.amount_vnd for p in db.session.query(Payment)] == [135000]


def test_fee_item_amounts_typed_grouped(app, client, login_as, world):
    login_as("admin")
    form = client.get(f"/procedure/edit/?id={world['p1']}").get_data(as_text=True)
    assert _value(form, "fee_items-0-amount_vnd") == "1.200.000"  # shown grouped
    data = {
        "code": "1.002810",
        "name": "Cấp đổi Giấy phép lái xe",
        "agency": str(world["gt"]),
        "level": "province",
        "processing_days": "5",
        "online_level": "none",
        "active": "y",
        "fee_items-0-kind": "charge",
        "fee_items-0-name": "Lệ phí cấp GPLX",
        "fee_items-0-amount_vnd": "1 350 000",
        "fee_items-1-kind": "fee",
        "fee_items-1-name": "Phí sát hạch",
        "fee_items-1-amount_vnd": "-50.000",
        "fee_items-2-kind": "fee",
        "fee_items-2-name": "Miễn phí",
        "fee_items-2-amount_vnd": "0",
    }
    page = client.post("/procedure/new/", data=data).get_data(as_text=True)
    assert "Số tiền không được âm." in page
    assert _value(page, "fee_items-0-amount_vnd") == "1 350 000"  # as typed, to correct
    data["fee_items-1-amount_vnd"] = "50.000"
    response = client.post("/procedure/new/", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        procedure = db.session.query(Procedure).filter_by(code="1.002810").one()
        assert sorted(f.amount_vnd for f in procedure.fee_items) == [0, 50000, 1350000]


def test_reschedule_date_and_register_range_typed_dd_mm_yyyy(app, client, login_as, world):
    login_as("staff")
    with app.app_context():
        d = db.session.get(Dossier, world["d1"])
        lc.transition(db.session, d, "transfer", None, AT)
        db.session.commit()
        version = d.version
    new_due = world["due"] + dt.timedelta(days=7)
    details = client.get(f"/dossier/details/?id={world['d1']}").get_data(as_text=True)
    assert 'name="new_due_date"' in details and 'placeholder="dd/mm/yyyy"' in details
    response = client.post(
        "/dossier/transition/",
        data={
            "id": world["d1"],
            "version": version,
            "action": "reschedule",
            "reason": "Cần thêm thời gian thẩm định",
            "new_due_date": f"{new_due:%d/%m/%Y}",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Dossier, world["d1"]).rescheduled_due_date == new_due
    response = client.get("/dossier/register/?from=04/03/2019&to=04/03/2019")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert "04/03/2019" in str(rows[1][0])
    assert any(r[4] == "Nguyễn Văn Ánh" for r in rows[4:])  # after the number of sets
    form = client.get("/dossier/register/").get_data(as_text=True)
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", _value(form, "from"))


def test_evaluation_form_time_typed_dd_mm_yyyy(app, client, login_as, world):

    with app.app_context():
        evaluation.ensure_indicators(db.session)
        db.session.commit()
        ids = [i.id for i in evaluation.indicators_of(db.session, evaluation.CITIZEN_2019)]
        code = db.session.get(Dossier, world["d1"]).code
    login_as("staff")
    form = client.get("/evaluation_form/new/").get_data(as_text=True)
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", _value(form, "submitted_at"))
    data = {
        "form_set": evaluation.CITIZEN_2019,
        "dossier_code": code,
        "agency": "0",
        "submitted_at": "05/03/2019 15:45",
        "channel": "paper",
    }
    data.update({f"ind_{i}": "2" for i in ids})
    response = client.post("/evaluation_form/new/", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        assert db.session.query(EvaluationForm).one().submitted_at == dt.datetime(
            2019, 3, 5, 15, 45
        )


# ---- list filters -----------------------------------------------------------------------------


def test_list_filters_take_dates_as_typed(app, client, login_as, world):
    with app.app_context():
        db.session.add(CalendarDay(date=dt.date(2026, 12, 5), is_working_day=True, note="Bù"))
        db.session.add(CalendarDay(date=dt.date(2026, 12, 12), is_working_day=True, note="Khác"))
        db.session.add(
            Payment(
                dossier_id=world["d1"],
                amount_vnd=1200000,
                method="cash",
                paid_at=dt.datetime(2019, 3, 5, 14, 30),
            )
        )
        db.session.add(
            Payment(
                dossier_id=world["d1"],
                amount_vnd=50000,
                method="cash",
                paid_at=dt.datetime(2019, 3, 6, 8, 0),
            )
        )
        db.session.commit()
    login_as("admin")
    flt = _filters(client, "/calendar_day/")
    html = client.get(f"/calendar_day/?flt0_{_index(flt, 'Ngày', 0)}=05/12/2026").get_data(
        as_text=True
    )
    assert "Bù" in html and "Khác" not in html and "không hợp lệ" not in html
    html = client.get(
        f"/calendar_day/?flt0_{_index(flt, 'Ngày', 4)}=01/12/2026+to+05/12/2026"
    ).get_data(as_text=True)
    assert "Bù" in html and "Khác" not in html
    # A timestamp column: a date alone means the whole day.
    flt = _filters(client, "/dossier/")
    html = client.get(f"/dossier/?flt0_{_index(flt, 'Ngày tiếp nhận', 0)}=04/03/2019").get_data(
        as_text=True
    )
    assert "Nguyễn Văn Ánh" in html
    html = client.get(
        f"/dossier/?flt0_{_index(flt, 'Ngày tiếp nhận', 4)}=01/03/2019+to+04/03/2019"
    ).get_data(as_text=True)
    assert "Nguyễn Văn Ánh" in html  # accepted 09:00 on the last day of the range
    html = client.get(f"/dossier/?flt0_{_index(flt, 'Ngày tiếp nhận', 2)}=04/03/2019").get_data(
        as_text=True
    )
    assert "Nguyễn Văn Ánh" not in html  # "after 04/03" starts on the 5th
    html = client.get(
        f"/dossier/?flt0_{_index(flt, 'Ngày hẹn trả', 0)}={world['due']:%d/%m/%Y}"
    ).get_data(as_text=True)
    assert "Nguyễn Văn Ánh" in html
    # Payments: the paid-at time and the amount as typed.
    flt = _filters(client, "/payment/")
    html = client.get(f"/payment/?flt0_{_index(flt, 'Số tiền (đồng)', 0)}=1.200.000").get_data(
        as_text=True
    )
    assert "1.200.000 đ" in html and "50.000 đ" not in html
    html = client.get(
        f"/payment/?flt0_{_index(flt, 'Thời điểm nộp', 0)}=05/03/2019+14:30"
    ).get_data(as_text=True)
    assert "1.200.000 đ" in html and "50.000 đ" not in html
    # A filter value that is no date says so, and filters nothing.
    flt = _filters(client, "/calendar_day/")
    response = client.get(f"/calendar_day/?flt0_{_index(flt, 'Ngày', 0)}=hôm+qua")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Bù" in html and "Khác" in html


def test_totals_period_typed_dd_mm_yyyy(app, client, login_as, world):
    login_as("manager")
    html = client.get("/payment/totals/?from=01/03/2019&to=31/03/2019").get_data(as_text=True)
    assert "01/03/2019 – 31/03/2019" in html
    assert _value(html, "from") == "01/03/2019" and _value(html, "to") == "31/03/2019"


# ---- the report page --------------------------------------------------------------------------


def _period(html: str) -> str:
    return re.search(r'id="report-period">(.*?)<', html).group(1)


def _select(html: str, name: str) -> tuple[str, bool]:
    """(selected value, disabled) of a <select>."""
    tag = re.search(rf'<select[^>]*\bname="{name}"[^>]*>(.*?)</select>', html, re.S)
    selected = re.search(r'<option value="([^"]*)" selected', tag.group(1))
    return (selected.group(1) if selected else None), " disabled" in tag.group(0).split(">")[0]


def test_report_period_inputs_of_the_chosen_kind(client, login_as, users):
    login_as("manager")
    html = client.get("/report/?preset=quarter&quarter=3&year=2019").get_data(as_text=True)
    assert _period(html) == "Từ ngày 01/07/2019 đến ngày 30/09/2019"
    assert _select(html, "quarter") == ("3", False) and _select(html, "year") == ("2019", False)
    assert _select(html, "month")[1] and _select(html, "half")[1]  # other kinds: not sent
    assert re.search(r'id="period-month"[^>]*hidden', html)
    assert "Quý III" in html and "2019-Q" not in html
    html = client.get("/report/?preset=half&half=2&year=2019").get_data(as_text=True)
    assert _period(html) == "Từ ngày 01/07/2019 đến ngày 31/12/2019"
    assert _select(html, "half") == ("2", False)
    html = client.get("/report/?preset=month&month=3&year=2019").get_data(as_text=True)
    assert _period(html) == "Từ ngày 01/03/2019 đến ngày 31/03/2019"
    assert _select(html, "month") == ("3", False) and _select(html, "quarter")[1]
    html = client.get("/report/?preset=range&from=01/03/2019&to=25/03/2019").get_data(as_text=True)
    assert _period(html) == "Từ ngày 01/03/2019 đến ngày 25/03/2019"
    assert _value(html, "from") == "01/03/2019" and _value(html, "to") == "25/03/2019"
    # Old links still work.
    for query, period in (
        ("preset=quarter&quarter=2019-Q3", "01/07/2019 đến ngày 30/09/2019"),
        ("preset=month&month=2019-03", "01/03/2019 đến ngày 31/03/2019"),
        ("preset=cutoff&month=2019-03", "15/02/2019 đến ngày 14/03/2019"),
        ("preset=range&from=2019-03-01&to=2019-03-25", "01/03/2019 đến ngày 25/03/2019"),
    ):
        html = client.get(f"/report/?{query}").get_data(as_text=True)
        assert _period(html).endswith(period), query
    html = client.get("/report/?preset=quarter&quarter=2019-Q3").get_data(as_text=True)
    assert _select(html, "quarter") == ("3", False) and _select(html, "year") == ("2019", False)
    # The workbook link carries the same period.
    response = client.get("/report/xlsx?preset=quarter&quarter=3&year=2019")
    assert "bao-cao-06a_20190701_20190930.xlsx" in response.headers["Content-Disposition"]
    html = client.get(
        "/report/?preset=quarter&quarter=5&year=2019", follow_redirects=True
    ).get_data(as_text=True)
    assert "Kỳ báo cáo không hợp lệ" in html


# ---- the one reader of typed dates --------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("05/12/2026", (dt.datetime(2026, 12, 5), False)),
        ("5/12/2026", (dt.datetime(2026, 12, 5), False)),
        ("05-12-2026", (dt.datetime(2026, 12, 5), False)),
        ("2026-12-05", (dt.datetime(2026, 12, 5), False)),
        ("05/12/2026 14:30", (dt.datetime(2026, 12, 5, 14, 30), True)),
        ("14:30 05/12/2026", (dt.datetime(2026, 12, 5, 14, 30), True)),  # as the lists show it
        ("05/12/2026 8h05", (dt.datetime(2026, 12, 5, 8, 5), True)),
        ("2026-12-05T14:30", (dt.datetime(2026, 12, 5, 14, 30), True)),
        ("2026-12-05 14:30:15", (dt.datetime(2026, 12, 5, 14, 30, 15), True)),
    ],
)
def test_parse_datetime_reads_what_people_type(typed, expected):

    assert parse_datetime(typed) == expected


@pytest.mark.parametrize(
    "typed", ["31/02/2026", "05/13/2026", "05/12/26", "hôm nay", "", "05/12/2026 25:00", "12/05"]
)
def test_parse_datetime_refuses_the_rest(typed):

    with pytest.raises(ValueError):
        parse_datetime(typed)
    with pytest.raises(ValueError):
        parse_date(typed)
    with pytest.raises(ValueError):
        parse_date("05/12/2026 14:30")  # a date field wants a date

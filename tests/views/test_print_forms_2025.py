"""Form sets by date (issue 13 point 1): a dossier accepted before 01/07/2025 prints the forms of
Thông tư 01/2018/TT-VPCP, one accepted from then on those of Thông tư 03/2025/TT-VPCP, at the
same print URLs; each form carries its number, title and legal basis; the stop notice; the
field gaps of shared/legal-2025.md §2 (the form's own number, place and date of the act, the
appointment's time, sets, register book and sequence, notes, Mẫu 02's e-mail / reason /
contact line and its use at intake, the apology's issuer, seal and timing, the control sheet's
agencies and hand-overs, the register's columns)."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import openpyxl
import pytest

from domain import deadlines, printed_forms
from domain import lifecycle as lc
from domain.calendar import WorkingCalendar
from domain.status import Status
from models import Dossier, db
from tests import forms_data
from tests.factories import create_users, csrf_token, login

BASIS_2018 = "Thông tư số 01/2018/TT-VPCP ngày 23/11/2018 của Văn phòng Chính phủ"
BASIS_2025 = "Thông tư số 03/2025/TT-VPCP ngày 15/9/2025 của Văn phòng Chính phủ"
# (URL kind, dossier) -> (number, title) of each set.
EXPECTED = {
    2019: {
        ("01", "full"): ("01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
        ("02", "late"): ("02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
        ("03", "refused"): ("03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
        ("03", "stopped"): ("03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
        ("04", "late"): ("04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
        ("05", "late"): ("05", "Phiếu kiểm soát quá trình giải quyết hồ sơ"),
    },
    2026: {
        ("01", "full"): ("01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
        ("02", "late"): ("02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
        ("02", "intake"): ("02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
        ("03", "refused"): ("03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
        ("04", "late"): ("04", "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"),
        ("stop", "stopped"): ("05", "Thông báo dừng giải quyết hồ sơ"),
        ("05", "late"): ("06", "Phiếu kiểm soát quá trình giải quyết hồ sơ"),
    },
}


@pytest.fixture
def forms(app, users):
    with app.app_context():
        return {year: forms_data.build(year) for year in (2019, 2026)}


def _text(response) -> str:
    """The page's text, tags stripped, spaces collapsed."""
    body = response.data.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _print(client, kind, dossier_id, status=200):
    response = client.get(f"/dossier/print/{kind}/?id={dossier_id}")
    assert response.status_code == status, (kind, dossier_id, response.status_code)
    return _text(response) if status == 200 else None


def test_the_set_is_chosen_by_the_acceptance_date():
    assert printed_forms.form_set(dt.datetime(2025, 6, 30, 23, 59)) is printed_forms.SET_2018
    assert printed_forms.form_set(dt.date(2025, 7, 1)) is printed_forms.SET_2025
    assert [f.number for f in printed_forms.SET_2025.forms] == ["01", "02", "03", "04", "05", "06"]
    assert printed_forms.SET_2025.register.number == "07"
    assert printed_forms.SET_2018.register.number == "06"
    assert printed_forms.SET_2018.form(printed_forms.STOP_NOTICE) is None


@pytest.mark.parametrize("year", [2019, 2026])
def test_each_form_prints_its_number_title_and_legal_basis(app, client, forms, year):
    login(client, "staff1")
    basis, other = (BASIS_2018, BASIS_2025) if year == 2019 else (BASIS_2025, BASIS_2018)
    for (kind, name), (number, title) in EXPECTED[year].items():
        text = _print(client, kind, forms[year][name])
        assert f"Mẫu số {number}" in text, (year, kind, name)
        assert title in text, (year, kind, name, text[:300])
        assert f"Mẫu số {number} ban hành kèm theo {basis}" in text, (year, kind)
        assert other not in text
    # The dossier page offers the set's forms under the set's numbers, at the same URLs.
    page = client.get(f"/dossier/details/?id={forms[year]['late']}").data.decode()
    control = "Phiếu kiểm soát (Mẫu 05)" if year == 2019 else "Phiếu kiểm soát (Mẫu 06)"
    assert control in page and 'id="print-05"' in page


def test_the_stop_notice_replaces_the_refusal_for_a_stop_from_2025(app, client, forms):
    login(client, "staff1")
    text = _print(client, "stop", forms[2026]["stopped"])
    assert "Người nộp đề nghị dừng giải quyết" in text  # the reason
    assert "dừng giải quyết hồ sơ này" in text
    _print(client, "03", forms[2026]["stopped"], status=404)  # no refusal for a stop any more
    _print(client, "stop", forms[2026]["refused"], status=404)
    # 2019: the 2018 set has no stop notice; its refusal form stays what a stop printed.
    _print(client, "stop", forms[2019]["stopped"], status=404)
    assert "Người nộp đề nghị dừng giải quyết" in _print(client, "03", forms[2019]["stopped"])
    page = client.get(f"/dossier/details/?id={forms[2026]['stopped']}").data.decode()
    assert 'id="print-stop"' in page and "Thông báo dừng (Mẫu 05)" in page


@pytest.mark.parametrize("year", [2019, 2026])
def test_header_has_the_forms_own_number_place_and_date_of_the_act(app_with, year):
    app = app_with(PLACE_NAME="Lạng Sơn", CENTER_PHONE="0205 3812 345")
    with app.app_context():
        create_users()
        ids = forms_data.build(year)
    client = app.test_client()
    login(client, "staff1")
    at = forms_data.ACCEPTED[year]
    text = _print(client, "01", ids["full"])
    # The receipt is the first dossier of the year here: 1/TNHS; the register entry agrees.
    assert "Số: 1/TNHS" in text and f"Số: {forms_data.UNIT}" not in text
    assert f"Lạng Sơn, ngày {at:%d} tháng {at:%m} năm {at.year}" in text  # not today
    assert f"Quyển số: {year}, Số thứ tự: 1" in text
    assert f"Ngày tiếp nhận: {at:%H} giờ {at:%M} phút, ngày {at:%d/%m/%Y}" in text
    with app.app_context():
        full = db.session.get(Dossier, ids["full"])
        due = deadlines.due_moment(full)
    assert f"{due:%H} giờ {due:%M} phút, ngày {due:%d/%m/%Y}" in text  # the appointment's time
    assert "Số lượng hồ sơ (bộ): 02 (bộ)" in text or "02 (bộ)" in text
    assert "Nộp thay theo giấy ủy quyền" in text  # the dossier's note
    assert "Ghi chú: 02 liên" in text
    # Mẫu 02: e-mail, items apart from the reason, the officer to contact and the phone.
    text = _print(client, "02", ids["late"])
    assert "Số: 2/HDHS" in text  # the one asked at intake the day before is no. 1
    assert forms_data.EMAIL in text
    assert "Bản sao có chứng thực hợp đồng chuyển nhượng" in text
    assert "Lý do: Hợp đồng chưa được công chứng" in text
    assert f"liên hệ với {forms_data.OFFICER}, số điện thoại 0205 3812 345" in text
    act = at + dt.timedelta(days=2)
    assert f"Lạng Sơn, ngày {act:%d} tháng {act:%m} năm {act.year}" in text
    # Mẫu 03: numbered among the year's refusals, dated the day of the refusal.
    text = _print(client, "03", ids["refused"])
    assert "Số: 1/TCHS" in text and forms_data.EMAIL in text
    act = at + dt.timedelta(days=1)
    assert f"ngày {act:%d} tháng {act:%m} năm {act.year}" in text


def test_place_left_to_fill_in_when_not_configured(app, client, forms):
    login(client, "staff1")
    text = _print(client, "01", forms[2026]["full"])
    assert "……………, ngày 02 tháng 03 năm 2026" in text


def test_supplement_request_at_intake_before_acceptance(app, client, forms):
    """Status 1 → 5 (Mẫu 02 printed without a dossier code) → back to 1 when the papers come,
    then accepted as usual."""
    login(client, "staff1")
    dossier_id = forms[2026]["intake"]
    text = _print(client, "02", dossier_id)
    assert "Bản sao Căn cước của người nộp" in text and "Lý do: Thiếu giấy tờ bắt buộc" in text
    with app.app_context():
        d = db.session.get(Dossier, dossier_id)
        assert d.status == Status.AWAITING_SUPPLEMENT and d.code is None and d.due_date is None
        staff = d.events[-1].user
        lc.transition(db.session, d, "supplement_received", staff, dt.datetime(2026, 3, 5, 9))
        assert d.status == Status.SUBMITTED and d.pauses[-1].ended_on == dt.date(2026, 3, 5)
        lc.accept_dossier(db.session, d, staff, dt.datetime(2026, 3, 5, 9, 30), "X")
        assert d.status == Status.ACCEPTED and d.due_date is not None
        db.session.commit()


def test_supplement_request_form_posts_items_and_reason(app, client, forms):
    """The dossier page's form, posted as the browser does: items and reason apart."""

    login(client, "staff1")
    with app.app_context():
        d = Dossier(
            procedure_id=db.session.get(Dossier, forms[2026]["refused"]).procedure_id,
            agency_id=db.session.get(Dossier, forms[2026]["refused"]).agency_id,
            status=Status.SUBMITTED,
            applicant_name="Hà Văn Tú",
            channel="online",
            submitted_at=dt.datetime(2026, 3, 2, 8),
        )
        db.session.add(d)
        db.session.commit()
        dossier_id, version = d.id, d.version
    page = client.get(f"/dossier/details/?id={dossier_id}").data.decode()
    assert 'id="form-request_supplement"' in page and 'name="requested_items"' in page
    response = client.post(
        "/dossier/transition/",
        data={
            "csrf_token": csrf_token(client, f"/dossier/details/?id={dossier_id}"),
            "id": dossier_id,
            "version": version,
            "action": "request_supplement",
            "requested_items": "Tờ khai có chữ ký",
            "reason": "Tờ khai chưa ký",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        pause = db.session.get(Dossier, dossier_id).pauses[-1]
        assert (pause.requested_items, pause.reason) == ("Tờ khai có chữ ký", "Tờ khai chưa ký")


def test_apology_issued_by_the_agency_sealed_and_warned_when_late(app, client, forms):
    login(client, "staff1")
    for year in (2019, 2026):
        response = client.get(f"/dossier/print/04/?id={forms[year]['late']}")
        text = _text(response)
        assert "(Ký, ghi rõ họ tên và đóng dấu)" in text
        head = text.split("CỘNG HÒA")[0]
        assert "SỞ GIAO THÔNG VẬN TẢI" in head.upper() and "Trung tâm" not in head
        assert "Số: 1/" in head
        late = 'id="apology-late"' in response.data.decode()
        assert late == (year == 2026), year  # 2026: issued on the due date itself
        # The day of the intake, as the form has it: "Ngày 02/03/2026, Sở …", no time between.
        accepted = forms_data.ACCEPTED[year]
        assert f"Ngày {accepted:%d/%m/%Y}, Sở Giao thông vận tải tiếp nhận" in text, year
        assert f"{accepted:%H:%M} {accepted:%d/%m/%Y}" not in text
    assert "đề nghị gia hạn thời gian giải quyết hồ sơ đến ngày" in _print(
        client, "04", forms[2026]["late"]
    )


def test_apology_timing_rule():

    cal = WorkingCalendar()
    d = Dossier(due_date=dt.date(2026, 3, 16))  # a Monday
    assert not printed_forms.apology_is_late(d, dt.date(2026, 3, 13), cal)  # Friday before
    assert printed_forms.apology_is_late(d, dt.date(2026, 3, 14), cal)  # Saturday: too late
    assert printed_forms.apology_is_late(d, dt.date(2026, 3, 16), cal)


def test_control_sheet_agencies_handovers_signatures_and_step_outcomes(app, client, forms):
    login(client, "staff1")
    body = client.get(f"/dossier/print/05/?id={forms[2026]['late']}").data.decode()
    text = _text(client.get(f"/dossier/print/05/?id={forms[2026]['late']}"))
    assert "Cơ quan (bộ phận) giải quyết hồ sơ: Sở Giao thông vận tải" in text
    assert "Cơ quan phối hợp giải quyết hồ sơ" in text
    assert "Người giao" in text and "Người nhận" in text
    assert body.count('class="sign-cell"') >= 2 * 8  # giver and receiver cells on each row
    assert body.count("via-courier") == 2  # the courier runs both ways
    assert "Chuyến chuyển hồ sơ qua bưu điện" in text
    assert body.count("via-postal") == 1 and "EL123456789VN" in text  # returned by post
    outcomes = re.findall(r'class="step-outcome">([^<]*)<', body)
    assert "Trước hạn" in outcomes and "Quá hạn" in outcomes  # per step, not only the result


def test_register_has_sets_signature_and_note_columns(app, client, forms):
    login(client, "staff1")
    for year, number in ((2019, "06"), (2026, "07")):
        at = forms_data.ACCEPTED[year]
        response = client.get(f"/dossier/register/?from={at:%d/%m/%Y}&to={at:%d/%m/%Y}")
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
        assert f"Mẫu số {number}" in sheet["A1"].value
        header = [c.value for c in sheet[4]]
        assert header[3] == "Số lượng hồ sơ (bộ)"
        assert header[-2:] == ["Ký nhận", "Ghi chú"]
        rows = {r[1]: r for r in sheet.iter_rows(min_row=5, values_only=True) if r[1]}
        full = next(r for r in rows.values() if r[4] == "Hoàng Văn Bảo Long")
        assert full[3] == 2 and full[-2] is None and full[-1] == "Nộp thay theo giấy ủy quyền"


def test_list_tab_and_register_page_name_the_register_of_the_set_in_force(
    app, client, forms, frozen_clock
):
    # A reviewer saw the list's tab say "Sổ theo dõi hồ sơ (Mẫu 06)" beside the dossier page's
    # "Phiếu kiểm soát (Mẫu 06)": in the 2025 set the register is Mẫu 07, as its workbook says.
    login(client, "staff1")
    for year, number in ((2019, "06"), (2026, "07")):
        frozen_clock(forms_data.ACCEPTED[year])
        for url in ("/dossier/", "/dossier/register/"):
            response = client.get(url)
            assert response.status_code == 200, url
            text = _text(response)
            assert f"Sổ theo dõi hồ sơ (Mẫu {number})" in text, (year, url)
            other = "07" if number == "06" else "06"
            assert f"Sổ theo dõi hồ sơ (Mẫu {other})" not in text, (year, url)


def test_rescheduling_late_warns_on_the_dossier_page(app, client, forms, frozen_clock):
    """The apology given on the due date itself: saved, with a warning (nothing refused)."""

    login(client, "staff1")
    with app.app_context():
        d = db.session.get(Dossier, forms[2026]["stopped"])
        staff = d.events[-1].user
        fresh_one = Dossier(procedure_id=d.procedure_id, applicant_name="Lò Văn Minh")
        lc.accept_dossier(db.session, fresh_one, staff, dt.datetime(2026, 3, 2, 8), "X")
        lc.transition(db.session, fresh_one, "transfer", staff, dt.datetime(2026, 3, 2, 9))
        db.session.commit()
        dossier_id, due = fresh_one.id, fresh_one.due_date
    for when, warned in ((due - dt.timedelta(days=3), False), (due, True)):
        frozen_clock(dt.datetime.combine(when, dt.time(10)))
        with app.app_context():
            version = db.session.get(Dossier, dossier_id).version
        url = f"/dossier/details/?id={dossier_id}"
        response = client.post(
            "/dossier/transition/",
            data={
                "csrf_token": csrf_token(client, url),
                "id": dossier_id,
                "version": version,
                "action": "reschedule",
                "reason": "Chờ ý kiến thẩm định",
                "new_due_date": (due + dt.timedelta(days=10)).strftime("%d/%m/%Y"),
            },
            follow_redirects=True,
        )
        assert response.status_code == 200
        assert ("Ban hành muộn" in response.data.decode()) == warned, when
        with app.app_context():  # undo, to try the other day
            again = db.session.get(Dossier, dossier_id)
            assert again.rescheduled_due_date == due + dt.timedelta(days=10)
            again.rescheduled_due_date = None
            db.session.commit()


def test_apology_control_sheet_and_dossier_page_show_the_time_of_a_limit_in_hours(
    app, client, forms
):
    """A dossier counted in working hours is due at a time of day: the receipt prints it, and so
    do the apology (the appointment it apologises for), the control sheet and the dossier page's
    head (review 2026)."""
    with app.app_context():
        dossier = db.session.get(Dossier, forms[2026]["late"])
        dossier.due_in_hours = True
        dossier.due_at = dt.datetime.combine(dossier.due_date, dt.time(11, 0))
        db.session.commit()
        due = f"{dossier.due_date:%d/%m/%Y}"
    login(client, "staff1")
    assert f"Ngày hẹn trả kết quả: 11 giờ 00 phút, ngày {due}" in _print(
        client, "04", forms[2026]["late"]
    )
    assert f"Ngày hẹn trả: 11 giờ 00 phút, ngày {due}" in _print(client, "05", forms[2026]["late"])
    at = forms_data.ACCEPTED[2026]
    register = client.get(f"/dossier/register/?from={at:%d/%m/%Y}&to={at:%d/%m/%Y}")
    sheet = openpyxl.load_workbook(io.BytesIO(register.data)).active
    dues = {r[1]: r[8] for r in sheet.iter_rows(min_row=5, values_only=True) if r[1]}
    with app.app_context():
        code = db.session.get(Dossier, forms[2026]["late"]).code
    assert dues[code] == dt.datetime.strptime(f"11:00 {due}", "%H:%M %d/%m/%Y")
    page = _text(client.get(f"/dossier/details/?id={forms[2026]['late']}"))
    assert f"Ngày hẹn trả: 11:00 {due}" in page
    # A limit in days keeps the date alone.
    assert re.search(r"Ngày hẹn trả: \d\d/\d\d/\d{4}", _print(client, "05", forms[2026]["full"]))

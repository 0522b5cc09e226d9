"""A dossier is not received twice by accident (views/dossier_duplicates.py,
domain/intake_duplicates.py), the intake form posted as the browser sends it:

- a new form (a new one-time token: the page the browser's Back button loads again) for the
  same applicant and procedure as a dossier accepted within the last 30 minutes is shown again
  with a warning naming that dossier, nothing saved and everything typed kept;
- with "Vẫn tiếp nhận hồ sơ mới" ticked, the second dossier is received (two land parcels);
- another procedure, another applicant or an intake longer ago is received without a warning;
- the same form sent again (its token used) creates nothing and names the dossier it received."""

import datetime as dt
import io

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from domain import clock
from models import Dossier, Procedure, db
from tests import file_samples as samples
from tests.browser_forms import open_form, read_form
from tests.factories import licence_procedure, user_agencies

NOW = dt.datetime(2026, 11, 30, 9, 15)
NAME = "Hoàng Văn Bảo"
PHONE = "0912 000 999"
WARNING = "Có thể trùng hồ sơ"
CONFIRM = "confirm_duplicate"


@pytest.fixture
def desk(app, users):
    """Two procedures of SGTVT (staff1's agency)."""
    with app.app_context():
        sgtvt, _stp = user_agencies()
        licence = licence_procedure(sgtvt)
        other = Procedure(code="1.002804", name="Đổi giấy phép lái xe", agency=sgtvt)
        db.session.add_all([licence, other])
        db.session.commit()
        return {"licence": licence.id, "other": other.id}


@pytest.fixture
def clerk(app, client, login_as, desk):
    """staff1 logged in; from then on the forms carry their CSRF token, as in production."""
    login_as("staff")
    app.config["WTF_CSRF_ENABLED"] = True
    return client


def _form(client, procedure_id, name=NAME, phone=PHONE, id_number=""):
    """A new intake page (a fresh one-time token), filled in as the clerk does."""
    form = open_form(client, "/dossier/new/", "intake-form")
    form.set("procedure", procedure_id)
    form.set("id_number", id_number)
    form.set("applicant_name", name)
    form.set("phone", phone)
    form.set("address", "Số 1 Lê Lợi, Lạng Sơn")
    form.set("note", "Thửa đất số 12")
    form.set("_intake_print", "1")
    return form


def _send(client, form, at=NOW):
    with clock.frozen(at):
        return form.submit(client)


def _codes(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Dossier.code).order_by(Dossier.id)))


def _accepted(response):
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert "/dossier/print/01/" in response.location


def test_the_same_applicant_again_is_held_with_a_warning(app, clerk, desk):
    _accepted(_send(clerk, _form(clerk, desk["licence"])))
    [code] = _codes(app)

    # Back to the intake page: a new page, a new token, the same citizen (accents left out, the
    # phone typed another way).
    again = _send(
        clerk,
        _form(clerk, desk["licence"], name="hoang van bao", phone="+84 912 000 999"),
        NOW + dt.timedelta(minutes=12),
    )
    assert again.status_code == 200
    html = again.get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    warning = soup.find(id="intake-duplicates")
    assert warning is not None and WARNING in warning.get_text()
    assert "Trong 30 phút vừa qua" in warning.get_text()
    assert [a.get_text() for a in warning.select("a.intake-duplicate-code")] == [code]
    assert "tiếp nhận lúc 09:15 30/11/2026" in " ".join(warning.get_text().split())
    assert soup.find("label", attrs={"for": CONFIRM}).get_text() == "Vẫn tiếp nhận hồ sơ mới"
    # No "check the fields marked with errors": no field is wrong.
    assert "kiểm tra các trường báo lỗi" not in html
    assert _codes(app) == [code]  # nothing saved

    # Everything typed is kept, the box is not ticked for the clerk.
    shown = read_form(html, "/dossier/new/", "intake-form")
    assert shown.get("applicant_name") == "hoang van bao"
    assert shown.get("phone") == "+84 912 000 999"
    assert shown.get("note") == "Thửa đất số 12"
    assert shown.get("procedure") == str(desk["licence"])
    assert shown.get(CONFIRM) is None
    # Sent again as it is shown: held again.
    shown.set("_intake_print", "1")
    assert _send(clerk, shown, NOW + dt.timedelta(minutes=13)).status_code == 200
    assert _codes(app) == [code]


def test_the_same_id_number_is_the_same_applicant_whatever_the_name(app, clerk, desk):
    _accepted(_send(clerk, _form(clerk, desk["licence"], id_number="020190004321")))
    held = _send(
        clerk,
        _form(clerk, desk["licence"], name="Hoàng V. Bảo", phone="", id_number="020190004321"),
        NOW + dt.timedelta(minutes=1),
    )
    assert held.status_code == 200 and WARNING in held.get_data(as_text=True)
    # Another ID number with the same name and phone: another person (a namesake at home).
    _accepted(
        _send(
            clerk,
            _form(clerk, desk["licence"], id_number="020190009999"),
            NOW + dt.timedelta(minutes=2),
        )
    )
    assert len(_codes(app)) == 2


def test_ticking_the_box_receives_the_second_dossier(app, clerk, desk):
    _accepted(_send(clerk, _form(clerk, desk["licence"])))
    held = _send(clerk, _form(clerk, desk["licence"]), NOW + dt.timedelta(minutes=5))
    assert held.status_code == 200
    shown = read_form(held.get_data(as_text=True), "/dossier/new/", "intake-form")
    shown.set(CONFIRM, "1")  # "Vẫn tiếp nhận hồ sơ mới"
    shown.set("_intake_print", "1")
    _accepted(_send(clerk, shown, NOW + dt.timedelta(minutes=6)))
    codes = _codes(app)
    assert len(codes) == 2 and codes[0] != codes[1]
    with app.app_context():
        names = db.session.scalars(select(Dossier.applicant_name)).all()
    assert names == [NAME, NAME]


@pytest.mark.parametrize(
    "procedure, name, phone, minutes",
    [
        ("other", NAME, PHONE, 5),  # another procedure
        ("licence", "Hoàng Văn Bình", PHONE, 5),  # another person on the same phone
        ("licence", NAME, "0912 000 998", 5),  # a namesake with another phone
        ("licence", NAME, PHONE, 31),  # outside the 30 minutes
    ],
)
def test_no_warning_for_another_procedure_applicant_or_time(
    app, clerk, desk, procedure, name, phone, minutes
):
    _accepted(_send(clerk, _form(clerk, desk["licence"])))
    later = NOW + dt.timedelta(minutes=minutes)
    _accepted(_send(clerk, _form(clerk, desk[procedure], name, phone), later))
    assert len(_codes(app)) == 2
    # While the very same applicant and procedure a minute later is held.
    held = _send(clerk, _form(clerk, desk[procedure], name, phone), later + dt.timedelta(minutes=1))
    assert held.status_code == 200 and WARNING in held.get_data(as_text=True)
    assert len(_codes(app)) == 2


def test_the_same_form_sent_again_names_the_dossier_it_received(app, clerk, desk):
    form = _form(clerk, desk["licence"])
    _accepted(_send(clerk, form))
    [code] = _codes(app)
    with app.app_context():
        dossier_id = db.session.scalar(select(Dossier.id))

    again = _send(clerk, form, NOW + dt.timedelta(minutes=1))  # the same token
    assert again.status_code == 302
    assert again.location.endswith(f"/dossier/details/?id={dossier_id}")
    page = clerk.get(again.location).get_data(as_text=True)
    flash = BeautifulSoup(page, "html.parser").find(id="flash-sent-dossier")
    assert flash is not None and flash.get_text() == code
    assert flash["href"].endswith(f"/dossier/details/?id={dossier_id}")
    message = " ".join(flash.parent.get_text().split())
    assert f"Biểu mẫu này đã được gửi rồi: hồ sơ {code} đã được tiếp nhận" in message
    assert "Không tạo thêm hồ sơ nào" in message
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Dossier)) == 1


def test_the_same_form_sent_again_with_the_box_ticked_creates_nothing(app, clerk, desk):
    """The box confirms a new dossier, not a resend: a used token stays used."""
    _accepted(_send(clerk, _form(clerk, desk["licence"])))
    held = _send(clerk, _form(clerk, desk["licence"]), NOW + dt.timedelta(minutes=1))
    shown = read_form(held.get_data(as_text=True), "/dossier/new/", "intake-form")
    shown.set(CONFIRM, "1")
    shown.set("_intake_print", "1")
    _accepted(_send(clerk, shown, NOW + dt.timedelta(minutes=2)))
    again = _send(clerk, shown, NOW + dt.timedelta(minutes=2))  # a double click
    assert again.status_code == 302 and "/dossier/details/" in again.location
    assert len(_codes(app)) == 2


def test_english(app, clerk, desk):
    _accepted(_send(clerk, _form(clerk, desk["licence"])))
    with clerk.session_transaction() as session:
        session["lang"] = "en"
    held = _send(clerk, _form(clerk, desk["licence"]), NOW + dt.timedelta(minutes=1))
    html = held.get_data(as_text=True)
    assert "Possible duplicate: nothing was saved." in html
    assert "Accept a new dossier anyway" in html


def test_a_twin_send_that_finds_its_own_dossier_is_sent_to_it(app, clerk, desk, monkeypatch):
    """Two sends of one form at once on PostgreSQL: the second passed the token check before
    the first committed, then finds the first's dossier as a duplicate. It is the same form:
    sent to that dossier ("already sent"), not held with a warning."""
    form = _form(clerk, desk["licence"])
    _accepted(_send(clerk, form))
    [code] = _codes(app)
    monkeypatch.setattr("views.forms.check_form_token", lambda form: None)  # (checked too early)
    again = _send(clerk, form, NOW + dt.timedelta(seconds=1))
    assert again.status_code == 302 and "/dossier/details/" in again.location
    page = clerk.get(again.location).get_data(as_text=True)
    assert BeautifulSoup(page, "html.parser").find(id="flash-sent-dossier").get_text() == code
    assert _codes(app) == [code]


def test_a_held_intake_with_scans_stores_no_file_and_says_to_choose_them_again(
    app, clerk, desk, files_dir
):
    _accepted(_send(clerk, _form(clerk, desk["licence"])))
    data = _form(clerk, desk["licence"]).data()
    data.add("intake-files", (io.BytesIO(samples.pdf(1)), "ho-so.pdf"))
    with clock.frozen(NOW + dt.timedelta(minutes=3)):
        held = clerk.post("/dossier/new/", data=data, content_type="multipart/form-data")
    html = held.get_data(as_text=True)
    assert held.status_code == 200 and WARNING in html
    assert "hãy chọn lại tệp" in html  # a form shown again cannot keep the files
    assert len(_codes(app)) == 1
    assert not files_dir.exists() or not [p for p in files_dir.rglob("*") if p.is_file()]

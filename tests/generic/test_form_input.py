"""What people type into the forms: too long, an e-mail, untidy text, a forged choice, a field
of another agency, a new user's role. Forms are read and posted back as the browser does
(browser_forms.py); every refusal is a clear Vietnamese message, never a 500."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from bs4 import BeautifulSoup
from flask import session
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, StringField
from wtforms.validators import Length, NumberRange

from domain import lifecycle as lc
from domain.catalog_io import import_catalog
from domain.spreadsheet_reader import Table
from domain.status import Status
from models import Agency, Dossier, Feedback, FeeItem, Field, Procedure, User, db
from tests.browser_forms import open_form
from views.base import SecureForm

UNIT = "000.00.20.H37"


@pytest.fixture
def catalog(app, users):
    """SGTVT (staff1's) and STP, a field and a procedure each, an accepted dossier each."""
    with app.app_context():
        gt = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        tp = db.session.scalar(select(Agency).where(Agency.code == "STP"))
        f_gt = Field(code="GTDB", name="Đường bộ", agency=gt)
        f_tp = Field(code="HTCT", name="Hộ tịch", agency=tp)
        p_gt = Procedure(
            code="1.000001",
            name="Cấp đổi giấy phép lái xe",
            agency=gt,
            field=f_gt,
            processing_days=5,
        )
        p_tp = Procedure(
            code="2.000001", name="Đăng ký khai sinh", agency=tp, field=f_tp, processing_days=3
        )
        db.session.add_all([f_gt, f_tp, p_gt, p_tp])
        dossiers = [
            Dossier(procedure=p, applicant_name=name)
            for p, name in ((p_gt, "Nguyễn Văn Ánh"), (p_tp, "Trần Thị Bình"))
        ]
        for d in dossiers:
            lc.accept_dossier(db.session, d, None, dt.datetime(2019, 3, 4, 9), UNIT)
        db.session.commit()
        return {
            "gt": gt.id,
            "tp": tp.id,
            "f_gt": f_gt.id,
            "f_tp": f_tp.id,
            "p_gt": p_gt.id,
            "p_tp": p_tp.id,
            "d_gt": dossiers[0].id,
            "d_tp": dossiers[1].id,
        }


def _page(response) -> str:
    return response.get_data(as_text=True)


def _flashes(client) -> str:
    with client.session_transaction() as session:
        return " ".join(m for _, m in session.get("_flashes", []))


def _count(app, model, *criteria) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*criteria))


# ---- Length and NumberRange messages (item 3) ------------------------------------------------


class _Probe(SecureForm):
    class Meta:
        csrf = False

    at_least = StringField(validators=[Length(min=2)])
    at_most = StringField(validators=[Length(max=3)])
    between = StringField(validators=[Length(min=2, max=3)])
    one_char = StringField(validators=[Length(max=1)])
    number_min = IntegerField(validators=[NumberRange(min=1)])
    number_max = IntegerField(validators=[NumberRange(max=4)])
    number_between = IntegerField(validators=[NumberRange(min=1, max=4)])


PROBE_INPUT = {
    "at_least": "a",
    "at_most": "abcd",
    "between": "abcd",
    "one_char": "ab",
    "number_min": "0",
    "number_max": "5",
    "number_between": "9",
}
PROBE_MESSAGES = {
    "vi": {
        "at_least": "Cần ít nhất 2 ký tự.",
        "at_most": "Không được dài quá 3 ký tự.",
        "between": "Độ dài phải từ 2 đến 3 ký tự.",
        "one_char": "Không được dài quá 1 ký tự.",
        "number_min": "Số phải lớn hơn hoặc bằng 1.",
        "number_max": "Số phải nhỏ hơn hoặc bằng 4.",
        "number_between": "Số phải nằm trong khoảng 1 đến 4.",
    },
    "en": {
        "at_least": "Field must be at least 2 characters long.",
        "at_most": "Field cannot be longer than 3 characters.",
        "between": "Field must be between 2 and 3 characters long.",
        "one_char": "Field cannot be longer than 1 character.",
        "number_min": "Number must be at least 1.",
        "number_max": "Number must be at most 4.",
        "number_between": "Number must be between 1 and 4.",
    },
}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_length_and_range_message_is_translated_and_filled_in(app, lang):

    with app.test_request_context():
        session["lang"] = lang
        form = _Probe(formdata=MultiDict(PROBE_INPUT))
        assert not form.validate()
        assert {k: v[0] for k, v in form.errors.items()} == PROBE_MESSAGES[lang]


def test_too_long_text_is_a_vietnamese_message_not_a_500(app, client, login_as, catalog):
    login_as("admin")
    form = open_form(client, f"/agency/edit/?id={catalog['gt']}")
    form.set("name", "A" * 256)
    response = form.submit(client)
    assert response.status_code == 200
    assert "Không được dài quá 255 ký tự." in _page(response)
    assert _count(app, Agency, Agency.name == "A" * 256) == 0

    login_as("staff")
    form = open_form(client, "/dossier/new/")
    form.set("procedure", catalog["p_gt"])
    form.set("applicant_name", "Lê Văn Cường")
    form.set("phone", "1" * 33)
    response = form.submit(client)
    assert response.status_code == 200
    assert "Không được dài quá 32 ký tự." in _page(response)
    assert _count(app, Dossier) == 2

    with app.app_context():
        version = db.session.get(Dossier, catalog["d_gt"]).version
    response = client.post(
        "/dossier/transition/",
        data={
            "id": catalog["d_gt"],
            "version": version,
            "action": "transfer",
            "reason": "x" * 2001,
        },
    )
    assert response.status_code == 302
    assert "Không được dài quá 2000 ký tự." in _flashes(client)
    with app.app_context():
        assert db.session.get(Dossier, catalog["d_gt"]).status == Status.ACCEPTED


def test_intake_says_each_problem_once_and_zero_sets_is_out_of_range(client, login_as, catalog):
    """A long name: one "at most 255" under the field (the column's own length check and the
    form's were both shown); 0 sets: the range, not "required" (0 is an answer)."""
    login_as("staff")
    form = open_form(client, "/dossier/new/")
    form.set("procedure", catalog["p_gt"])
    form.set("applicant_name", "A" * 256)
    form.set("set_count", "0")
    page = _page(form.submit(client))
    assert page.count("Không được dài quá 255 ký tự.") == 1
    assert "Số phải nằm trong khoảng 1 đến 99" in page
    assert "Trường này là bắt buộc." not in page


# ---- e-mail (item 2) ---------------------------------------------------------------------------


def test_intake_and_correction_with_an_email_save(app, client, login_as, catalog):
    login_as("staff")
    form = open_form(client, "/dossier/new/")
    form.set("procedure", catalog["p_gt"])
    form.set("applicant_name", "Lê Văn Cường")
    form.set("email", "cuong@example.vn")
    response = form.submit(client)
    assert response.status_code == 302, _page(response)[:2000]
    with app.app_context():
        dossier = db.session.scalar(select(Dossier).where(Dossier.email == "cuong@example.vn"))
        assert dossier is not None and dossier.code
        dossier_id = dossier.id

    form = open_form(client, f"/dossier/edit/?id={dossier_id}")
    form.set("email", "not an e-mail")
    response = form.submit(client)
    assert response.status_code == 200
    assert "Địa chỉ thư điện tử không hợp lệ." in _page(response)
    form.set("email", "cuong.le@example.vn")
    assert form.submit(client).status_code == 302
    with app.app_context():
        assert db.session.get(Dossier, dossier_id).email == "cuong.le@example.vn"


# ---- a new user's role (item 6) ----------------------------------------------------------------


def test_a_new_users_role_is_chosen_not_admin_by_default(app, client, login_as, catalog):
    login_as("admin")
    form = open_form(client, "/user/new/")
    assert form.get("role") not in ("admin", "staff", "manager")  # nothing chosen yet
    form.set("username", "clerk9")
    form.set("full_name", "Nhân viên mới")
    form.set("new_password", "mật khẩu mới 42")
    response = form.submit(client)
    assert response.status_code == 200
    assert "Trường này là bắt buộc." in _page(response)
    assert _count(app, User, User.username == "clerk9") == 0

    form.set("role", "manager")
    assert form.submit(client).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.username == "clerk9")) == "manager"


# ---- a procedure's field is one of its agency's (item 7) --------------------------------------


def test_a_procedure_takes_only_a_field_of_its_own_agency(app, client, login_as, catalog):
    login_as("admin")
    form = open_form(client, f"/procedure/edit/?id={catalog['p_gt']}")
    form.set("field", catalog["f_tp"])
    response = form.submit(client)
    assert response.status_code == 200
    assert "thuộc cơ quan khác" in _page(response)
    with app.app_context():
        assert db.session.get(Procedure, catalog["p_gt"]).field_id == catalog["f_gt"]

    form = open_form(client, "/procedure/new/")
    for name, value in {
        "code": "1.000099",
        "name": "Thủ tục mới",
        "agency": catalog["gt"],
        "field": catalog["f_tp"],
        "processing_days": "5",
    }.items():
        form.set(name, value)
    response = form.submit(client)
    assert response.status_code == 200
    assert "thuộc cơ quan khác" in _page(response)
    assert _count(app, Procedure, Procedure.code == "1.000099") == 0
    form.set("field", catalog["f_gt"])
    assert form.submit(client).status_code == 302


def test_the_field_picker_shows_the_agency_and_offers_the_chosen_agencys_fields(
    app, client, login_as, catalog
):
    login_as("admin")
    everything = client.get("/procedure/ajax/lookup/?name=field&query=").get_json()
    assert sorted(label for _, label in everything) == [
        "Hộ tịch (Sở Tư pháp)",
        "Đường bộ (Sở Giao thông vận tải)",
    ]
    narrowed = client.get(
        f"/procedure/ajax/lookup/?name=field&query=&agency={catalog['gt']}"
    ).get_json()
    assert narrowed == [[catalog["f_gt"], "Đường bộ (Sở Giao thông vận tải)"]]

    page = BeautifulSoup(_page(client.get(f"/procedure/edit/?id={catalog['p_gt']}")), "html.parser")
    picker = page.find("input", attrs={"name": "field"})
    assert picker["data-role"] == "select2-ajax"
    assert json.loads(picker["data-json"]) == [catalog["f_gt"], "Đường bộ (Sở Giao thông vận tải)"]


# ---- a forged dossier link (item 12) -----------------------------------------------------------


def test_feedback_refuses_a_forged_dossier_link(app, client, login_as, catalog):
    login_as("staff")
    for forged in (catalog["d_tp"], 999999):  # another agency's dossier; no dossier at all
        form = open_form(client, "/feedback/new/")
        for name, value in {
            "sender": "Phạm Văn Đức",
            "subject": "Hỏi thủ tục",
            "content": "Xin hỏi",
            "agency": catalog["gt"],
            "dossier": forged,
        }.items():
            form.set(name, value)
        response = form.submit(client)
        assert response.status_code == 200, forged
        assert "Lựa chọn này không tồn tại hoặc bạn không được phép chọn." in _page(response)
        assert _count(app, Feedback) == 0
    form.set("dossier", catalog["d_gt"])
    assert form.submit(client).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Feedback.dossier_id)) == catalog["d_gt"]


# ---- untidy names: the same tidying in forms and on import (item 12) ---------------------------


def test_a_fee_item_typed_with_a_tab_is_stored_tidy(app, client, login_as, catalog):
    login_as("admin")
    form = open_form(client, f"/procedure/edit/?id={catalog['p_gt']}")
    for name, value in {
        "fee_items-0-kind": "charge",
        "fee_items-0-name": "\tLệ phí cấp đổi ",
        "fee_items-0-amount_vnd": "135000",
        "fee_items-0-note": "\r\nGhi chú\r\n",
        "name": "  Cấp đổi giấy phép lái xe\t",
    }.items():
        form.set(name, value)
    response = form.submit(client)
    assert response.status_code == 302, _page(response)[:2000]
    with app.app_context():
        item = db.session.scalar(select(FeeItem))
        assert (item.name, item.note) == ("Lệ phí cấp đổi", "Ghi chú")
        assert db.session.get(Procedure, catalog["p_gt"]).name == "Cấp đổi giấy phép lái xe"


def test_an_untidy_fee_item_name_is_the_same_item_on_reimport(app, catalog):
    with app.app_context():
        # Typed before the forms tidied names: a leading tab, Windows line breaks.
        db.session.add(
            FeeItem(
                procedure_id=catalog["p_gt"],
                kind="charge",
                name="\tLệ phí cấp đổi",
                amount_vnd=135000,
                note="a\r\nb",
            )
        )
        db.session.commit()
        table = Table(
            "fee_items",
            ["procedure_code", "kind", "name", "amount_vnd", "note"],
            [
                (
                    2,
                    {
                        "procedure_code": "1.000001",
                        "kind": "charge",
                        "name": "Lệ phí cấp đổi",
                        "amount_vnd": 135000,
                        "note": "a\nb",
                    },
                )
            ],
        )
        plan = import_catalog(db.session, [table], apply=True)
        assert plan.ok and plan.counts()["unchanged"] == 1, plan.counts()
        db.session.commit()
        assert db.session.scalar(select(func.count(FeeItem.id))) == 1


@pytest.mark.parametrize(
    "phone, saved",
    [("0912 345 678", True), ("+84 912.345.678", True), ("abc-not-phone", False), ("0912", False)],
)
def test_intake_takes_a_phone_number_only(app, client, login_as, catalog, phone, saved):
    login_as("staff")
    form = open_form(client, "/dossier/new/")
    form.set("procedure", catalog["p_gt"])
    form.set("applicant_name", "Lê Văn Cường")
    form.set("phone", phone)
    response = form.submit(client)
    message = "Nhập số điện thoại: 8 đến 15 chữ số"
    assert (response.status_code == 302, message in _page(response)) == (saved, not saved)
    assert _count(app, Dossier, Dossier.phone == phone) == int(saved)

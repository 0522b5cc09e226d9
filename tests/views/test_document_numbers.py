"""The numbers (STT) of a procedure's documents on the procedure form, posted as the browser
sends it (CSRF on). Found by a review: each "Thêm giấy tờ" added a row numbered 1, and saving two
rows numbered 1 showed the generic "Chưa lưu được thay đổi… mã tham chiếu" page (the unique
constraint in the server's log) without naming the STT field. Now a number given twice is
refused on its row, in Vietnamese and English; a number left blank gets the next free one; two
documents swap their numbers, and a deleted row's number is given to a new one."""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlalchemy import select

from models import Agency, Procedure, ProcedureDocument, db
from tests.browser_forms import open_form
from tests.factories import csrf_token, licence_procedure

TAKEN_VI = "STT 1 đã dùng cho giấy tờ “Đơn đề nghị”: mỗi giấy tờ cần một số thứ tự riêng."
TAKEN_EN = (
    "No. 1 is already used for the document “Đơn đề nghị”: give each document its own number."
)
GENERIC = "mã tham chiếu"
NAMES = ("Đơn đề nghị", "Bản sao CCCD", "Ảnh 3x4")


def _procedure(app) -> int:
    """Procedure 1.002809 of agency SGTVT with three documents, numbered 1 to 3."""
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        procedure = licence_procedure(
            agency,
            documents=[
                ProcedureDocument(position=i, name=name) for i, name in enumerate(NAMES, start=1)
            ],
        )
        db.session.add(procedure)
        db.session.commit()
        return procedure.id


def _documents(app, procedure_id) -> list[tuple[int, str]]:
    with app.app_context():
        return db.session.execute(
            select(ProcedureDocument.position, ProcedureDocument.name)
            .where(ProcedureDocument.procedure_id == procedure_id)
            .order_by(ProcedureDocument.position)
        ).all()


def _add_row(form, index: int, name: str, position: str = "1") -> None:
    """A row added with "Thêm giấy tờ", as the browser sends it: the template's inputs under
    documents-<index>- (STT: the template's default 1 unless typed otherwise)."""
    form.set(f"documents-{index}-position", position)
    form.set(f"documents-{index}-name", name)
    form.set(f"documents-{index}-kind", "original")
    form.set(f"documents-{index}-copies", "1")
    form.set(f"documents-{index}-required", "y")


def _row_errors(response) -> dict[str, str]:
    """The error shown under each field of the page, by the field's name."""
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    errors = {}
    for feedback in page.select(".help-block, .invalid-feedback"):
        group = feedback.find_parent(class_="form-group")
        field = group.find(["input", "select", "textarea"]) if group else None
        errors[field.get("name") if field else "?"] = feedback.get_text(" ", strip=True)
    return errors


def test_a_number_given_twice_is_refused_on_its_row(csrf_app, csrf_login_as):
    client = csrf_login_as("admin")
    procedure_id = _procedure(csrf_app)
    form = open_form(client, f"/procedure/edit/?id={procedure_id}")
    assert form.get("documents-2-position") == "3"
    _add_row(form, 3, "Giấy ủy quyền")
    _add_row(form, 4, "Sổ hộ khẩu")
    response = form.submit(client)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert GENERIC not in text
    assert _row_errors(response) == {
        "documents-3-position": TAKEN_VI,
        "documents-4-position": TAKEN_VI,
    }
    assert _documents(csrf_app, procedure_id) == list(enumerate(NAMES, start=1))

    client.post(
        "/language", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")}
    )
    form = open_form(client, f"/procedure/edit/?id={procedure_id}")
    _add_row(form, 3, "Giấy ủy quyền")
    response = form.submit(client)
    assert response.status_code == 200
    assert _row_errors(response) == {"documents-3-position": TAKEN_EN}


def test_the_new_procedure_form_refuses_two_rows_numbered_1(csrf_app, csrf_login_as):
    client = csrf_login_as("admin")
    with csrf_app.app_context():
        agency_id = db.session.scalar(select(Agency.id).where(Agency.code == "SGTVT"))
    form = open_form(client, "/procedure/new/")
    for name, value in (
        ("code", "1.002810"),
        ("name", "Cấp đổi Giấy phép lái xe"),
        ("agency", agency_id),
        ("processing_days", "5"),
    ):
        form.set(name, value)
    _add_row(form, 0, "Đơn đề nghị")
    _add_row(form, 1, "Bản sao CCCD")
    response = form.submit(client)
    assert response.status_code == 200 and GENERIC not in response.get_data(as_text=True)
    assert _row_errors(response) == {"documents-1-position": TAKEN_VI}
    with csrf_app.app_context():
        assert db.session.scalar(select(Procedure).where(Procedure.code == "1.002810")) is None
    form.set("documents-1-position", "")  # left blank: the next free number
    assert form.submit(client).status_code == 302
    with csrf_app.app_context():
        procedure_id = db.session.scalar(select(Procedure.id).where(Procedure.code == "1.002810"))
    assert _documents(csrf_app, procedure_id) == [(1, "Đơn đề nghị"), (2, "Bản sao CCCD")]


def test_blank_numbers_get_the_next_free_ones(csrf_app, csrf_login_as):
    client = csrf_login_as("admin")
    procedure_id = _procedure(csrf_app)
    form = open_form(client, f"/procedure/edit/?id={procedure_id}")
    _add_row(form, 3, "Giấy ủy quyền", position="")
    _add_row(form, 4, "Sổ hộ khẩu", position="")
    assert form.submit(client).status_code == 302
    assert _documents(csrf_app, procedure_id) == [
        *enumerate(NAMES, start=1),
        (4, "Giấy ủy quyền"),
        (5, "Sổ hộ khẩu"),
    ]


def test_two_documents_swap_their_numbers(csrf_app, csrf_login_as):
    client = csrf_login_as("admin")
    procedure_id = _procedure(csrf_app)
    form = open_form(client, f"/procedure/edit/?id={procedure_id}")
    form.set("documents-0-position", "2")
    form.set("documents-1-position", "1")
    response = form.submit(client)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _documents(csrf_app, procedure_id) == [
        (1, "Bản sao CCCD"),
        (2, "Đơn đề nghị"),
        (3, "Ảnh 3x4"),
    ]


def test_a_deleted_rows_number_goes_to_a_new_row(csrf_app, csrf_login_as):
    client = csrf_login_as("admin")
    procedure_id = _procedure(csrf_app)
    form = open_form(client, f"/procedure/edit/?id={procedure_id}")
    form.set("del-documents-2", "on")  # "Xóa?" ticked on Ảnh 3x4, no. 3
    _add_row(form, 3, "Giấy ủy quyền", position="3")
    response = form.submit(client)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _documents(csrf_app, procedure_id) == [
        (1, "Đơn đề nghị"),
        (2, "Bản sao CCCD"),
        (3, "Giấy ủy quyền"),
    ]

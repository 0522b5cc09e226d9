"""In a real Chromium: "Thêm giấy tờ" on the procedure form numbers each new row after the
highest STT above it (4 and 5 after three documents; 1 and 2 on a new procedure), instead of 1
every time (found by a review: the second row added could never be saved), and the procedure is
saved with them."""

import pytest
from sqlalchemy import select

from models import Procedure, ProcedureDocument, db
from tests.factories import licence_procedure, user_agencies
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser

NAMES = ("Đơn đề nghị", "Bản sao CCCD", "Ảnh 3x4")


def _numbers(page) -> list[str]:
    return page.locator("#documents input[name$='-position']").evaluate_all(
        "inputs => inputs.filter(i => !i.closest('.inline-field-template')).map(i => i.value)"
    )


def _add(page, name: str) -> None:
    page.click("#documents-button")
    page.locator("#documents input[name$='-name']").last.fill(name)


def _stored(app, code: str) -> list[tuple[int, str]]:
    with app.app_context():
        return db.session.execute(
            select(ProcedureDocument.position, ProcedureDocument.name)
            .join(Procedure)
            .where(Procedure.code == code)
            .order_by(ProcedureDocument.position)
        ).all()


def test_added_documents_get_the_next_numbers(app, live_server, page, users):
    with app.app_context():
        agency, _ = user_agencies()
        procedure = licence_procedure(
            agency,
            documents=[ProcedureDocument(position=i, name=n) for i, n in enumerate(NAMES, 1)],
        )
        db.session.add(procedure)
        db.session.commit()
        procedure_id = procedure.id
    log_in(page, live_server, "admin1")

    page.goto(f"{live_server}/procedure/edit/?id={procedure_id}")
    assert _numbers(page) == ["1", "2", "3"]
    _add(page, "Giấy ủy quyền")
    _add(page, "Sổ hộ khẩu")
    assert _numbers(page) == ["1", "2", "3", "4", "5"]
    page.locator("#documents").screenshot(path="/tmp/documents-two-added.png")
    page.screenshot(path="/tmp/procedure-two-documents-added.png", full_page=True)
    with page.expect_navigation():
        page.click("input[type=submit][value='Lưu']")
    assert "/edit/" not in page.url, page.inner_text("body")[:1000]
    assert page.locator(".alert-success").count() == 1
    assert _stored(app, "1.002809") == [
        *enumerate(NAMES, 1),
        (4, "Giấy ủy quyền"),
        (5, "Sổ hộ khẩu"),
    ]

    # A new procedure: 1, then 2; a row removed with ✕ frees its number for the next one.
    page.goto(f"{live_server}/procedure/new/")
    _add(page, "Đơn đề nghị")
    _add(page, "Bản sao CCCD")
    assert _numbers(page) == ["1", "2"]
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#documents .inline-remove-field").last.click()
    _add(page, "Tờ khai")
    assert _numbers(page) == ["1", "2"]

"""The intake page (issue 14 point 2) through the web as the browser posts it: what the page
shows before saving (due date, fees, channels, checklist) is what is stored; the checklist
becomes the received documents; a returning applicant is offered within the clerk's agencies
only."""

import datetime as dt

import pytest
from sqlalchemy import select

from domain import clock
from domain import lifecycle as lc
from domain.calendar import load_calendar
from models import CalendarDay, Dossier, FeeItem, Procedure, ProcedureDocument, db
from tests.factories import licence_procedure, user_agencies

UNIT = "000.00.20.H37"
# A Friday afternoon before a weekend and a made-up day off: the due date must skip them all.
FRIDAY = dt.datetime(2026, 11, 27, 16, 30)


@pytest.fixture
def counter(app, users):
    with app.app_context():
        sgtvt, stp = user_agencies()
        licence = licence_procedure(
            sgtvt,
            online_level="partial",
            postal_in=True,
            fee_items=[
                FeeItem(kind="charge", name="Lệ phí cấp GPLX", amount_vnd=135000),
                FeeItem(kind="fee", name="Phí sát hạch", amount_vnd=1_200_000),
            ],
            documents=[
                ProcedureDocument(position=1, name="Đơn đề nghị cấp lại GPLX"),
                ProcedureDocument(position=2, name="Bản sao CCCD", kind="copy", copies=2),
                ProcedureDocument(position=3, name="Giấy ủy quyền (nếu có)", required=False),
            ],
        )
        record = Procedure(
            code="2.000488", name="Cấp Phiếu lý lịch tư pháp", agency=stp, processing_days=10
        )
        db.session.add_all(
            [
                licence,
                record,
                CalendarDay(date=dt.date(2026, 12, 1), is_working_day=False, note="nghỉ bù"),
            ]
        )
        db.session.flush()
        # The same ID number seen before at both agencies (STP's the most recent).
        for procedure, name, phone, address, at in (
            (licence, "Nguyễn Văn An", "0912000111", "Lạng Sơn", dt.datetime(2025, 3, 4, 9)),
            (record, "Nguyễn Văn An (STP)", "0999", "Hà Nội", dt.datetime(2025, 6, 4, 9)),
        ):
            lc.accept_dossier(
                db.session,
                Dossier(
                    procedure=procedure,
                    applicant_name=name,
                    id_number="020304000111",
                    phone=phone,
                    address=address,
                ),
                None,
                at,
                UNIT,
            )
        lc.accept_dossier(
            db.session,
            Dossier(
                procedure=record,
                applicant_name="Trần Thị Bình",
                id_number="020304000222",
                phone="0888",
                address="Cao Lộc",
            ),
            None,
            dt.datetime(2025, 6, 5, 9),
            UNIT,
        )
        db.session.commit()
        return {
            "licence": licence.id,
            "record": record.id,
            "documents": [d.id for d in licence.documents],
        }


def _post_intake(client, counter, fields: dict):
    """The intake form of a driving licence (for Đỗ Thị Dung, a citizen, at the counter unless
    `fields` say otherwise), with these fields."""
    return client.post(
        "/dossier/new/",
        data={
            "procedure": counter["licence"],
            "applicant_name": "Đỗ Thị Dung",
            "applicant_kind": "citizen",
            "channel": "direct",
            **fields,
        },
    )


def test_the_page_shows_what_is_then_stored(app, client, login_as, counter):
    login_as("staff")
    page = client.get("/dossier/new/").get_data(as_text=True)
    assert "Tiếp nhận và in phiếu" in page and 'id="intake-form"' in page
    assert page.count('type="submit"') == 1 + 1  # the one button (and the log-out button)
    with clock.frozen(FRIDAY):
        shown = client.get(f"/dossier/intake/procedure/{counter['licence']}/").get_json()
        assert shown["due_date"] == "2026-12-07"  # Mon 30/11 … Mon 07/12, 01/12 off
        assert shown["text"]["due_date"] == "07/12/2026"
        assert shown["text"]["processing"] == "5 ngày làm việc"
        assert shown["text"]["fees"] == ["Lệ phí cấp GPLX: 135.000 đ", "Phí sát hạch: 1.200.000 đ"]
        assert shown["text"]["fees_total"] == "1.335.000 đ"
        assert shown["text"]["channels"] == ["Trực tiếp", "Trực tuyến", "Qua bưu chính"]
        assert [
            (d["position"], d["name"], d["kind"], d["copies"], d["required"])
            for d in shown["documents"]
        ] == [
            (1, "Đơn đề nghị cấp lại GPLX", "original", 1, True),
            (2, "Bản sao CCCD", "copy", 2, True),
            (3, "Giấy ủy quyền (nếu có)", "original", 1, False),
        ]
        first, second, third = counter["documents"]
        response = _post_intake(
            client,
            counter,
            {
                "id_number": "020304000333",
                "applicant_name": "Lê Văn Cường",
                "phone": "0987654321",
                "address": "Lạng Sơn",
                "return_channel": "counter",
                f"checklist-{first}": "1",
                f"checklist-{first}-kind": "original",
                f"checklist-{first}-copies": "1",
                f"checklist-{second}": "1",
                f"checklist-{second}-kind": "certified_copy",
                f"checklist-{second}-copies": "3",
                # the third is not ticked: not received
                f"checklist-{third}-kind": "original",
                f"checklist-{third}-copies": "1",
                # and one more paper typed by hand
                "documents-0-name": "Ảnh 3x4",
                "documents-0-kind": "original",
                "documents-0-copies": "2",
                "_intake_print": "1",
            },
        )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        d = db.session.scalar(select(Dossier).where(Dossier.applicant_name == "Lê Văn Cường"))
        assert response.location.endswith(f"/dossier/print/01/?id={d.id}&autoprint=1")
        assert d.accepted_at == FRIDAY
        assert d.due_date.isoformat() == shown["due_date"]
        assert d.due_date == load_calendar(db.session).due_date(FRIDAY, 5)
        stored_fees = [
            {
                "kind": f.kind,
                "name": f.name,
                "amount_vnd": f.amount_vnd,
                "channel": f.channel,
                "note": f.note,
            }
            for f in d.procedure.fee_items
        ]
        assert shown["fees"] == stored_fees
        assert [(x.name, x.kind, x.copies) for x in d.documents] == [
            ("Đơn đề nghị cấp lại GPLX", "original", 1),
            ("Bản sao CCCD", "certified_copy", 3),
            ("Ảnh 3x4", "original", 2),
        ]
    receipt = client.get(response.location).get_data(as_text=True)
    assert "07/12/2026" in receipt and "Bản sao CCCD" in receipt


def test_checklist_tampering_changes_nothing_but_the_ticks(app, client, login_as, counter):
    """Names come from the procedure; a forged kind or count falls back to the procedure's."""
    login_as("staff")
    first = counter["documents"][0]
    response = _post_intake(
        client,
        counter,
        {
            f"checklist-{first}": "1",
            f"checklist-{first}-kind": "forged",
            f"checklist-{first}-copies": "1000",
            "checklist-999999": "1",
        },
    )  # not a document of this procedure
    assert response.status_code == 302
    with app.app_context():
        d = db.session.scalar(select(Dossier).where(Dossier.applicant_name == "Đỗ Thị Dung"))
        assert [(x.name, x.kind, x.copies) for x in d.documents] == [
            ("Đơn đề nghị cấp lại GPLX", "original", 1)
        ]
        assert "/dossier/details/" in response.location  # no print button: the dossier page


def test_a_form_with_an_error_keeps_the_ticks(app, client, login_as, counter):
    login_as("staff")
    first, second, _ = counter["documents"]
    page = _post_intake(
        client,
        counter,
        {
            "applicant_name": "",
            f"checklist-{second}": "1",
            f"checklist-{second}-copies": "4",
            "_intake_print": "1",
        },
    ).get_data(as_text=True)
    assert "Tiếp nhận và in phiếu" in page
    assert f"&#34;checklist-{second}-copies&#34;: &#34;4&#34;" in page
    assert f"checklist-{first}&#34;" not in page


def test_procedure_preview_is_scoped(app, client, login_as, counter):
    login_as("staff")
    assert client.get(f"/dossier/intake/procedure/{counter['record']}/").status_code == 404
    assert client.get("/dossier/intake/procedure/999999/").status_code == 404
    client.post("/logout")
    login_as("manager")  # reads dossiers, takes none in
    assert client.get(f"/dossier/intake/procedure/{counter['licence']}/").status_code == 403
    assert (
        client.post("/dossier/intake/applicant/", data={"id_number": "020304000111"}).status_code
        == 403
    )


def test_returning_applicant_within_the_clerks_agencies_only(app, client, login_as, counter):
    login_as("staff")  # staff1: SGTVT only
    offer = client.post("/dossier/intake/applicant/", data={"id_number": " 020304000111 "})
    assert offer.get_json() == {
        "found": True,
        "applicant_name": "Nguyễn Văn An",
        "phone": "0912000111",
        "address": "Lạng Sơn",
    }
    # Known only at STP: nothing, not even that the number exists.
    assert client.post(
        "/dossier/intake/applicant/", data={"id_number": "020304000222"}
    ).get_json() == {"found": False}
    assert client.post("/dossier/intake/applicant/", data={"id_number": ""}).get_json() == {
        "found": False
    }
    assert client.get("/dossier/intake/applicant/?id_number=020304000111").status_code == 405
    client.post("/logout")
    login_as("admin")  # every agency: the latest dossier
    assert (
        client.post("/dossier/intake/applicant/", data={"id_number": "020304000111"}).get_json()[
            "applicant_name"
        ]
        == "Nguyễn Văn An (STP)"
    )


@pytest.mark.parametrize("copies", ["²", "١٢", "9" * 400, "1e3", "-1"])
def test_a_count_of_copies_that_is_no_number_falls_back_not_a_500(
    app, client, login_as, counter, copies
):
    """ "²" is a digit to str.isdigit() but not to int(): the procedure's count, not a 500."""
    login_as("staff")
    first = counter["documents"][0]
    response = _post_intake(
        client,
        counter,
        {
            "applicant_name": "Đỗ Thị Dung",
            f"checklist-{first}": "1",
            f"checklist-{first}-copies": copies,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        d = db.session.scalar(select(Dossier).where(Dossier.applicant_name == "Đỗ Thị Dung"))
        assert [x.copies for x in d.documents] == [1]

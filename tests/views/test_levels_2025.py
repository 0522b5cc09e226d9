"""Levels after the 2025 reform (issue 13 point 5): a new procedure is of the province or the
commune; "district" stays readable (and editable) on old rows, but the form does not offer it to
a new procedure, a post forcing it and a catalog import of it are refused with the reason."""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from domain.catalog_io import import_catalog
from domain.spreadsheet_reader import read_tables
from models import Procedure, db
from tests.browser_forms import open_form
from tests.factories import create_agency, create_user, login
from tests.import_helpers import xlsx_bytes

REASON = "Cấp huyện không còn từ ngày 01/07/2025"


def _world(app):
    with app.app_context():
        agency = create_agency()
        old = Procedure(
            code="1.000100",
            name="Thủ tục cấp huyện cũ",
            agency=agency,
            level="district",
            processing_days=5,
        )
        db.session.add(old)
        create_user("admin1", "admin")
        db.session.commit()
        return {"agency": agency.id, "old": old.id}


def _level_options(html):
    select_ = BeautifulSoup(html, "html.parser").find("select", attrs={"name": "level"})
    return [o.get("value") for o in select_.find_all("option") if o.get("value")]


def _count(app, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Procedure).where(*where))


def test_the_form_offers_no_district_to_a_new_procedure(app, client):
    w = _world(app)
    assert login(client, "admin1").status_code == 302
    assert _level_options(client.get("/procedure/new/").get_data(as_text=True)) == [
        "province",
        "commune",
    ]
    form = open_form(client, "/procedure/new/")
    for name, value in {
        "code": "1.000101",
        "name": "Thủ tục mới",
        "agency": w["agency"],
        "processing_days": "3",
        "level": "district",
    }.items():
        form.set(name, value)
    response = form.submit(client)
    assert response.status_code == 200
    assert REASON in response.get_data(as_text=True)
    assert _count(app, Procedure.code == "1.000101") == 0
    form.set("level", "commune")
    assert form.submit(client).status_code == 302
    assert _count(app, Procedure.code == "1.000101", Procedure.level == "commune") == 1


def test_an_old_district_procedure_stays_readable_and_editable(app, client):
    w = _world(app)
    assert login(client, "admin1").status_code == 302
    details = client.get(f"/procedure/details/?id={w['old']}").get_data(as_text=True)
    assert "Huyện (trước 01/07/2025)" in details
    html = client.get(f"/procedure/edit/?id={w['old']}").get_data(as_text=True)
    assert "district" in _level_options(html)
    form = open_form(client, f"/procedure/edit/?id={w['old']}")
    form.set("processing_days", "7")
    assert form.submit(client).status_code == 302
    with app.app_context():
        old = db.session.get(Procedure, w["old"])
        assert (old.level, old.processing_days) == ("district", 7)


def test_an_existing_procedure_cannot_move_to_district(app, client):
    w = _world(app)
    with app.app_context():
        db.session.add(
            Procedure(
                code="1.000102",
                name="Thủ tục tỉnh",
                agency_id=w["agency"],
                level="province",
                processing_days=2,
            )
        )
        db.session.commit()
        pid = db.session.scalar(select(Procedure.id).where(Procedure.code == "1.000102"))
    assert login(client, "admin1").status_code == 302
    assert "district" not in _level_options(
        client.get(f"/procedure/edit/?id={pid}").get_data(as_text=True)
    )
    form = open_form(client, f"/procedure/edit/?id={pid}")
    form.set("level", "district")
    response = form.submit(client)
    assert response.status_code == 200 and REASON in response.get_data(as_text=True)
    assert _count(app, Procedure.code == "1.000102", Procedure.level == "province") == 1


def _catalog_file(rows):
    return read_tables(
        xlsx_bytes(
            {"procedures": [["code", "name", "agency_code", "level", "processing_days"], *rows]}
        ),
        "c.xlsx",
    )


def test_the_import_refuses_district_for_new_procedures_and_keeps_old_rows(app):
    _world(app)
    with app.app_context():
        plan = import_catalog(
            db.session,
            _catalog_file(
                [
                    [
                        "1.000100",
                        "Thủ tục cấp huyện cũ",
                        "SGTVT",
                        "district",
                        5,
                    ],  # unchanged old row
                    ["1.000103", "Thủ tục mới cấp huyện", "SGTVT", "district", 5],  # new: refused
                    ["1.000104", "Thủ tục mới cấp xã", "SGTVT", "commune", 5],
                ]
            ),
            apply=True,
        )
        assert not plan.ok and not plan.applied
        errors = [(i.row, i.vi) for i in plan.all_issues()]
        assert len(errors) == 1
        assert errors[0][0] == 3 and "cấp huyện không còn từ ngày 01/07/2025" in errors[0][1]
        db.session.rollback()
        assert _count(app, Procedure.code.in_(["1.000103", "1.000104"])) == 0

        plan = import_catalog(
            db.session,
            _catalog_file(
                [
                    ["1.000100", "Thủ tục cấp huyện cũ", "SGTVT", "district", 6],
                    ["1.000104", "Thủ tục mới cấp xã", "SGTVT", "commune", 5],
                ]
            ),
            apply=True,
        )
        assert plan.ok, [i.vi for i in plan.all_issues()]
        db.session.commit()
        old = db.session.scalar(select(Procedure).where(Procedure.code == "1.000100"))
        assert (old.level, old.processing_days) == ("district", 6)


def test_the_import_refuses_moving_a_procedure_to_district(app):
    _world(app)
    with app.app_context():
        db.session.add(
            Procedure(
                code="1.000105",
                name="Thủ tục tỉnh",
                agency_id=db.session.scalar(select(Procedure.agency_id)),
                level="province",
                processing_days=2,
            )
        )
        db.session.commit()
        plan = import_catalog(
            db.session, _catalog_file([["1.000105", "Thủ tục tỉnh", "SGTVT", "district", 2]])
        )
        assert not plan.ok
        assert "cấp huyện không còn" in plan.all_issues()[0].vi

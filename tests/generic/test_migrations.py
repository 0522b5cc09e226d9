"""The migrations build exactly the schema of models.py, on both databases."""

import datetime as dt

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from domain import search_index
from domain.search_index import include_object  # its indexes are made by migration 0014
from models import Agency, Dossier, Feedback, Procedure, User, db
from tests.factories import create_agency
from tests.support import ROOT


# SQLite's reflection cannot read an index on an expression (upper(code), migration 0024;
# lower(username), 0026): they are compared on PostgreSQL, and tested on both below.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], diff


def test_constraints_are_enforced(app):

    with app.app_context():
        agency = create_agency()
        db.session.add(Procedure(code="1.000009", name="x", agency=agency, processing_days=-1))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.add(Procedure(code="1.000009", name="x", agency_id=999999))
        with pytest.raises(IntegrityError):
            db.session.commit()


# ---- 0024: agency codes in capitals, unique whatever the case ---------------------------------

MIGRATIONS = str(ROOT / "migrations")
INSERT_AGENCY = text(
    "INSERT INTO agency (code, name, kind, sort_order, active, search_text, created_at,"
    " updated_at) VALUES (:code, :code, 'department', 0, :t, '', :now, :now)"
)


def _add_agencies(*codes) -> None:
    for code in codes:
        db.session.execute(INSERT_AGENCY, {"code": code, "t": True, "now": "2026-01-01 00:00:00"})
    db.session.commit()


@pytest.mark.commits  # the migrations run on a connection of their own
def test_0024_writes_agency_codes_in_capitals_and_refuses_two_that_differ_by_case(app):
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision="0023_dossier_event_order")
        try:
            _add_agencies("stp", "Snv", "SGTVT")
            upgrade(directory=MIGRATIONS)
            assert sorted(db.session.scalars(select(Agency.code))) == ["SGTVT", "SNV", "STP"]
            with pytest.raises(IntegrityError):
                _add_agencies("sgtvt")  # the index is there
            db.session.rollback()

            downgrade(directory=MIGRATIONS, revision="0023_dossier_event_order")
            _add_agencies("stp")
            config = app.extensions["migrate"].migrate.get_config(MIGRATIONS)
            with pytest.raises(RuntimeError) as refused:  # (flask db upgrade prints it, exit 1)
                command.upgrade(config, "head")
            assert "differ only by case (mã cơ quan chỉ khác chữ hoa, chữ thường): STP / stp" in (
                str(refused.value)
            )
            db.session.rollback()
            assert sorted(db.session.scalars(select(Agency.code))) == ["SGTVT", "SNV", "STP", "stp"]
            db.session.execute(text("DELETE FROM agency WHERE code = 'stp'"))
            db.session.commit()
        finally:
            upgrade(directory=MIGRATIONS)
        assert sorted(db.session.scalars(select(Agency.code))) == ["SGTVT", "SNV", "STP"]


# ---- 0025: a dossier's phone number in its search text as digits too --------------------------


def _found_by(word: str) -> list[str]:
    dialect = db.engine.dialect.name
    return sorted(
        db.session.scalars(
            select(Dossier.applicant_name).where(
                search_index.contains_word(dialect, Dossier.search_text, word)
            )
        )
    )


@pytest.mark.commits  # the migrations run on a connection of their own
def test_0025_writes_the_phone_digits_of_the_dossiers_before_it_and_the_index_follows(app):
    with app.app_context():
        agency = create_agency()
        procedure = Procedure(code="1.000009", name="x", agency=agency, processing_days=1)
        db.session.add_all(
            [
                Dossier(procedure=procedure, agency=agency, applicant_name=name, phone=phone)
                for name, phone in (("A", "0912 345 678"), ("B", "0912345678"), ("C", None))
            ]
        )
        db.session.commit()
        try:
            downgrade(directory=MIGRATIONS, revision="0024_agency_code_case")
            assert db.session.scalar(
                select(Dossier.search_text).where(Dossier.applicant_name == "A")
            ) == ("a 0912 345 678")
            assert _found_by("0912345678") == ["B"]
            db.session.commit()
        finally:
            upgrade(directory=MIGRATIONS)
        assert db.session.scalar(
            select(Dossier.search_text).where(Dossier.applicant_name == "A")
        ) == ("a 0912 345 678 0912345678")
        assert _found_by("0912345678") == ["A", "B"]  # through the search index


# ---- 0026: usernames in lower case, unique whatever the case ----------------------------------

INSERT_USER = text(
    'INSERT INTO "user" (username, password_hash, full_name, role, active, search_text,'
    " created_at, updated_at) VALUES (:name, 'x', :name, 'manager', :t, '', :now, :now)"
)


def _add_users(*names) -> None:
    for name in names:
        db.session.execute(INSERT_USER, {"name": name, "t": True, "now": "2026-01-01 00:00:00"})
    db.session.commit()


@pytest.mark.commits  # the migrations run on a connection of their own
def test_0026_writes_usernames_in_lower_case_and_refuses_two_that_differ_by_case(app):
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision="0025_phone_search")
        try:
            _add_users("Canbo.TuPhap2", "lanhdao", "ADMIN")
            upgrade(directory=MIGRATIONS)
            assert sorted(db.session.scalars(select(User.username))) == [
                "admin",
                "canbo.tuphap2",
                "lanhdao",
            ]
            with pytest.raises(IntegrityError):
                _add_users("LanhDao")  # the index is there (written past the model's rule)
            db.session.rollback()

            downgrade(directory=MIGRATIONS, revision="0025_phone_search")
            _add_users("CanBo.TuPhap2", "Lanhdao2")
            config = app.extensions["migrate"].migrate.get_config(MIGRATIONS)
            with pytest.raises(RuntimeError) as refused:  # (flask db upgrade prints it, exit 1)
                command.upgrade(config, "head")
            assert (
                "Usernames that differ only by case (tên đăng nhập chỉ khác chữ hoa, chữ thường):"
                " canbo.tuphap2 / CanBo.TuPhap2. Rename one of each"
            ) in str(refused.value)
            db.session.rollback()
            assert sorted(db.session.scalars(select(User.username))) == [
                "CanBo.TuPhap2",
                "Lanhdao2",
                "admin",
                "canbo.tuphap2",
                "lanhdao",
            ]
            db.session.execute(text("""DELETE FROM "user" WHERE username = 'CanBo.TuPhap2'"""))
            db.session.commit()
        finally:
            upgrade(directory=MIGRATIONS)
        assert sorted(db.session.scalars(select(User.username))) == [
            "admin",
            "canbo.tuphap2",
            "lanhdao",
            "lanhdao2",
        ]


# ---- 0027: a dossier's e-mail in its search text, a feedback's contact phone as digits ---------


@pytest.mark.commits  # the migrations run on a connection of their own
def test_0027_writes_the_emails_and_contact_phones_of_the_rows_before_it(app):
    with app.app_context():
        agency = create_agency()
        procedure = Procedure(code="1.000009", name="x", agency=agency, processing_days=1)
        db.session.add_all(
            [
                Dossier(procedure=procedure, agency=agency, applicant_name="A", email="a@b.vn"),
                Dossier(procedure=procedure, agency=agency, applicant_name="C"),
                Feedback(
                    sender="D",
                    contact="0912 345 678",
                    subject="s",
                    content="c",
                    channel="hotline",
                    received_at=dt.datetime(2026, 12, 1, 9),
                    due_date=dt.date(2026, 12, 11),
                ),
            ]
        )
        db.session.commit()
        try:
            downgrade(directory=MIGRATIONS, revision="0026_username_case")
            assert _found_by("a@b.vn") == []
            assert db.session.scalar(select(Feedback.search_text)) == "d 0912 345 678 s c"
            db.session.commit()
        finally:
            upgrade(directory=MIGRATIONS)
        assert _found_by("a@b.vn") == ["A"]  # through the search index
        assert db.session.scalar(select(Feedback.search_text)) == "d 0912 345 678 s c 0912345678"

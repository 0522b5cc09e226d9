"""The migrations build exactly the schema of models.py, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from domain.search_index import include_object  # its indexes are made by migration 0014
from models import Procedure, db
from tests.factories import create_agency


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

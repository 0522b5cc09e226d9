"""A stock Flask-Admin list of dossiers over the same tables, as a developer following the
Flask-Admin examples would write it: ModelView(Dossier) with searchable columns, filters on the
agency's name, the status and the acceptance date, newest first, 20 rows a page. The bench's
point of comparison for the project's own list (views/dossiers.py)."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_babel import Babel

from models import Dossier, db
from views.dossiers import DossierView


class StockDossierView(ModelView):
    page_size = 20
    can_export = True
    column_list = DossierView.column_list  # the same columns as the list it is compared with
    column_searchable_list = ("code", "applicant_name", "id_number", "phone")
    column_filters = ("agency.name", "status", "channel", "accepted_at")
    column_default_sort = ("accepted_at", True)


def stock_app(url: str) -> Flask:
    app = Flask("stock")
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench")
    db.init_app(app)
    Babel(app)  # Flask-Admin translates its own texts when Flask-Babel is installed
    admin = Admin(app, name="stock")
    admin.add_view(StockDossierView(Dossier, db.session, endpoint="dossier", url="/dossier"))
    return app

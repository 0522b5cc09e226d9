"""Screens. Each module declares its views and adds them in `register(admin)`."""
from __future__ import annotations

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import get_locale, lazy_gettext as _l

from domain import formatting
from views.base import link_args


def init_views(app) -> None:
    from views import (auth, catalog, dossiers, errors, home, imports, labels, reports, service,
                       users)

    admin = Admin(
        app, name=_l("One-stop center"), url="/",
        index_view=home.HomeView(name=_l("Home"), url="/", endpoint="admin"),
        theme=Bootstrap4Theme(base_template="admin/motcua_base.html", swatch="cerulean",
                              fluid=True),
    )
    app.register_blueprint(auth.bp)
    errors.register(app)
    for module in (catalog, dossiers, service, reports, users, imports):
        module.register(admin)

    app.jinja_env.globals["link_args"] = link_args
    app.jinja_env.filters.update(
        vnd=formatting.format_vnd, number=formatting.format_number,
        date_vn=formatting.format_date, datetime_vn=formatting.format_datetime)

    @app.context_processor
    def _helpers():
        return {"role_label": lambda role: labels.ROLES.get(role, role),
                "get_locale": get_locale}

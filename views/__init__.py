"""Screens. Each module declares its views and adds them in `register(admin)`."""
from __future__ import annotations

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import get_locale, lazy_gettext as _l, lazy_ngettext

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
    _prefer_our_wording_of_flask_admin(app)
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


# Flask-Admin's own Vietnamese has wrong wording in places ("Kỷ lục" — a sports record — for a
# database record, "mặt hàng" — goods — for list items, "sản phẩm nào" for "empty", "hồ sơ" for
# any record although a hồ sơ is a dossier here). Our catalogue translates these msgids and wins.
FLASK_ADMIN_WORDING = (
    _l("Record was successfully created."), _l("Record was successfully saved."),
    _l("Record does not exist."), _l("Failed to create record."), _l("Failed to save record."),
    _l("Failed to update record. %(error)s"),
    _l("Failed to create record. %(error)s"), _l("Failed to delete record. %(error)s"),
    _l("Please select at least one record."), _l("Please select model"), _l("items"),
    _l("empty"), _l("not contains"), _l("View Record"), _l("Create New Record"),
    _l("Select all records"), _l("Select record"), _l("Save and Add Another"),
    _l("Are you sure you want to delete this record?"),
    _l("Are you sure you want to delete selected records?"), _l("Integrity error. %(message)s"),
    _l("Invalid Filter Value: %(value)s"),
    # The page-size menu: ngettext("20 item", "20 items", 20), likewise 50 and 100.
    lazy_ngettext("20 item", "20 items", 20), lazy_ngettext("50 item", "50 items", 50),
    lazy_ngettext("100 item", "100 items", 100),
)


def _prefer_our_wording_of_flask_admin(app) -> None:
    """Read Flask-Admin's catalogue, then ours on top of it (later catalogues win a merge)."""
    from flask_admin import babel as admin_babel

    domain = admin_babel.domain
    if getattr(domain, "motcua_wording", False):
        return
    ours = app.config["BABEL_TRANSLATION_DIRECTORIES"]
    base = type(domain)

    class OurWordingDomain(base):
        @property
        def translation_directories(self):
            return list(base.translation_directories.fget(self)) + [ours]

    domain.__class__ = OurWordingDomain
    domain.domain = ["admin", "messages"]  # one domain per directory (no translations_path)
    domain.cache.clear()
    domain.motcua_wording = True

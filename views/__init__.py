"""Screens. Each module declares its views and adds them in `register(admin)`."""

from __future__ import annotations

from pathlib import Path

import flask_admin
from flask_admin import Admin
from flask_admin import babel as admin_babel
from flask_admin.theme import Bootstrap4Theme
from flask_babel import get_locale, lazy_ngettext
from flask_babel import lazy_gettext as _l
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from jinja2.ext import Extension

from domain import form_submissions, formatting
from views import (
    api,
    auth,
    calendar_checklist,
    catalog,
    dossier_due,
    dossiers,
    errors,
    files,
    headers,
    home,
    idle,
    imports,
    labels,
    lookup,
    notifications,
    page_parts,
    public,
    queue,
    reports,
    service,
    users,
)
from views.base import link_args, page_title
from views.public_access import public_prefix


def init_views(app) -> None:
    admin = Admin(
        app,
        name=_l("One-stop center"),
        url="/",
        index_view=home.HomeView(name=_l("Home"), url="/", endpoint="admin"),
        theme=Bootstrap4Theme(
            base_template="admin/motcua_base.html", swatch="cerulean", fluid=True
        ),
        csp_nonce_generator=headers.csp_nonce,
    )
    _prefer_our_wording_of_flask_admin(app)
    _flask_admin_templates_under_their_own_name(app, admin)
    app.jinja_env.add_extension(FlaskAdminA11yExtension)
    app.jinja_env.add_extension(FlaskAdminPagePartsExtension)
    app.register_blueprint(auth.bp)
    auth.limiter.init_app(app)
    errors.register(app)
    headers.register(app)
    idle.register(app)
    for module in (
        catalog,
        dossiers,
        dossier_due,
        files,
        service,
        queue,
        reports,
        users,
        imports,
        notifications,
    ):
        module.register(admin)
    calendar_checklist.register(admin)
    # The citizens' side: no login, no staff session.
    public.register(app)
    lookup.register(app)
    api.register(app)
    # Browsers ask for /favicon.ico by themselves on every site: the icon, with no session.
    public_prefix(app, "/favicon.ico")
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.ico"))

    app.jinja_env.globals["link_args"] = link_args
    app.jinja_env.globals["main_menu"] = page_parts.main_menu
    app.jinja_env.globals["filter_groups_json"] = page_parts.filter_groups_json
    app.jinja_env.globals["page_title"] = page_title
    # A form without a WTForms class (the kiosk) still carries a one-time token.
    app.jinja_env.globals["new_form_token"] = form_submissions.new_token
    app.jinja_env.filters.update(
        vnd=formatting.format_vnd,
        number=formatting.format_number,
        date_vn=formatting.format_date,
        datetime_vn=formatting.format_datetime,
        share=formatting.format_share,
    )
    app.jinja_env.globals["format_percent"] = formatting.format_percent

    @app.context_processor
    def _helpers():
        return {"role_label": lambda role: labels.ROLES.get(role, role), "get_locale": get_locale}


def _labelled(msgid: str) -> tuple[str, str]:
    # %-formatting: Jinja's own braces would have to be doubled in an f-string.
    title = "title=\"{{ _gettext('%s') }}\"" % msgid  # noqa: UP031
    return title, title + " aria-label=\"{{ _gettext('%s') }}\"" % msgid  # noqa: UP031


class FlaskAdminA11yExtension(Extension):
    """What Flask-Admin's templates miss for screen readers, in lines outside any block we could
    override: the page's language on <html> (or Vietnamese is read with English rules), a label
    for the list's row checkboxes (a title alone is no label) and for the close button of the
    flash messages."""

    PATCHES = {
        "admin/base.html": [("<html>", '<html lang="{{ get_locale() }}">')],
        "admin/model/list.html": [_labelled("Select all records"), _labelled("Select record")],
        # The flash messages' close button was hidden from screen readers yet focusable.
        "admin/layout.html": [
            (
                'data-dismiss="alert" aria-hidden="true">&times;</button>',
                'data-dismiss="alert" aria-label="{{ _gettext(\'Close\') }}">'
                '<span aria-hidden="true">&times;</span></button>',
            )
        ],
    }

    TEMPLATES = Path(flask_admin.__file__).parent.resolve() / "templates"

    def preprocess(self, source, name, filename=None):
        # Keyed by Flask-Admin's own file, whatever name loads it (see the loader below).
        try:
            relative = Path(filename or "").resolve().relative_to(self.TEMPLATES)
        except ValueError:
            return source
        for old, new in self.PATCHES.get("/".join(relative.parts[1:]), ()):
            if old not in source:  # a new Flask-Admin: look again rather than lose the fix
                raise RuntimeError(f"{name} changed: {old!r} not found")
            source = source.replace(old, new, 1)
        return source


class FlaskAdminPagePartsExtension(FlaskAdminA11yExtension):
    """The list's filter choices as JSON written once per kept copy (views/page_parts.py), not
    on every page: the same text."""

    PATCHES = {
        "admin/model/list.html": [
            ("{{ filter_groups|tojson|safe }}", "{{ filter_groups_json(filter_groups) }}")
        ],
    }


# Flask-Admin's own Vietnamese has wrong wording in places ("Kỷ lục" — a sports record — for a
# database record, "mặt hàng" — goods — for list items, "sản phẩm nào" for "empty", "hồ sơ" for
# any record although a hồ sơ is a dossier here). Our catalogue translates these msgids and wins.
FLASK_ADMIN_WORDING = (
    _l("Record was successfully created."),
    _l("Record was successfully saved."),
    _l("Record does not exist."),
    _l("Failed to create record."),
    _l("Failed to save record."),
    _l("Failed to update record. %(error)s"),
    _l("Failed to create record. %(error)s"),
    _l("Failed to delete record. %(error)s"),
    _l("Please select at least one record."),
    _l("Please select model"),
    _l("items"),
    _l("empty"),
    _l("not contains"),
    _l("View Record"),
    _l("Create New Record"),
    _l("Select all records"),
    _l("Select record"),
    _l("Save and Add Another"),
    _l("Are you sure you want to delete this record?"),
    _l("Are you sure you want to delete selected records?"),
    _l("Integrity error. %(message)s"),
    _l("between"),
    _l("not between"),  # "giữa", "không giữa": read as "in the middle"
    _l("Invalid Filter Value: %(value)s"),
    # The page-size menu: ngettext("20 item", "20 items", 20), likewise 50 and 100.
    lazy_ngettext("20 item", "20 items", 20),
    lazy_ngettext("50 item", "50 items", 50),
    lazy_ngettext("100 item", "100 items", 100),
    _l("Close"),  # FlaskAdminA11yExtension: the close button of the flash messages
)


def _prefer_our_wording_of_flask_admin(app) -> None:
    """Read Flask-Admin's catalogue, then ours on top of it (later catalogues win a merge)."""
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


def _flask_admin_templates_under_their_own_name(app, admin) -> None:
    """Flask-Admin's templates also as "flask_admin/admin/...": where ours replace one of theirs
    (templates/admin/...), they import the original and change only what they must."""
    originals = Path(flask_admin.__file__).parent / "templates" / admin.theme.folder
    app.jinja_loader = ChoiceLoader(
        [app.jinja_loader, PrefixLoader({"flask_admin": FileSystemLoader(str(originals))})]
    )

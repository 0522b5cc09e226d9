"""Who may open what: roles checked on the server, ids from requests checked before they reach
the database, and the row-level scope of staff (their own agencies' rows)."""

from __future__ import annotations

from flask import abort, g, has_app_context, redirect, request, url_for
from flask_admin import BaseView
from flask_login import current_user
from sqlalchemy import select

from models import Agency, db
from views.page_parts import by_role

ALL_ROLES = ("admin", "staff", "manager")

# Numbers from a request are checked before they reach the database: PostgreSQL refuses an id
# beyond its INTEGER columns, a negative OFFSET or one beyond 64 bits (issue 11).
MAX_ID = 2**31 - 1  # every primary key is an INTEGER (4 bytes on PostgreSQL)
MAX_PAGE = 100_000  # list pages (and AJAX picker pages): far more rows than any table holds


def parse_id(value) -> int | None:
    """A row id from a request (query string, form, AJAX picker): a positive whole number that an
    id column can hold, or None — which every caller treats as "not found"."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def selected_rows(model, ids) -> list:
    """The rows of `model` a list action was asked for (Flask-Admin passes the ticked ids as
    strings); ids that are not ids are left out."""
    wanted = [n for n in map(parse_id, ids) if n]
    return db.session.scalars(select(model).where(model.id.in_(wanted))).all()


def has_role(*roles: str) -> bool:
    user = current_user._get_current_object()  # (the proxy looks the user up at each use)
    return user.is_authenticated and user.role in roles


class RoleRequiredMixin:
    """Who may open a view: anonymous users go to the login page, wrong roles get 403."""

    read_roles: tuple[str, ...] = ("admin",)

    @by_role
    def is_accessible(self) -> bool:
        return has_role(*self.read_roles)

    @by_role
    def is_visible(self) -> bool:
        return self.is_accessible()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class SecureBaseView(RoleRequiredMixin, BaseView):
    """A custom (non-model) page with a role check."""


def db_options(query_factory):
    """Filter options read from the database when a page is shown (none at start-up)."""

    def options():
        if not has_app_context():
            return []
        return query_factory()

    return options


def own_agency_ids() -> list[int] | None:
    """The agencies whose rows the user may see and touch: None for admins and managers (every
    agency); for staff their own ([-1] when they have none, so that nothing matches)."""
    user = current_user._get_current_object()
    if user.is_authenticated and user.role == "staff":
        return user.agency_ids or [-1]
    return None


@db_options
def own_agency_options():
    """Agency choices of a filter: every agency, or a staff member's own."""
    query = db.session.query(Agency.id, Agency.name).order_by(Agency.sort_order, Agency.name)
    ids = own_agency_ids()
    return (query if ids is None else query.filter(Agency.id.in_(ids))).all()


class AgencyScopedMixin:
    """Row-level access (design §1): staff see and act only on rows of their own agencies — in the
    list, the count, details, edit, exports and actions. Admins and managers see every row.

    A view names how a row belongs to an agency: `agency_column` (e.g. Dossier.agency_id), or
    overrides `agency_criterion(agency_ids)` for an indirect link (e.g. through the dossier)."""

    agency_column = None

    def agency_criterion(self, agency_ids):
        # Read through the class: on an instance, a mapped attribute such as Dossier.agency_id
        # acts as a descriptor and would look for a mapped row.
        return type(self).agency_column.in_(agency_ids)

    def _scope(self, query):
        ids = own_agency_ids()
        return query if ids is None else query.filter(self.agency_criterion(ids))

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        # A row outside the user's agencies is "not found" (404), as for a tampered id anywhere,
        # rather than Flask-Admin's redirect to the list.
        if name in ("details_view", "edit_view", "print_view"):
            row_id = request.args.get("id")
            if row_id is not None and self.get_one(row_id) is None:
                abort(404)
        return None

    def get_query(self):
        return self._scope(super().get_query())

    def get_count_query(self):
        return self._scope(super().get_count_query())

    def get_one(self, id):
        # A tampered id outside the user's agencies is "not found", exactly like a missing row.
        pk = getattr(self.model, self._primary_key)
        id = parse_id(id)
        if id is None:
            return None
        # Read once per request: the access check above and the page itself want the same row
        # (with everything the page shows loaded with it).
        loaded = g.setdefault("motcua_rows", {})
        key = (self.endpoint, id)
        if key not in loaded:
            loaded[key] = self.get_one_query().filter(pk == id).one_or_none()
        return loaded[key]

    def get_one_query(self):
        """The query behind details and edit pages: scoped; a view may add eager loads."""
        return self.get_query()

"""The home page every logged-in user lands on."""
from __future__ import annotations

from flask_admin import AdminIndexView, expose
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from domain.formatting import format_number
from models import Agency, Procedure, db
from views.base import ALL_ROLES, RoleRequiredMixin


class HomeView(RoleRequiredMixin, AdminIndexView):
    read_roles = ALL_ROLES

    def is_visible(self):
        return False

    @expose("/")
    def index(self):
        agencies = db.session.scalar(select(func.count()).select_from(Agency)
                                     .where(Agency.active.is_(True)))
        procedures = db.session.scalar(select(func.count()).select_from(Procedure)
                                       .where(Procedure.active.is_(True)))
        tiles = [(_l("Agencies"), format_number(agencies)),
                 (_l("Procedures"), format_number(procedures))]
        return self.render("admin/home.html", tiles=tiles)

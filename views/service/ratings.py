"""Staff ratings from the kiosk (đánh giá mức độ hài lòng): read, totals, cancel with a reason."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import BaseSQLAFilter, IntEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, pgettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from domain import ratings
from domain.formatting import format_number, format_percent
from models import StaffRating, db, user_agency
from views import labels
from views.base import SecureModelView, own_agency_options, parse_id
from views.exports import XlsxExportMixin
from views.service.common import (
    CancelMixin,
    TotalsMixin,
    cancelled_formatter,
    level_cells,
    staff_options,
)


class RatingAgencyFilter(BaseSQLAFilter):
    """Ratings of the officers of one agency."""

    def apply(self, query, value, alias=None):
        return query.filter(
            StaffRating.staff_id.in_(
                select(user_agency.c.user_id).where(user_agency.c.agency_id == int(value))
            )
        )

    def operation(self):
        return _l("equals")

    def validate(self, value):
        return parse_id(value) is not None


class StaffRatingView(XlsxExportMixin, TotalsMixin, CancelMixin, SecureModelView):
    """Ratings from the kiosk: managers and admins read them; only admins cancel one (with a
    reason); nobody edits or deletes them."""

    read_roles = ("admin", "manager")
    create_roles = edit_roles = ()
    cancel_roles = ("admin",)
    totals_title = _l("Staff ratings")
    # "level" is a procedure's level elsewhere (Cấp thực hiện): here, how satisfied.
    column_labels = {**labels.LABELS, "level": lazy_pgettext("satisfaction", "Level")}
    column_list = ("rated_at", "staff", "level", "dossier", "channel", "cancelled_at")
    column_details_list = column_list + ("cancel_reason", "created_at")
    column_sortable_list = ("rated_at", "level", ("staff", "staff.full_name"))
    column_default_sort = ("rated_at", True)
    column_searchable_list = ("staff.search_text",)
    column_filters = (
        IntEqualFilter(StaffRating.staff_id, _l("Officer"), options=staff_options),
        RatingAgencyFilter(StaffRating.staff_id, _l("Agency"), options=own_agency_options),
        "level",
        "channel",
        "rated_at",
        "cancelled_at",
    )
    column_choices = {
        "level": labels.choices(labels.RATING_LEVELS),
        "channel": labels.choices(labels.RATING_CHANNELS),
    }
    column_formatters = {"cancelled_at": cancelled_formatter}
    simple_list_pager = True

    def get_query(self):
        return (
            super()
            .get_query()
            .options(joinedload(StaffRating.staff), joinedload(StaffRating.dossier))
        )

    def totals_tables(self, start, end, agency_ids):
        head = [
            labels.RATING_LEVELS["very_satisfied"],
            labels.RATING_LEVELS["satisfied"],
            labels.RATING_LEVELS["unsatisfied"],
            _("Total"),
        ]
        counts = ratings.rating_counts(db.session, start, end)
        return [
            {
                "title": _("By level"),
                "headers": [pgettext("satisfaction", "Level"), _("Ratings"), _("Share")],
                "rows": [
                    [
                        labels.RATING_LEVELS[k],
                        format_number(counts[k]),
                        format_percent(counts[k], counts["total"]),
                    ]
                    for k in ("very_satisfied", "satisfied", "unsatisfied")
                ],
                "foot": [_("Total"), format_number(counts["total"]), ""],
            },
            {
                "title": _("By officer"),
                "headers": [_("Officer")] + head,
                "rows": [
                    [r.label] + level_cells(r)
                    for r in ratings.rating_counts_by_officer(db.session, start, end)
                ],
            },
            {
                "title": _("By agency (of the officer)"),
                "headers": [_("Agency")] + head,
                "rows": [
                    [r.label] + level_cells(r)
                    for r in ratings.rating_counts_by_agency(db.session, start, end)
                ],
            },
        ]

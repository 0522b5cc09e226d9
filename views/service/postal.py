"""The public postal service (dịch vụ bưu chính công ích): dossiers received or returned by post."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import IntEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from domain import postal
from domain.formatting import format_number
from models import Dossier, db
from views import labels
from views.base import ALL_ROLES, AgencyScopedMixin, SecureModelView, own_agency_options
from views.exports import XlsxExportMixin
from views.service.common import TotalsMixin


class PostalDossierView(XlsxExportMixin, TotalsMixin, AgencyScopedMixin, SecureModelView):
    """Dossiers received by post or returned by post (read-only; the dossier screen changes
    them)."""

    def agency_criterion(self, agency_ids):
        return Dossier.agency_id.in_(agency_ids)

    read_roles = ALL_ROLES
    create_roles = edit_roles = ()
    totals_title = _l("Public postal service")
    column_labels = labels.LABELS
    column_list = (
        "code",
        "applicant_name",
        "agency",
        "channel",
        "accepted_at",
        "return_channel",
        "returned_at",
        "postal_tracking_no",
        "status",
    )
    column_details_list = (
        "code",
        "applicant_name",
        "address",
        "phone",
        "agency",
        "procedure",
        "channel",
        "accepted_at",
        "due_date",
        "return_channel",
        "returned_at",
        "postal_tracking_no",
        "status",
    )
    column_sortable_list = ("code", "accepted_at", "returned_at")
    column_default_sort = ("accepted_at", True)
    column_filters = (
        IntEqualFilter(Dossier.agency_id, _l("Agency"), options=own_agency_options),
        "channel",
        "return_channel",
        "accepted_at",
        "returned_at",
        "postal_tracking_no",
    )
    column_choices = {
        "channel": labels.choices(labels.CHANNELS),
        "return_channel": labels.choices(labels.RETURN_CHANNELS),
        "status": labels.choices(labels.DOSSIER_STATUSES),
    }
    simple_list_pager = True

    def get_query(self):
        return (
            super()
            .get_query()
            .filter(postal.postal_criterion())
            .options(joinedload(Dossier.agency))
        )

    def get_count_query(self):
        return super().get_count_query().filter(postal.postal_criterion())

    def totals_tables(self, start, end, agency_ids):
        rows = postal.postal_counts(db.session, start, end, agency_ids)
        return [
            {
                "title": _("Public postal service by agency"),
                "headers": [
                    _("Agency"),
                    _("Received by post"),
                    _("Returned by post"),
                    _("Returned without tracking number"),
                ],
                "rows": [
                    [
                        r.agency_name,
                        format_number(r.received_by_post),
                        format_number(r.returned_by_post),
                        format_number(r.returned_without_tracking),
                    ]
                    for r in rows
                ],
                "foot": [
                    _("Total"),
                    format_number(sum(r.received_by_post for r in rows)),
                    format_number(sum(r.returned_by_post for r in rows)),
                    format_number(sum(r.returned_without_tracking for r in rows)),
                ],
            }
        ]

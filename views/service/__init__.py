"""The center's other daily systems: payments, the staff rating kiosk, evaluation forms, feedback,
the public postal service and courier runs, one module per screen (common.py: what they share).
Rules live in domain/; these are declarations plus small hooks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models import (
    CourierRun,
    Dossier,
    EvaluationForm,
    EvaluationIndicator,
    Feedback,
    KioskDevice,
    Payment,
    StaffRating,
    db,
)
from views.service.courier import CourierRunView
from views.service.evaluation import EvaluationFormView, EvaluationIndicatorView
from views.service.feedback import FeedbackView
from views.service.payments import PaymentView
from views.service.postal import PostalDossierView
from views.service.rating_kiosk import KioskDeviceView, RatingKioskView, kiosk_bp
from views.service.ratings import StaffRatingView


def register(admin):
    category = _l("Services")
    admin.add_view(
        PaymentView(Payment, db, name=_l("Payments"), category=category, endpoint="payment")
    )
    admin.add_view(
        RatingKioskView(
            name=_l("Rating kiosk"), category=category, endpoint="rating_kiosk", url="/kiosk"
        )
    )
    admin.add_view(
        StaffRatingView(
            StaffRating, db, name=_l("Staff ratings"), category=category, endpoint="staff_rating"
        )
    )
    admin.add_view(
        KioskDeviceView(
            KioskDevice, db, name=_l("Kiosk tablets"), category=category, endpoint="kiosk_device"
        )
    )
    admin.app.register_blueprint(kiosk_bp)  # the rating screen of a tablet in kiosk mode
    admin.add_view(
        EvaluationFormView(
            EvaluationForm,
            db,
            name=_l("Evaluation forms"),
            category=category,
            endpoint="evaluation_form",
        )
    )
    admin.add_view(
        EvaluationIndicatorView(
            EvaluationIndicator,
            db,
            name=_l("Evaluation indicators"),
            category=category,
            endpoint="evaluation_indicator",
        )
    )
    admin.add_view(
        FeedbackView(Feedback, db, name=_l("Feedback"), category=category, endpoint="feedback")
    )
    admin.add_view(
        PostalDossierView(
            Dossier, db, name=_l("Public postal service"), category=category, endpoint="postal"
        )
    )
    admin.add_view(
        CourierRunView(
            CourierRun, db, name=_l("Courier runs"), category=category, endpoint="courier_run"
        )
    )

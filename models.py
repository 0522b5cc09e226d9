"""The normalized schema of design.md §2.

Time convention: business timestamps (submitted_at, accepted_at, resolved_at, paid_at, ...) are
naive local time of Asia/Ho_Chi_Minh, because the working calendar and every report count local
dates. Technical timestamps (created_at, updated_at, AuditLog.at) are naive UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets

from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    bindparam,
    delete,
    event,
    false,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from domain import catalog_codes, clock, courier_count, report_months, search_index
from domain.status import Status
from domain.text import searchable_text
from domain.usernames import normalize_username
from transactions import commit_without_waiting


class Base(DeclarativeBase):
    # Named constraints, so that migrations can alter them on SQLite and PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)


def utcnow() -> dt.datetime:
    return clock.utcnow()


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# Enumerations: stored as short English codes, labelled in views and translations.
AGENCY_KINDS = ("department", "vertical", "enterprise", "other")
PROCEDURE_LEVELS = ("province", "district", "commune")
ONLINE_LEVELS = ("none", "partial", "full")
FEE_KINDS = ("fee", "charge")  # phí, lệ phí
APPLICANT_KINDS = ("citizen", "business", "agency", "other")
CHANNELS = ("direct", "online", "postal")
RETURN_CHANNELS = ("counter", "postal", "online")
PAUSE_KINDS = ("supplement", "payment")
PAYMENT_METHODS = ("cash", "bank_transfer", "online", "other")
RATING_LEVELS = ("very_satisfied", "satisfied", "unsatisfied")
RATING_CHANNELS = ("kiosk", "portal", "app")
EVALUATION_CHANNELS = ("paper", "kiosk", "portal", "app")
FEEDBACK_CHANNELS = ("hotline", "email", "app", "portal", "direct")
FEEDBACK_STATUSES = ("new", "processing", "answered", "closed")
COURIER_SLOTS = ("10:30", "16:00")
COURIER_DIRECTIONS = ("to_agency", "to_center")
ROLES = ("admin", "staff", "manager")
DOCUMENT_KINDS = ("original", "copy", "certified_copy")
STATUS_CODES = tuple(int(s) for s in Status)  # the stored values (plain ints in the DDL)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


def clashing_value(column, fold, value: str | None, except_id=None, session=None):
    """The stored `column` of a row other than `except_id` that equals `value` (already
    normalised) once folded by `fold` (func.upper, func.lower: the expression of the column's
    unique index, which serves this look-up), else None: a form's "already taken" check."""
    if not value:
        return None
    query = select(column).where(fold(column) == value)
    if except_id is not None:
        query = query.where(column.class_.id != except_id)
    return (session or db.session).scalar(query.limit(1))


class SearchableMixin:
    """A lower-case, accent-free copy of the searchable columns, kept up to date on flush.

    One indexed column makes search identical on SQLite and PostgreSQL ("dang ky" finds "Đăng ký").
    """

    __search_fields__: tuple[str, ...] = ()
    # Phone numbers among them, also held as their digits: found whatever the spacing typed.
    __phone_fields__: tuple[str, ...] = ()
    search_text: Mapped[str] = mapped_column(Text, default="", nullable=False)

    def refresh_search_text(self) -> None:
        self.search_text = searchable_text(
            (getattr(self, f) for f in self.__search_fields__),
            (getattr(self, f) for f in self.__phone_fields__),
        )


@event.listens_for(SearchableMixin, "before_insert", propagate=True)
@event.listens_for(SearchableMixin, "before_update", propagate=True)
def _refresh_search_text(mapper, connection, target):
    target.refresh_search_text()


user_agency = Table(
    "user_agency",
    Base.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Agency(TimestampMixin, SearchableMixin, db.Model):
    __tablename__ = "agency"
    __search_fields__ = ("code", "name", "short_name", "eid_code")
    __table_args__ = (
        CheckConstraint(_in("kind", AGENCY_KINDS), name="kind"),
        Index("ix_agency_sort", "sort_order", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    eid_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="department")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    fields: Mapped[list[Field]] = relationship(back_populates="agency")
    procedures: Mapped[list[Procedure]] = relationship(back_populates="agency")

    @validates("code")
    def _code_in_capitals(self, key, value):
        return catalog_codes.agency_code(value)

    def __str__(self) -> str:
        return self.short_name or self.name


# An agency code is unique whatever the case ("stp" is STP; domain/catalog_codes.py writes it in
# capitals): the database's guard, migration 0024.
Index("uq_agency_code_any_case", func.upper(Agency.code), unique=True)


class Field(TimestampMixin, SearchableMixin, db.Model):
    __tablename__ = "field"
    __search_fields__ = ("code", "name")
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    agency: Mapped[Agency] = relationship(back_populates="fields")

    def __str__(self) -> str:
        return self.name


def _days_unless_hours(context):
    """Default of Procedure.processing_days: 0 (same day), none for a limit in hours. Without a
    statement (the admin form asking what to pre-fill): none, the clerk gives days or hours."""
    if context is None:
        return None
    return None if context.get_current_parameters().get("processing_hours") is not None else 0


class Procedure(TimestampMixin, SearchableMixin, db.Model):
    __tablename__ = "procedure"
    __search_fields__ = ("code", "name")
    __table_args__ = (
        CheckConstraint(_in("level", PROCEDURE_LEVELS), name="level"),
        CheckConstraint(_in("online_level", ONLINE_LEVELS), name="online_level"),
        CheckConstraint("processing_days >= 0", name="processing_days"),
        CheckConstraint("processing_hours > 0", name="processing_hours"),
        # The time limit is in working days or in working hours: exactly one of the two.
        CheckConstraint(
            "(processing_days IS NULL) <> (processing_hours IS NULL)", name="processing_limit"
        ),
        CheckConstraint("legacy_online_level BETWEEN 1 AND 4", name="legacy_level"),
        # The report groups its per-day counts by field and level: the catalog's side of that
        # join read from this index alone, not from the procedures' wide rows.
        Index("ix_procedure_report_group", "id", "field_id", "level"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(Text)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    field_id: Mapped[int | None] = mapped_column(ForeignKey("field.id"), index=True)
    level: Mapped[str] = mapped_column(String(16), default="province", index=True)
    # Working days (0 = same day), or NULL when the limit is in working hours (issue 13 point 4);
    # left out, it is 0 unless processing_hours is given.
    processing_days: Mapped[int | None] = mapped_column(Integer, default=_days_unless_hours)
    processing_hours: Mapped[int | None] = mapped_column(Integer)
    # A dossier accepted after this time starts its clock on the next working day (NULL: none).
    cutoff_time: Mapped[dt.time | None] = mapped_column(Time)
    online_level: Mapped[str] = mapped_column(String(16), default="none", index=True)
    legacy_online_level: Mapped[int | None] = mapped_column(Integer)
    postal_in: Mapped[bool] = mapped_column(Boolean, default=False)
    postal_out: Mapped[bool] = mapped_column(Boolean, default=False)
    four_on_spot: Mapped[bool] = mapped_column(Boolean, default=False)
    saturday_service: Mapped[bool] = mapped_column(Boolean, default=False)
    interagency: Mapped[bool] = mapped_column(Boolean, default=False)
    publication_decision: Mapped[str | None] = mapped_column(String(100))
    publication_date: Mapped[dt.date | None] = mapped_column(Date)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    required_documents: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    agency: Mapped[Agency] = relationship(back_populates="procedures")
    field: Mapped[Field | None] = relationship()
    fee_items: Mapped[list[FeeItem]] = relationship(
        back_populates="procedure", cascade="all, delete-orphan", order_by="FeeItem.id"
    )
    documents: Mapped[list[ProcedureDocument]] = relationship(
        back_populates="procedure",
        cascade="all, delete-orphan",
        order_by="ProcedureDocument.position",
    )

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class ProcedureDocument(TimestampMixin, db.Model):
    """A paper the procedure asks for (its "thành phần hồ sơ", one row each): the checklist the
    clerk ticks at intake, which becomes the dossier's received documents."""

    __tablename__ = "procedure_document"
    __table_args__ = (
        CheckConstraint(_in("kind", DOCUMENT_KINDS), name="kind"),
        CheckConstraint("copies >= 1", name="copies"),
        UniqueConstraint("procedure_id", "position", name="uq_procedure_document_position"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(
        ForeignKey("procedure.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16), default="original")
    copies: Mapped[int] = mapped_column(Integer, default=1)
    required: Mapped[bool] = mapped_column(Boolean, default=True)

    procedure: Mapped[Procedure] = relationship(back_populates="documents")

    def __str__(self) -> str:
        return self.name


class FeeItem(TimestampMixin, db.Model):
    __tablename__ = "fee_item"
    __table_args__ = (
        CheckConstraint(_in("kind", FEE_KINDS), name="kind"),
        CheckConstraint("amount_vnd >= 0", name="amount"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(
        ForeignKey("procedure.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="fee")
    name: Mapped[str] = mapped_column(String(255))
    amount_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    channel: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)

    procedure: Mapped[Procedure] = relationship(back_populates="fee_items")

    def __str__(self) -> str:
        return self.name


class User(UserMixin, TimestampMixin, SearchableMixin, db.Model):
    __tablename__ = "user"
    __search_fields__ = ("username", "full_name")
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), index=True)
    counter_no: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    agencies: Mapped[list[Agency]] = relationship(secondary=user_agency)

    @validates("username")
    def _username_in_lower_case(self, key, value):
        return normalize_username(value)

    @classmethod
    def username_owner(cls, name: str | None, except_id: int | None = None) -> str | None:
        """The stored username of another user than `except_id` that is `name` whatever the
        case ("canbo.tuphap2" for "Canbo.TuPhap2 "), else None: the check of the user screen
        and of `flask users create` (domain/usernames.py), read through the unique index on
        lower(username)."""
        return clashing_value(cls.username, func.lower, normalize_username(name), except_id)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return bool(self.active)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Each login is a UserSession row; the cookie names the user and that login ("<id>:<token>",
    # Flask-Login's user id). Deleting the row ends every copy of the cookie: logout deletes its
    # own, a new password or deactivation all of the user's (_end_sessions_on_credential_change).
    session_token = None  # the login this object was loaded for; not a column

    def get_id(self) -> str:
        if not self.session_token:
            raise RuntimeError("User.open_session() before login_user()")
        return f"{self.id}:{self.session_token}"

    def __eq__(self, other):
        # The same person whatever the login (UserMixin would compare get_id, i.e. logins).
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    __hash__ = object.__hash__

    def open_session(self) -> str:
        """Record a new login; returns its token, which only the cookie holds."""
        token = secrets.token_urlsafe(32)
        db.session.add(UserSession(id=UserSession.digest(token), user_id=self.id))
        self.session_token = token
        return token

    @classmethod
    def from_session(cls, user_id: str) -> User | None:
        """The user of a cookie's "<id>:<token>" while that login is open and the user active."""
        uid, _, token = user_id.partition(":")
        if not uid.isdigit() or not token:
            return None
        # One statement per request: the login, its user and the user's agencies (the scope of
        # every list) together; built once (its digest a parameter): building it and its cache
        # key anew was a third of the login's cost on each page.
        rows = db.session.execute(_login_statement(), {"digest": UserSession.digest(token)}).all()
        if not rows or rows[0][0].user_id != int(uid):
            return None
        record, user, _ = rows[0]
        if not user.active:
            return None
        # The agencies' ids read with the login: the scope of every list, without loading the
        # agencies themselves (User.agency_ids; the relation loads when it is asked for).
        user._agency_ids = sorted(r[2] for r in rows if r[2] is not None)
        record.seen()
        user.session_token = token
        return user

    def close_session(self) -> None:
        """Logout: this login ends on the server, for every copy of its cookie."""
        if self.session_token:
            db.session.execute(
                delete(UserSession).where(UserSession.id == UserSession.digest(self.session_token))
            )
            self.session_token = None

    @property
    def agency_ids(self) -> list[int]:
        # Read with the login (from_session) unless the agencies were loaded or changed since.
        read = self.__dict__.get("_agency_ids")
        if read is not None and "agencies" not in self.__dict__:
            return list(read)
        return sorted(a.id for a in self.agencies)

    def __str__(self) -> str:
        return self.full_name or self.username


# A username is unique whatever the case ("Canbo.TuPhap2" is canbo.tuphap2; domain/usernames.py
# writes it in lower case): the database's guard, migration 0026.
Index("uq_user_username_any_case", func.lower(User.username), unique=True)


# Dossiers resolved more than LONG_SPAN_DAYS days after their acceptance (few): the reports find
# those that span a whole period through the partial index ix_dossier_long_span, and the others
# by bounded ranges (domain/reports.py relevant_dossiers). The predicate per dialect, written
# exactly as the reports' queries write it (domain/sql.py long_span), so that the planner uses it.
LONG_SPAN_DAYS = 31
LONG_SPAN = {
    "sqlite": "resolved_at > datetime(accepted_at, '+{days} days')",
    "postgresql": "resolved_at > accepted_at + interval '{days} days'",
}
# Results that may be late (a day after the due date, or past the due moment of a limit in working
# hours): the report's list of late dossiers reads them through the partial index
# ix_dossier_late_result instead of every result of the period (domain/sql.py late_result).
# SQLite: the date as the first ten characters of the stored text, the column on the left (SQLite
# 3.40 does not match a partial index whose WHERE calls date(), nor `substr(...) > due_date`).
# The predicate of the indexes of the rows not cancelled (payments, ratings: migration 0019).
NOT_CANCELLED = "cancelled_at IS NULL"
LATE_RESULT = {
    "sqlite": "due_date < substr(resolved_at, 1, 10) OR (due_in_hours AND resolved_at > due_at)",
    "postgresql": "due_date < CAST(resolved_at AS DATE) OR (due_in_hours AND resolved_at > due_at)",
}
# A result recorded before the acceptance (bad legacy data: the report reads it as closed at the
# acceptance) is rare: the partial index ix_dossier_result_before_acceptance finds those.
RESULT_BEFORE_ACCEPTANCE = "resolved_at < accepted_at"


class Dossier(TimestampMixin, SearchableMixin, db.Model):
    __tablename__ = "dossier"
    # (migrations 0025 and 0027 wrote the texts of the rows stored before: the phone's digits,
    # the e-mail)
    __search_fields__ = (
        "code",
        "applicant_name",
        "id_number",
        "phone",
        "postal_tracking_no",
        "email",
    )
    __phone_fields__ = ("phone",)
    __table_args__ = (
        CheckConstraint(_in("status", STATUS_CODES), name="status"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("applicant_kind", APPLICANT_KINDS), name="applicant_kind"),
        CheckConstraint(
            f"return_channel IS NULL OR {_in('return_channel', RETURN_CHANNELS)}",
            name="return_channel",
        ),
        Index("ix_dossier_agency_accepted", "agency_id", "accepted_at"),
        # A procedure's dossiers by acceptance time: the intake's duplicate check (the last 30
        # minutes of a procedure that may hold a tenth of the table) and the reports per procedure.
        Index("ix_dossier_procedure_accepted", "procedure_id", "accepted_at"),
        Index("ix_dossier_status_due", "status", "due_date"),
        # The list's filters on its default sort (newest first): a status, with or without an
        # agency (staff always have theirs), reads only its rows however rare (issue 16).
        Index("ix_dossier_agency_status_accepted", "agency_id", "status", "accepted_at"),
        Index("ix_dossier_status_accepted", "status", "accepted_at"),
        CheckConstraint("NOT due_in_hours OR due_at IS NOT NULL", name="due_at"),
        Index(
            "ix_dossier_long_span",
            "resolved_at",
            "accepted_at",
            sqlite_where=text(LONG_SPAN["sqlite"].format(days=LONG_SPAN_DAYS)),
            postgresql_where=text(LONG_SPAN["postgresql"].format(days=LONG_SPAN_DAYS)),
        ),
        Index(
            "ix_dossier_late_result",
            "resolved_at",
            sqlite_where=text(LATE_RESULT["sqlite"]),
            postgresql_where=text(LATE_RESULT["postgresql"]),
        ),
        Index(
            "ix_dossier_result_before_acceptance",
            "accepted_at",
            sqlite_where=text(RESULT_BEFORE_ACCEPTANCE),
            postgresql_where=text(RESULT_BEFORE_ACCEPTANCE),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # Set at acceptance; 64: an agency's eid code (32) + date + a sequence of 4 digits or more.
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"), active_history=True)
    # The agency responsible when the dossier was received: reports stay true if the catalog moves.
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), active_history=True)
    applicant_name: Mapped[str] = mapped_column(String(255))
    applicant_kind: Mapped[str] = mapped_column(String(16), default="citizen")
    id_number: Mapped[str | None] = mapped_column(String(32), index=True)  # returning applicants
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16), default="direct", active_history=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # active_history (here and on the columns the dashboard's month figures read): the old value
    # is known at flush (domain/month_figures.py).
    accepted_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime, index=True, active_history=True
    )
    due_date: Mapped[dt.date | None] = mapped_column(Date, index=True, active_history=True)
    # The due moment (the appointment of Mẫu 01), set at acceptance from 0012 on: for a limit in
    # working hours the computed moment (due_in_hours), for a limit in days the end of the working
    # day of due_date. Pauses move it with due_date. Read it through deadlines.due_moment (which
    # also answers for older rows, where it is NULL).
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime, active_history=True)
    # The limit was counted in working hours: the result is late after due_at, not only after
    # due_date (domain/deadlines.py).
    due_in_hours: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False, active_history=True
    )
    rescheduled_due_date: Mapped[dt.date | None] = mapped_column(Date)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime, index=True, active_history=True
    )
    returned_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    return_channel: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True, active_history=True)
    status: Mapped[int] = mapped_column(Integer, default=Status.ACCEPTED, active_history=True)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    postal_tracking_no: Mapped[str | None] = mapped_column(String(64))
    # Số lượng hồ sơ (bộ) of Mẫu 01 and the register: sets of papers handed in.
    set_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    procedure: Mapped[Procedure] = relationship()
    agency: Mapped[Agency] = relationship()
    received_by: Mapped[User | None] = relationship()
    documents: Mapped[list[DossierDocument]] = relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="DossierDocument.id"
    )
    events: Mapped[list[DossierEvent]] = relationship(
        back_populates="dossier", order_by="DossierEvent.at, DossierEvent.id"
    )
    pauses: Mapped[list[DossierPause]] = relationship(
        back_populates="dossier", order_by="DossierPause.started_on"
    )
    payments: Mapped[list[Payment]] = relationship(back_populates="dossier")

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.code or f"#{self.id}"


def _table_ddl(statements):
    """A table's listener running `statements(dialect, table name)`: what the database keeps
    beside the table (an index, triggers) for a schema made by create_all."""

    def run(target, connection, **kw):
        for statement in statements(connection.dialect.name, target.name):
            connection.exec_driver_sql(statement)

    return run


# The search index of a big table (domain/search_index.py) lives outside the metadata: made by
# migration 0014, and here for a schema made by create_all (dropped with drop_all).
for _table in search_index.INDEXED_TABLES:
    _t = db.metadata.tables[_table]
    event.listen(_t, "after_create", _table_ddl(search_index.create_statements))
    event.listen(_t, "before_drop", _table_ddl(search_index.drop_statements))


class ReportCounts:
    """The report's counts, kept by day (ReportDay) and summed by month (ReportMonth)."""

    received_online: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    received_direct: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    received_postal: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    received_scanned: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    resolved_early: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    resolved_on_time: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    resolved_late: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    results: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    results_electronic: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    returned_by_post: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class ReportDay(ReportCounts, db.Model):
    """The report's counts of one day, agency (the dossier's) and procedure: dossiers received
    that day by channel and of those scanned at intake, closed that day by outcome (design
    method), resolved that day and of those with an electronic result, returned by post that
    day, fees paid that day. A period's flows are sums of its days; domain/report_days.py keeps the rows current in
    the transaction of every change (issue 16)."""

    __tablename__ = "report_day"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"), primary_key=True)
    # The payments not cancelled paid that day for the day's dossiers of the agency and
    # procedure, and their amount (the fees of the dashboard's months).
    fees_paid: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    fees_vnd: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0", nullable=False)


class ReportMonth(ReportCounts, db.Model):
    """The report's per-day counts (ReportDay) summed by month, agency and procedure: a period's
    whole months are read here, a row per procedure and month instead of one per day (issue
    16). Kept equal to the sums of report_day by triggers on it (domain/report_months.py), in
    the transaction of each change; no foreign keys (report_day's rows hold them), so a row may
    stay at zero."""

    __tablename__ = "report_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # its first day
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fees_paid: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    fees_vnd: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)


# The months' triggers on report_day (domain/report_months.py): made by migration 0022, and here
# for a schema made by create_all (dropped with drop_all). report_day comes after report_month
# in the metadata's order: created once its triggers' target exists, and emptied first (its
# rows' deletions reach the months before they are emptied in turn).
ReportDay.__table__.add_is_dependent_on(ReportMonth.__table__)
event.listen(ReportDay.__table__, "after_create", _table_ddl(report_months.create_statements))
event.listen(ReportDay.__table__, "before_drop", _table_ddl(report_months.drop_statements))


class DossierLookup(db.Model):
    """The look-up secret of a dossier (issue 15, /tra-cuu/), printed on its receipt: only its
    hash is kept (domain/lookup.py). A row of its own, not a column of the dossier: issuing one
    when the receipt is printed must not move the dossier's version under an open edit form."""

    __tablename__ = "dossier_lookup"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossier.id", ondelete="CASCADE"), unique=True
    )
    secret_hash: Mapped[str] = mapped_column(String(255))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # How many receipts were printed, hence secrets issued; the last one alone opens the page.
    issue_count: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    dossier: Mapped[Dossier] = relationship()


class DossierDocument(TimestampMixin, db.Model):
    """A paper received with the dossier (the list printed on the receipt, Mẫu 01)."""

    __tablename__ = "dossier_document"
    __table_args__ = (
        CheckConstraint(_in("kind", DOCUMENT_KINDS), name="kind"),
        CheckConstraint("copies >= 1", name="copies"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossier.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16), default="copy")
    copies: Mapped[int] = mapped_column(Integer, default=1)

    dossier: Mapped[Dossier] = relationship(back_populates="documents")

    def __str__(self) -> str:
        return self.name


FILE_MEDIA_TYPES = ("application/pdf", "image/jpeg", "image/png")
FILE_KINDS = ("scan", "result")  # a scan of the papers, or the electronic result


class StoredFile(db.Model):
    """One file content, kept once under FILES_DIR by its SHA-256 whoever attached it and how
    often (domain/files.py). The name a file came with is the attachment's, never a path."""

    __tablename__ = "stored_file"
    __table_args__ = (
        CheckConstraint(_in("media_type", FILE_MEDIA_TYPES), name="media_type"),
        CheckConstraint("size > 0", name="size"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(32))
    pages: Mapped[int | None] = mapped_column(Integer)  # PDFs
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class DossierFile(TimestampMixin, db.Model):
    """A file attached to a dossier: a scan of the dossier or of one of its received documents,
    or its electronic result. Never deleted: a wrong one is withdrawn with a reason.
    uploaded_at and withdrawn_at are business times (naive local, like accepted_at)."""

    __tablename__ = "dossier_file"
    __table_args__ = (
        CheckConstraint(_in("kind", FILE_KINDS), name="kind"),
        CheckConstraint(
            "withdrawn_at IS NULL OR withdrawn_reason IS NOT NULL", name="withdrawn_reason"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    # A received document removed from the dossier later: its scans stay on the dossier.
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossier_document.id", ondelete="SET NULL"), index=True
    )
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="scan")
    original_name: Mapped[str] = mapped_column(String(255))  # for display only
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship()
    document: Mapped[DossierDocument | None] = relationship()
    stored: Mapped[StoredFile] = relationship(lazy="joined")
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])


class DossierCounter(db.Model):
    """The per-day sequence behind dossier codes (§4): one row per receiving unit and day."""

    __tablename__ = "dossier_counter"
    unit_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class DossierEvent(db.Model):
    __tablename__ = "dossier_event"
    # The last events of a dossier in order, ties on id too (migration 0023).
    __table_args__ = (Index("ix_dossier_event_dossier_at_id", "dossier_id", "at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    from_status: Mapped[int | None] = mapped_column(Integer)
    to_status: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    from_unit: Mapped[str | None] = mapped_column(String(255))
    to_unit: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    dossier: Mapped[Dossier] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()


class DossierPause(TimestampMixin, db.Model):
    __tablename__ = "dossier_pause"
    __table_args__ = (
        CheckConstraint(_in("kind", PAUSE_KINDS), name="kind"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    # Mẫu 02: what to supplement ("Nội dung yêu cầu bổ sung"), apart from the reason ("Lý do").
    requested_items: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship(back_populates="pauses")


class Payment(TimestampMixin, db.Model):
    """Money received. Never deleted: a mistake is cancelled with a reason."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(_in("method", PAYMENT_METHODS), name="method"),
        CheckConstraint("amount_vnd > 0", name="amount"),
        Index("ix_payment_paid_at", "paid_at"),
        # The report's fees collected: a period of the payments not cancelled, covered.
        Index(
            "ix_payment_collected",
            "paid_at",
            "amount_vnd",
            "cancelled_at",
            sqlite_where=text(NOT_CANCELLED),
            postgresql_where=text(NOT_CANCELLED),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    fee_item_id: Mapped[int | None] = mapped_column(ForeignKey("fee_item.id"), index=True)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16), default="bank_transfer")
    paid_at: Mapped[dt.datetime] = mapped_column(DateTime, active_history=True)
    receipt_no: Mapped[str | None] = mapped_column(String(64))
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship(back_populates="payments")
    fee_item: Mapped[FeeItem | None] = relationship()
    collected_by: Mapped[User | None] = relationship()


class FigureMonth(db.Model):
    """A month of the dashboard's figures kept computed (domain/month_figures.py): `version`
    goes up in the same transaction as any change to a dossier or payment dated in the month;
    its rows (FigureMonthRow) hold the figures as of version `filled` (None: never computed)."""

    __tablename__ = "figure_month"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    filled: Mapped[int | None] = mapped_column(Integer)


class FigureMonthRow(db.Model):
    """One figure of one agency in one month (received:<channel>, closed, in_time, fees)."""

    __tablename__ = "figure_month_row"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    figure: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)


class OpenSnapshot(db.Model):
    """An instant of the report's period boundaries (00:00 of `day`, the 1st or the 15th) whose
    open dossiers are kept counted (domain/open_snapshots.py): `version` goes up in the same
    transaction as any change to a dossier that changes what was open then; its rows
    (OpenSnapshotRow) hold the counts as of version `filled` (None: never counted)."""

    __tablename__ = "open_snapshot"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    filled: Mapped[int | None] = mapped_column(Integer)


class OpenSnapshotRow(db.Model):
    """The dossiers of one agency (the dossier's) and procedure open at 00:00 of `day`, and of
    those the overdue ones (judged on the day before: the end of a period ending there)."""

    __tablename__ = "open_snapshot_row"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    procedure_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    open: Mapped[int] = mapped_column(Integer, nullable=False)
    overdue: Mapped[int] = mapped_column(Integer, nullable=False)


class OpenSnapshotOverdue(db.Model):
    """A dossier open and overdue at 00:00 of `day` (the pending part of the report's late list
    for a period ending the day before). No foreign key: a removed dossier makes the instant
    stale, and its rows are replaced when it is counted again."""

    __tablename__ = "open_snapshot_overdue"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class CalendarDay(TimestampMixin, db.Model):
    """An override of the default working calendar (an extra day off, a make-up Saturday)."""

    __tablename__ = "calendar_day"
    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, unique=True)
    is_working_day: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(255))

    def __str__(self) -> str:
        return self.date.strftime("%d/%m/%Y")


class CalendarYearReview(TimestampMixin, db.Model):
    """An administrator checked a year's days off and make-up days against the year's notice of
    the Ministry of Home Affairs (the `holidays` package misses official swaps)."""

    __tablename__ = "calendar_year_review"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reviewed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(255))

    reviewed_by: Mapped[User | None] = relationship()


class StaffRating(TimestampMixin, db.Model):
    __tablename__ = "staff_rating"
    __table_args__ = (
        CheckConstraint(_in("level", RATING_LEVELS), name="level"),
        CheckConstraint(_in("channel", RATING_CHANNELS), name="channel"),
        Index("ix_staff_rating_staff_at", "staff_id", "rated_at"),
        # The report's staff ratings: a period of the ratings not cancelled, covered.
        Index(
            "ix_staff_rating_counted",
            "rated_at",
            "level",
            "cancelled_at",
            sqlite_where=text(NOT_CANCELLED),
            postgresql_where=text(NOT_CANCELLED),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    rated_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    channel: Mapped[str] = mapped_column(String(16), default="kiosk")
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    staff: Mapped[User] = relationship()
    dossier: Mapped[Dossier | None] = relationship()


class EvaluationIndicator(TimestampMixin, db.Model):
    """An indicator of the evaluation form: the 9 national ones, or the 4 of the 2019 citizen
    form."""

    __tablename__ = "evaluation_indicator"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    form_set: Mapped[str] = mapped_column(String(32), index=True)  # e.g. national, citizen_2019
    name: Mapped[str] = mapped_column(Text)
    max_score: Mapped[int] = mapped_column(Integer, default=2)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class EvaluationForm(TimestampMixin, db.Model):
    __tablename__ = "evaluation_form"
    __table_args__ = (
        CheckConstraint(_in("channel", EVALUATION_CHANNELS), name="channel"),
        CheckConstraint("score >= 0 AND score <= max_score", name="score"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    form_set: Mapped[str] = mapped_column(String(32))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    channel: Mapped[str] = mapped_column(String(16), default="paper")
    # Sum of the answers, kept with the form so reports group by it without a join.
    score: Mapped[int] = mapped_column(Integer)
    max_score: Mapped[int] = mapped_column(Integer)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier | None] = relationship()
    agency: Mapped[Agency] = relationship()
    answers: Mapped[list[EvaluationAnswer]] = relationship(
        back_populates="form", cascade="all, delete-orphan"
    )


class EvaluationAnswer(db.Model):
    __tablename__ = "evaluation_answer"
    __table_args__ = (
        UniqueConstraint("form_id", "indicator_id", name="uq_evaluation_answer"),
        CheckConstraint("score BETWEEN 0 AND 2", name="score"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("evaluation_form.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("evaluation_indicator.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)

    form: Mapped[EvaluationForm] = relationship(back_populates="answers")
    indicator: Mapped[EvaluationIndicator] = relationship()


class Feedback(TimestampMixin, SearchableMixin, db.Model):
    __tablename__ = "feedback"
    __search_fields__ = ("sender", "contact", "subject", "content")
    __phone_fields__ = ("contact",)  # (migration 0027 wrote the rows before it)
    __table_args__ = (
        CheckConstraint(_in("channel", FEEDBACK_CHANNELS), name="channel"),
        CheckConstraint(_in("status", FEEDBACK_STATUSES), name="status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    sender: Mapped[str] = mapped_column(String(255))
    contact: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"), index=True)
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    agency: Mapped[Agency | None] = relationship()
    dossier: Mapped[Dossier | None] = relationship()
    handled_by: Mapped[User | None] = relationship()


class CourierRun(TimestampMixin, db.Model):
    __tablename__ = "courier_run"
    __table_args__ = (
        CheckConstraint(_in("slot", COURIER_SLOTS), name="slot"),
        CheckConstraint(_in("direction", COURIER_DIRECTIONS), name="direction"),
        UniqueConstraint("run_date", "slot", "direction", "agency_id", name="uq_courier_run"),
        # A period's runs (the report's courier figures: courier.run_counts), covered: their
        # direction and kept count read from the index, not from each run's page.
        Index("ix_courier_run_report", "run_date", "direction", "item_count"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    run_date: Mapped[dt.date] = mapped_column(Date)
    slot: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # The dossiers it carries, counted by the database's triggers on courier_item (migration
    # 0021): the report adds up its period's runs instead of joining every item. Read by SQL
    # only; an object loaded before its items changed keeps the old number.
    item_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    agency: Mapped[Agency] = relationship()
    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[CourierItem]] = relationship(
        back_populates="run", cascade="all, delete-orphan"
    )


class CourierItem(db.Model):
    __tablename__ = "courier_item"
    __table_args__ = (UniqueConstraint("run_id", "dossier_id", name="uq_courier_item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("courier_run.id", ondelete="CASCADE"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    run: Mapped[CourierRun] = relationship(back_populates="items")
    dossier: Mapped[Dossier] = relationship()


# The runs' item counts (domain/courier_count.py) are kept by triggers: made by migration 0021,
# and here for a schema made by create_all (dropped with drop_all).
event.listen(CourierItem.__table__, "after_create", _table_ddl(courier_count.create_statements))
event.listen(CourierItem.__table__, "before_drop", _table_ddl(courier_count.drop_statements))


class UserSession(db.Model):
    """One open login. The id is the SHA-256 of the token in the cookie: whoever reads this table
    (a backup, a database user) cannot open a session with it."""

    __tablename__ = "user_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)

    # last_seen_at is written at most this often (not on every request), and records unseen for
    # RETENTION are purged at the next login: their cookies expired long ago (idle timeout).
    SEEN_EVERY = dt.timedelta(minutes=10)
    RETENTION = dt.timedelta(days=7)

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def seen(self) -> None:
        now = utcnow()
        if now - self.last_seen_at >= self.SEEN_EVERY:
            # The user loader runs first thing in a request (app._record_actor): nothing of the
            # request is pending yet, so this commit holds only the timestamp. A read request
            # does not wait for SQLite's write lock for it (it is written next time instead).
            self.last_seen_at = now
            commit_without_waiting(db.session)

    @classmethod
    def purge_stale(cls) -> None:
        db.session.execute(delete(cls).where(cls.last_seen_at < utcnow() - cls.RETENTION))


@functools.cache
def _login_statement():
    """User.from_session's statement: the open login of a token's digest, its user and the
    user's agencies."""
    return (
        select(UserSession, User, user_agency.c.agency_id)
        .join(User, User.id == UserSession.user_id)
        .outerjoin(user_agency, user_agency.c.user_id == User.id)
        .where(UserSession.id == bindparam("digest"))
    )


@event.listens_for(User, "expire")
def _forget_agency_ids(user, attrs):
    """The agencies' ids read with the login are as stale as the rest of the user once expired
    (a commit): read again from the relation (User.agency_ids)."""
    if user is not None:  # (None: an object already collected, expired with its session)
        user.__dict__.pop("_agency_ids", None)


@event.listens_for(User, "before_update")
def _end_sessions_on_credential_change(mapper, connection, user):
    """A new password (after a leak) or deactivation ends all the user's sessions at once."""
    state = inspect(user)
    if state.attrs.password_hash.history.has_changes() or (
        state.attrs.active.history.has_changes() and not user.active
    ):
        connection.execute(delete(UserSession).where(UserSession.user_id == user.id))


class KioskDevice(TimestampMixin, db.Model):
    """A tablet in kiosk mode: it shows the rating screen of one counter officer and posts
    ratings, nothing else. The device keeps a random token in a cookie; only its SHA-256 is
    stored, so the table cannot be used to impersonate a device. Times are UTC."""

    __tablename__ = "kiosk_device"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)  # pushed on by use (renewal)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    officer: Mapped[User] = relationship(foreign_keys=[officer_id])
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])


class FormDraft(db.Model):
    """What was typed into a form whose session had expired, kept until its author logs in
    again and sees the form refilled (never saved by itself). Neither the CSRF token, nor
    passwords, nor files are kept. Reached by a random key (stored hashed); times are UTC."""

    __tablename__ = "form_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(255))
    fields: Mapped[list] = mapped_column(JSON)  # [[name, value], ...] in the posted order
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class FormSubmission(db.Model):
    """A create form sent once (domain/form_submissions.py): its one-time token, written in the
    same transaction as the record, and where that send led (the record's page)."""

    __tablename__ = "form_submission"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    result_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class AuditLog(db.Model):
    """Who changed what; written by the session hook in the same transaction as the change."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_table_row", "table_name", "row_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)  # UTC
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32), index=True)
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict | None] = mapped_column(JSON)

    user: Mapped[User | None] = relationship()


# ---- the queue (máy lấy số, issue 15 point 3) --------------------------------------------------

QUEUE_STATUSES = ("waiting", "called", "served", "skipped")
QUEUE_DEVICE_KINDS = ("ticket", "display")

service_group_agency = Table(
    "service_group_agency",
    Base.metadata,
    Column("group_id", ForeignKey("service_group.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True, index=True),
)

queue_counter_group = Table(
    "queue_counter_group",
    Base.metadata,
    Column("counter_id", ForeignKey("queue_counter.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "group_id", ForeignKey("service_group.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class ServiceGroup(TimestampMixin, db.Model):
    """A button of the ticket kiosk: the citizen picks it, gets <prefix>-<number of the day>."""

    __tablename__ = "service_group"
    __table_args__ = (CheckConstraint("length(prefix) BETWEEN 1 AND 3", name="prefix"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    prefix: Mapped[str] = mapped_column(String(3), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    agencies: Mapped[list[Agency]] = relationship(secondary=service_group_agency)

    def __str__(self) -> str:
        return f"{self.prefix} – {self.name}"


class QueueCounter(TimestampMixin, db.Model):
    """A counter of the hall: which groups it calls, and the clerk working at it now."""

    __tablename__ = "queue_counter"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    groups: Mapped[list[ServiceGroup]] = relationship(secondary=queue_counter_group)
    clerk: Mapped[User | None] = relationship(foreign_keys=[clerk_id])

    def __str__(self) -> str:
        return f"{self.number} – {self.name}" if self.name else self.number


class QueueDayCounter(db.Model):
    """The last number given per group and day: taken in the ticket's transaction (as
    DossierCounter), so concurrent kiosks never share a number and a rollback leaves no gap."""

    __tablename__ = "queue_day_counter"
    group_id: Mapped[int] = mapped_column(ForeignKey("service_group.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class QueueTicket(db.Model):
    """A ticket of the day. Times are naive local time (business timestamps)."""

    __tablename__ = "queue_ticket"
    __table_args__ = (
        UniqueConstraint("group_id", "day", "seq", name="uq_queue_ticket_number"),
        CheckConstraint(_in("status", QUEUE_STATUSES), name="status"),
        Index("ix_queue_ticket_waiting", "day", "status", "group_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("service_group.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime)
    first_called_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    called_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("queue_counter.id"), index=True)
    # A ticket transferred to one counter waits for that counter only.
    target_counter_id: Mapped[int | None] = mapped_column(ForeignKey("queue_counter.id"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    calls: Mapped[int] = mapped_column(Integer, default=0)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))

    group: Mapped[ServiceGroup] = relationship()
    counter: Mapped[QueueCounter | None] = relationship(foreign_keys=[counter_id])
    target_counter: Mapped[QueueCounter | None] = relationship(foreign_keys=[target_counter_id])
    clerk: Mapped[User | None] = relationship(foreign_keys=[clerk_id])
    dossier: Mapped[Dossier | None] = relationship()


class QueueDevice(TimestampMixin, db.Model):
    """A ticket kiosk or a hall display: a device token as the rating kiosk's (domain/kiosk.py),
    only its SHA-256 stored. Times are UTC."""

    __tablename__ = "queue_device"
    __table_args__ = (CheckConstraint(_in("kind", QUEUE_DEVICE_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])


NOTICE_EVENTS = (
    "accepted",
    "supplement_requested",
    "result_ready",
    "rescheduled",
    "feedback_answered",
)
NOTICE_CHANNELS = ("email", "sms", "zalo")
# queued: waiting for its time; sending: claimed by a worker; failed: will be retried at
# next_attempt_at; sent; dead: given up after NOTIFY_MAX_ATTEMPTS; skipped: no channel configured.
NOTICE_STATUSES = ("queued", "sending", "failed", "sent", "dead", "skipped")


class Notice(db.Model):
    """A notice to an applicant (issue 15 point 4), written in the same transaction as the change
    it announces (domain/notifications.py) and sent later by `flask notify send`
    (domain/notify_send.py). Not audited: a technical queue, rewritten by every attempt."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_in("event", NOTICE_EVENTS), name="event"),
        CheckConstraint(_in("channel", NOTICE_CHANNELS), name="channel"),
        CheckConstraint(_in("status", NOTICE_STATUSES), name="status"),
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(255))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"), index=True)
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"), index=True)
    # The whitelisted template variables, fixed when queued (strings: code, procedure, ...).
    context: Mapped[dict] = mapped_column(JSON)
    # The look-up secret in clear, for the acceptance notice's link, until the notice is sent or
    # given up: then it is erased (only its hash stays, in dossier_lookup).
    lookup_secret: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # local time, as business times
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # One line per attempt: when, where, the outcome.
    attempt_log: Mapped[str | None] = mapped_column(Text)
    # What was sent (rendered at sending time, the secret masked).
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier | None] = relationship()
    feedback: Mapped[Feedback | None] = relationship()

    def __str__(self) -> str:
        return f"#{self.id} {self.event} {self.channel}"


class NoticeTemplate(TimestampMixin, db.Model):
    """The Vietnamese text of a notice per event and channel, edited by admins; rendered in a
    sandbox with the whitelisted variables only (domain/notifications.py)."""

    __tablename__ = "notice_template"
    __table_args__ = (
        CheckConstraint(_in("event", NOTICE_EVENTS), name="event"),
        CheckConstraint(_in("channel", NOTICE_CHANNELS), name="channel"),
        UniqueConstraint("event", "channel", name="uq_notice_template_event_channel"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text)

    def __str__(self) -> str:
        return f"{self.event} / {self.channel}"

"""The app's own settings: every one with its default, in one place.

Each field is read from the app config key of the same name in capitals (EXPORT_MAX_ROWS), and
those marked `env` also from the environment variable of that name when the app starts
(create_app; README "Configuration" lists them). Code with a request reads them as
`current_app.settings` (app.py: built once from app.config, built again when app.config
changes, as tests do); domain functions get the values they need as arguments.
Flask's and the extensions' own keys (SECRET_KEY, PERMANENT_SESSION_LIFETIME, RATELIMIT_*,
WTF_CSRF_*, BABEL_*) stay in app.config under their own names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from domain import calendar, feedback, form_drafts, kiosk
from domain.spreadsheet_reader import Limits


def _env(default, **metadata):
    """A setting also read from the environment variable of its name."""
    return field(default=default, metadata={"env": True, **metadata})


@dataclass(frozen=True)
class Settings:
    # The receiving unit's code, the prefix of dossier codes.
    receiving_unit_code: str = _env("000.00.20.H37")
    # The reporting unit printed on the report workbook.
    reporting_unit_name: str = _env("Trung tâm Phục vụ hành chính công")
    # The unit the periodic report is filed with ("Đơn vị nhận báo cáo" of the official form).
    report_recipient: str = _env("Văn phòng Ủy ban nhân dân tỉnh")
    # The label of the official report form (docs/legal.md §5: the peers' label, unconfirmed).
    report_form_label: str = _env("Biểu số II.06a/VPCP/KSTT")
    # The printed forms (templates/forms/): the place name before the date of the act
    # ("Lạng Sơn, ngày 05 tháng 01 năm 2026"; "": dots to fill in by hand) and the phone number
    # a supplement request gives for questions ("": dots).
    place_name: str = _env("")
    center_phone: str = _env("")
    # Largest list exported to Excel (a longer list must be filtered first).
    export_max_rows: int = _env(200_000)
    # Limits for uploaded spreadsheets (imports, `flask catalog import`).
    import_max_bytes: int = _env(Limits.max_bytes)
    import_max_rows: int = _env(Limits.max_rows)
    # Attached files (domain/files.py): where they are kept (create_app: instance/files unless
    # set), and the largest one taken.
    files_dir: str | None = _env(None)
    upload_max_bytes: int = _env(20 * 1024 * 1024)
    # SQLite: how long a saving web request waits for the write lock before the "busy" page.
    sqlite_busy_timeout_ms: int = _env(5000)
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (0: none).
    trusted_proxies: int = _env(0)
    # Failed logins allowed per username and per client address (views/auth.py); one address
    # may be a whole center behind NAT, hence its higher number.
    login_limit_per_user: str = _env("10 per 15 minutes")
    login_limit_per_address: str = _env("50 per 15 minutes")
    # Failed dossier look-ups allowed per client address, page and API together, before 429
    # (views/lookup.py).
    lookup_limit_per_address: str = _env("20 per 15 minutes")
    # The address printed in the receipts' QR codes, if citizens reach the site by another name
    # than the staff's ("": this request's host).
    public_base_url: str = _env("")
    # Origins whose pages may call the open API from a browser (CORS), comma- or
    # space-separated ("": none; views/api.py).
    api_cors_origins: str = _env("")
    # PostgreSQL client programs of `flask backup` / `flask restore` (None: the ones on PATH).
    pg_dump: str | None = _env(None)
    pg_restore: str | None = _env(None)
    # Seconds browsers go HTTPS-only after a visit (0: no HSTS header; create_app sets a year
    # with APP_ENV=production).
    hsts_seconds: int = 0
    # Dossier lists count their rows up to this many ("more than N" beyond).
    list_count_limit: int = 10_000
    # How long a process keeps the lists' filter options when another process changes the
    # catalog (a change in the same process drops them at once; domain/catalog_cache.py).
    catalog_cache_seconds: float = 60
    # How long the dashboard's figures are cached per scope.
    dashboard_cache_seconds: float = 60
    # How long a form posted after the session expired is kept (domain/form_drafts.py).
    form_draft_hours: float = form_drafts.DEFAULT_HOURS
    # A kiosk credential lives this long after its last use, and at most after its start.
    kiosk_idle_hours: float = kiosk.DEFAULT_IDLE_HOURS
    kiosk_max_hours: float = kiosk.DEFAULT_MAX_HOURS
    # Working sessions of a working day, "HH:MM-HH:MM" comma-separated: where limits in working
    # hours are counted, and the end of the last one is the due time of a limit in days
    # (domain/calendar.py WorkingHours; docs/legal.md §4).
    working_hours: str = _env(str(calendar.DEFAULT_WORKING_HOURS))
    # Working days to answer a feedback.
    feedback_due_days: int = feedback.DEFAULT_DUE_DAYS
    # Tickets one ticket kiosk prints per minute at most (views/queue_devices.py): a child at the
    # touch screen cannot empty the paper roll.
    queue_tickets_per_minute: int = _env(20)
    # How long a ticket kiosk or hall display stays started (an admin ends it earlier).
    queue_device_days: float = _env(365.0)
    # Notices to applicants (domain/notify_send.py, README "Thông báo / Notifications"): a
    # channel is on when its host or URL is set; none is by default.
    smtp_host: str | None = _env(None)
    smtp_port: int = _env(25)
    smtp_user: str | None = _env(None)
    smtp_password: str | None = _env(None)
    smtp_starttls: str | None = _env(None)  # "1", "true", "yes" or "on": STARTTLS first
    smtp_from: str | None = _env(None)
    smtp_timeout: float = _env(10)  # seconds per network operation
    sms_api_url: str | None = _env(None)
    sms_api_token: str | None = _env(None)
    zalo_api_url: str | None = _env(None)
    zalo_api_token: str | None = _env(None)
    notify_http_timeout: float = _env(10)
    # Attempts before a notice is "dead"; the first retry after this many seconds, then doubling.
    notify_max_attempts: int = _env(5)
    notify_retry_seconds: float = _env(60)

    @property
    def working_hours_parsed(self) -> calendar.WorkingHours:
        return calendar.WorkingHours.parse(self.working_hours)

    @property
    def import_limits(self) -> Limits:
        return Limits(max_bytes=self.import_max_bytes, max_rows=self.import_max_rows)

    @property
    def cors_origins(self) -> frozenset[str]:
        return frozenset(
            origin.rstrip("/") for origin in re.split(r"[\s,]+", self.api_cors_origins) if origin
        )

    @classmethod
    def from_config(cls, config: Mapping) -> Settings:
        """The settings of an app config (a missing key keeps its default); a value of the wrong
        type (e.g. "abc" for a number) raises ValueError."""
        return cls(
            **{
                f.name: _convert(f, config[f.name.upper()])
                for f in fields(cls)
                if f.name.upper() in config
            }
        )

    @classmethod
    def config_from_environ(cls, environ: Mapping[str, str]) -> dict:
        """Config keys of every `env` setting: the environment's value, else the default."""
        defaults = cls()
        return {
            f.name.upper(): _convert(f, environ[f.name.upper()])
            if f.name.upper() in environ
            else getattr(defaults, f.name)
            for f in fields(cls)
            if f.metadata.get("env")
        }


_TYPES = {"int": int, "float": float, "str": str, "str | None": str}


def _convert(setting, value):
    if setting.type == "str | None" and value in (None, ""):
        return None
    return _TYPES[setting.type](value)

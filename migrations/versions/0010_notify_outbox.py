"""outbox of notices to applicants and their editable templates (issue 15 point 4)

Revision ID: 0010_notify
Revises: 0009_intake
Create Date: 2026-11-30 03:10:00

"""

import datetime as dt
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_notify"
down_revision = "0009_intake"
branch_labels = None
depends_on = None

EVENTS = ("accepted", "supplement_requested", "result_ready", "rescheduled", "feedback_answered")
CHANNELS = ("email", "sms", "zalo")
STATUSES = ("queued", "sending", "failed", "sent", "dead", "skipped")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("feedback_id", sa.Integer(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("lookup_secret", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attempt_log", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("event", EVENTS), name=op.f("ck_outbox_event")),
        sa.CheckConstraint(_in("channel", CHANNELS), name=op.f("ck_outbox_channel")),
        sa.CheckConstraint(_in("status", STATUSES), name=op.f("ck_outbox_status")),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_outbox_dossier_id_dossier")
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_outbox_feedback_id_feedback")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_status_due", "outbox", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_outbox_status"), "outbox", ["status"])
    op.create_index(op.f("ix_outbox_dossier_id"), "outbox", ["dossier_id"])
    op.create_index(op.f("ix_outbox_feedback_id"), "outbox", ["feedback_id"])
    template = op.create_table(
        "notice_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in("event", EVENTS), name=op.f("ck_notice_template_event")),
        sa.CheckConstraint(_in("channel", CHANNELS), name=op.f("ck_notice_template_channel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_template")),
        sa.UniqueConstraint("event", "channel", name="uq_notice_template_event_channel"),
    )
    # The default Vietnamese texts, as domain/notifications.py has them today.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from domain.notifications import DEFAULT_TEMPLATES

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    op.bulk_insert(
        template,
        [
            {
                "event": event,
                "channel": channel,
                "subject": subject,
                "body": body,
                "created_at": now,
                "updated_at": now,
            }
            for (event, channel), (subject, body) in DEFAULT_TEMPLATES.items()
        ],
    )


def downgrade():
    op.drop_table("notice_template")
    op.drop_index(op.f("ix_outbox_feedback_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_dossier_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_status"), table_name="outbox")
    op.drop_index("ix_outbox_status_due", table_name="outbox")
    op.drop_table("outbox")

"""Stale edit forms (issue 11: no submitted work silently overwritten). Two colleagues open the
same record; the first saves; the second's form, shown before that save, is refused with a
message and the form kept — the first one's work stays. Dossiers have their version column
(tests/views/test_dossiers.py); every other edit screen compares the row's last change."""

import datetime as dt

from sqlalchemy import select

from models import Agency, Feedback, Procedure, db
from tests.browser_forms import open_form
from tests.factories import login

STALE = "Bản ghi này đã được sửa sau khi bạn mở trang"


def _feedback(app) -> int:
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        row = Feedback(
            channel="hotline",
            received_at=dt.datetime(2019, 3, 1, 16),
            sender="Trần Văn Én",
            subject="Hỏi về lệ phí",
            content="Xin hỏi",
            agency=agency,
            due_date=dt.date(2019, 3, 15),
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def test_a_stale_feedback_answer_does_not_overwrite_a_colleagues(app, users):
    feedback_id = _feedback(app)
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        assert login(client, users["staff"]).status_code == 302
    url = f"/feedback/edit/?id={feedback_id}"
    mine, theirs = open_form(first, url), open_form(second, url)
    mine.set("answer", "Đã trả lời qua điện thoại")
    mine.set("status", "answered")
    mine.set("answered_at", "2019-03-05 10:00:00")
    assert mine.submit(first).status_code == 302
    theirs.set("answer", "Trả lời khác")
    refused = theirs.submit(second)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and STALE in page
    assert "Trả lời khác" in page  # what they typed is still in the form
    with app.app_context():
        assert db.session.get(Feedback, feedback_id).answer == "Đã trả lời qua điện thoại"
    # Reloaded, the form shows the first answer and saves.
    again = open_form(second, url)
    again.set("content", "Xin hỏi (bổ sung)")
    assert again.submit(second).status_code == 302
    with app.app_context():
        row = db.session.get(Feedback, feedback_id)
        assert (row.answer, row.content) == ("Đã trả lời qua điện thoại", "Xin hỏi (bổ sung)")


def test_a_form_sent_again_after_its_save_is_refused_a_fresh_one_saves(app, users, login_as):
    """The browser's "resend" of an edit: refused (the row changed since the page was shown),
    nothing lost; the page opened again saves, changed or not."""
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        proc = Procedure(code="1.000001", name="Cấp đổi", agency=agency, processing_days=5)
        db.session.add(proc)
        db.session.commit()
        proc_id = proc.id
    client = login_as("admin")
    form = open_form(client, f"/procedure/edit/?id={proc_id}")
    assert form.get("form_seen")
    form.set("name", "Cấp đổi giấy phép")
    assert form.submit(client).status_code == 302
    stale = form.submit(client)  # the same page sent again: its own save is the change
    assert STALE in stale.get_data(as_text=True)
    fresh = open_form(client, f"/procedure/edit/?id={proc_id}")
    assert fresh.submit(client).status_code == 302  # nothing changed: saved, nothing refused

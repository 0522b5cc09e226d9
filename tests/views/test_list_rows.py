"""The rows of the lists written by the view (views/list_rows.py) are the rows Flask-Admin's
template writes (admin/model/list.html, block list_row): on every list screen, for every role,
the same HTML but for the whitespace between tags."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from domain import lifecycle as lc
from models import Dossier, Procedure, User, db
from tests.generic.test_access import _sample_ids
from views.base import SecureModelView


def _same_page(html: str) -> str:
    """The page as a browser reads it: whitespace runs as one space; the per-request nonces and
    CSRF tokens left out."""
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', html)
    html = re.sub(r"(&#34;csrf&#34;: &#34;)[^&]*(&#34;)", r"\1\2", html)
    return re.sub(r"\s+", " ", html)


@pytest.mark.parametrize("role", ["admin", "staff", "manager"])
def test_every_list_writes_the_rows_the_template_writes(app, client, login_as, role):
    _sample_ids(app)
    with app.app_context():
        # Text that must be escaped, a code linked to its dossier, an overdue badge, a
        # procedure name shortened with its whole name on hover.
        staff = db.session.scalar(select(User).where(User.role == "staff"))
        procedure = db.session.scalar(select(Procedure).where(Procedure.code == "1.000001"))
        procedure.name = 'Thủ tục <b>"đặc biệt"</b> & ' + "rất dài " * 12
        dossier = Dossier(procedure=procedure, applicant_name='<script>alert("x")</script> & Tý')
        lc.accept_dossier(db.session, dossier, staff, dt.datetime(2019, 3, 4, 9), "000.00.20.H37")
        db.session.commit()
    login_as(role)
    views = [v for v in app.extensions["admin"][0]._views if isinstance(v, SecureModelView)]
    compared = []
    for view in views:
        url = f"{view.url}/"
        fast = client.get(url)
        if fast.status_code != 200:  # not this role's screen
            continue
        view.list_rows_in_python = False
        try:
            slow = client.get(url)
        finally:
            del view.list_rows_in_python
        fast_html, slow_html = fast.get_data(as_text=True), slow.get_data(as_text=True)
        assert _same_page(fast_html) == _same_page(slow_html), url
        if fast_html != slow_html:  # the view wrote the rows (in fewer spaces)
            compared.append(view.endpoint)
    assert "dossier" in compared and "payment" in compared, compared
    page = client.get("/dossier/").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Tý" in page
    assert "<script>alert" not in page

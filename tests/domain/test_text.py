"""Search ignores case and diacritics, on SQLite and PostgreSQL alike."""

from domain.text import normalize_search
from models import Agency, Procedure, db
from tests.factories import create_agency


def test_normalize():
    assert normalize_search("Giấy phép LÁI XE") == "giay phep lai xe"
    assert normalize_search("Đăng ký  kinh doanh") == "dang ky kinh doanh"
    assert normalize_search(None) == ""


def _catalog(app):

    with app.app_context():
        agency = db.session.query(Agency).filter_by(code="SGTVT").first() or create_agency()
        db.session.add_all(
            [
                Procedure(code="1.002809", name="Cấp lại Giấy phép lái xe", agency=agency),
                Procedure(code="2.000488", name="Đăng ký kinh doanh hộ gia đình", agency=agency),
                Procedure(code="1.000002", name="Cấp giấy phép xây dựng", agency=agency),
            ]
        )
        db.session.commit()


def _listed(client, term):
    page = client.get("/procedure/", query_string={"search": term}).data.decode()
    return {code for code in ("1.002809", "2.000488", "1.000002") if code in page}


def test_list_search_is_accent_and_case_insensitive(app, client, login_as):
    _catalog(app)
    login_as("staff")
    assert _listed(client, "giay phep lai xe") == {"1.002809"}
    assert _listed(client, "GIẤY PHÉP") == {"1.002809", "1.000002"}
    assert _listed(client, "dang ky") == {"2.000488"}
    assert _listed(client, "Đăng Ký") == {"2.000488"}
    assert _listed(client, "1.002809") == {"1.002809"}
    assert _listed(client, "khong co") == set()


def test_search_text_follows_edits(app):
    _catalog(app)
    with app.app_context():
        proc = db.session.query(Procedure).filter_by(code="1.000002").one()
        proc.name = "Điều chỉnh giấy phép"
        db.session.commit()
        assert db.session.get(Procedure, proc.id).search_text == "1.000002 dieu chinh giay phep"


def test_ajax_picker_is_accent_insensitive(app, client, login_as):
    _catalog(app)
    login_as("admin")
    response = client.get(
        "/procedure/ajax/lookup/", query_string={"name": "agency", "query": "giao thong"}
    )
    assert response.status_code == 200
    assert (
        "Sở Giao thông vận tải" in response.get_data(as_text=True)
        or "Giao thông" in response.json[0][1]
    )


def test_ajax_picker_refuses_a_choice_it_does_not_offer(app, client, login_as):
    """A forged id of an inactive agency in the POST body is refused, nothing is written."""

    login_as("admin")
    with app.app_context():
        closed = Agency(code="OLD", name="Cơ quan đã giải thể", active=False)
        db.session.add(closed)
        db.session.commit()
        closed_id = closed.id
    response = client.post(
        "/procedure/new/",
        data={
            "code": "1.000777",
            "name": "Thủ tục",
            "agency": str(closed_id),
            "level": "province",
            "online_level": "none",
            "processing_days": "1",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    with app.app_context():
        assert db.session.query(Procedure).filter_by(code="1.000777").count() == 0

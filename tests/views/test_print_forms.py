"""The printed forms (Mẫu 01–05) as Chromium prints them on A4: Mẫu 01 is one copy per sheet with
the documents listed, every form fits its page, the fonts are Times New Roman or a metric
twin, and the wording of the official forms (Kính gửi, the signers) is right."""

import datetime as dt
import io
import os

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from domain import lifecycle as lc
from domain.status import Status
from models import Agency, Dossier, DossierDocument, Procedure, User, db
from tests import forms_data

pytestmark = pytest.mark.browser

UNIT = "000.00.20.H37"
# Times New Roman or the fonts made with its metrics: the layout measured here is the layout
# printed on a plain Windows (Times New Roman) or Debian (fonts-liberation) machine.
METRIC_COMPATIBLE = {"Times New Roman", "Liberation Serif", "Tinos"}
SHOTS = os.environ.get("PRINT_SHOTS")  # a directory: keep the PDFs there to look at

# Long, real-looking lines: what a receipt carries on a busy day.
DOCUMENTS = [
    (
        "Đơn đề nghị cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác "
        "gắn liền với đất (Mẫu số 04a/ĐK)",
        "original",
        1,
    ),
    ("Bản sao Căn cước công dân của người sử dụng đất và của vợ hoặc chồng", "certified_copy", 2),
    ("Bản sao sổ hộ khẩu hoặc giấy xác nhận thông tin về cư trú", "copy", 1),
    ("Hợp đồng chuyển nhượng quyền sử dụng đất đã được công chứng", "original", 2),
    ("Giấy chứng nhận quyền sử dụng đất đã cấp (bản gốc)", "original", 1),
    ("Tờ khai lệ phí trước bạ nhà, đất (Mẫu số 01/LPTB)", "original", 2),
    ("Tờ khai thuế thu nhập cá nhân đối với chuyển nhượng bất động sản", "original", 2),
    ("Trích lục bản đồ địa chính thửa đất", "copy", 1),
    ("Văn bản ủy quyền có chứng thực (nếu nộp thay)", "certified_copy", 1),
    ("Giấy tờ chứng minh thuộc đối tượng được miễn, giảm nghĩa vụ tài chính", "copy", 1),
]


@pytest.fixture
def dossiers(app, users):
    """Dossiers with every form to print: receipts with 0 and 10 documents, a refusal (03), a
    rescheduled dossier (02, 04, 05)."""
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        staff = db.session.scalar(select(User).where(User.username == "staff1"))
        staff.full_name = "Hoàng Thị Phương Thảo"
        procedure = Procedure(
            code="1.004227",
            agency=agency,
            processing_days=30,
            name="Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất "
            "trong các trường hợp chuyển đổi, chuyển nhượng, cho thuê, cho thuê lại, "
            "thừa kế, tặng cho, góp vốn bằng quyền sử dụng đất",
        )
        db.session.add(procedure)
        db.session.flush()

        def new(name, documents=()):
            d = Dossier(
                procedure=procedure,
                applicant_name=name,
                phone="0205 3871 234",
                email="nguyen.van.a.langson@example.com",
                return_channel="postal",
                address="Số 125 đường Bà Triệu, khối 7, phường Vĩnh Trại, thành phố "
                "Lạng Sơn, tỉnh Lạng Sơn",
            )
            d.documents = [DossierDocument(name=n, kind=k, copies=c) for n, k, c in documents]
            lc.accept_dossier(db.session, d, staff, dt.datetime(2019, 12, 30, 15, 30), UNIT)
            return d

        empty = new("Nguyễn Văn Thành Trung")
        full = new("Hoàng Văn Bảo Long", DOCUMENTS)
        late = new("Lương Thị Minh Nguyệt", DOCUMENTS[:3])
        at = dt.datetime(2020, 1, 2, 9)
        lc.transition(db.session, late, "transfer", staff, at)
        lc.transition(
            db.session,
            late,
            "request_supplement",
            staff,
            at,
            reason="Bổ sung bản sao có chứng thực hợp đồng chuyển nhượng",
        )
        lc.transition(db.session, late, "supplement_received", staff, at + dt.timedelta(days=1))
        lc.transition(
            db.session,
            late,
            "reschedule",
            staff,
            at + dt.timedelta(days=2),
            reason="Chờ ý kiến của Chi cục Thuế về nghĩa vụ tài chính",
            new_due_date=dt.date(2020, 3, 16),
        )
        refused = Dossier(
            procedure=procedure,
            agency_id=agency.id,
            status=Status.SUBMITTED,
            applicant_name="Vi Thị Hồng Nhung",
            channel="online",
        )
        db.session.add(refused)
        db.session.flush()
        lc.transition(
            db.session,
            refused,
            "refuse",
            staff,
            at,
            reason="Thủ tục không thuộc thẩm quyền giải quyết của cấp tỉnh",
        )
        db.session.commit()
        return {"empty": empty.id, "full": full.id, "late": late.id, "refused": refused.id}


def _login(page, live_server, username="staff1"):
    page.goto(f"{live_server}/login")
    page.fill("#username", username)
    page.fill("#password", "correct horse 42")
    page.click("#login-button")
    page.wait_for_url(f"{live_server}/")


def _pdf(page, live_server, form_no, dossier_id, name):
    page.goto(f"{live_server}/dossier/print/{form_no}/?id={dossier_id}")
    pdf = page.pdf(format="A4")
    if SHOTS:
        with open(os.path.join(SHOTS, f"print-mau{form_no}-{name}.pdf"), "wb") as fh:
            fh.write(pdf)
    return PdfReader(io.BytesIO(pdf))


def _text(reader):
    return [p.extract_text() for p in reader.pages]


def test_receipt_prints_one_copy_per_a4_sheet(live_server, page, dossiers):
    _login(page, live_server)
    for name, count in (("empty", 0), ("full", 10)):
        reader = _pdf(page, live_server, "01", dossiers[name], name)
        pages = _text(reader)
        assert len(pages) == 2, f"Mẫu 01 with {count} documents: {len(pages)} pages"
        # Each sheet is one whole copy: from its heading down to both signatures.
        for sheet, copy in zip(pages, ("Liên giao người nộp hồ sơ", "Liên lưu tại Trung tâm")):
            flat = " ".join(sheet.split())
            assert copy in flat
            assert "NGƯỜI NỘP HỒ SƠ" in flat and "NGƯỜI TIẾP NHẬN HỒ SƠ" in flat
            assert "Hoàng Thị Phương Thảo" in flat
            if count:
                assert "Giấy tờ chứng minh thuộc đối tượng" in flat  # the 10th document


def test_every_form_fits_its_page(live_server, page, dossiers):
    _login(page, live_server)
    for form_no, name in (("02", "late"), ("03", "refused"), ("04", "late"), ("05", "late")):
        reader = _pdf(page, live_server, form_no, dossiers[name], name)
        assert len(reader.pages) == 1, f"Mẫu {form_no}: {len(reader.pages)} pages"


def test_forms_print_in_times_new_roman_or_a_metric_twin(live_server, page, dossiers):
    """The page sizes above hold for the fonts a center has: fail loudly when the machine has
    none of them (Chromium would fall back to another serif with other widths)."""
    _login(page, live_server)
    page.goto(f"{live_server}/dossier/print/01/?id={dossiers['full']}")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    used = set()
    for selector in ("h1", ".copy", "table.grid td", ".signatures b"):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        used |= {f["familyName"] for f in fonts}
    assert used and used <= METRIC_COMPATIBLE, (
        f"printed with {sorted(used)}: install Times New Roman or a metric-compatible font "
        "(Debian 12: apt-get install fonts-liberation2; see .ci/run)"
    )
    families = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Liberation Serif" in families and "Tinos" in families  # declared, not left to luck


def test_apology_is_addressed_kinh_gui_and_refusal_signed_by_the_receiving_officer(
    live_server, page, dossiers
):
    _login(page, live_server)
    page.goto(f"{live_server}/dossier/print/04/?id={dossiers['late']}")
    text = page.inner_text("body")
    assert "Kính gửi: Lương Thị Minh Nguyệt" in text
    assert "Đến ngày" not in text
    page.goto(f"{live_server}/dossier/print/03/?id={dossiers['refused']}")
    text = page.inner_text("body")
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text and "NGƯỜI HƯỚNG DẪN" not in text
    page.goto(f"{live_server}/dossier/print/02/?id={dossiers['late']}")
    assert "NGƯỜI HƯỚNG DẪN" in page.inner_text("body")  # Mẫu 02 keeps its own signer


@pytest.fixture
def forms_2025(app, users):
    """Dossiers accepted in 2026 with every form of the 2025 set (tests/forms_data.py)."""

    with app.app_context():
        return forms_data.build(2026)


def test_every_2025_form_fits_its_page(live_server, page, forms_2025):
    """The 2025 set in Chromium: Mẫu 01 one copy per A4 sheet, every other form one sheet, each
    with its number, title and legal basis at the foot of the sheet."""
    _login(page, live_server)
    reader = _pdf(page, live_server, "01", forms_2025["full"], "2025-full")
    pages = _text(reader)
    assert len(pages) == 2, f"Mẫu 01 (2025): {len(pages)} pages"
    for sheet in pages:
        flat = " ".join(sheet.split())
        assert "Mẫu số 01" in flat and "NGƯỜI TIẾP NHẬN HỒ SƠ" in flat
        assert flat.endswith("Thông tư số 03/2025/TT-VPCP ngày 15/9/2025 của Văn phòng Chính phủ")
    for kind, name, number, title in (
        ("02", "late", "02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
        ("02", "intake", "02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
        ("03", "refused", "03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"),
        ("04", "late", "04", "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"),
        ("stop", "stopped", "05", "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ"),
        ("05", "late", "06", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"),
    ):
        reader = _pdf(page, live_server, kind, forms_2025[name], f"2025-{name}")
        assert len(reader.pages) == 1, f"Mẫu {number} (2025): {len(reader.pages)} pages"
        flat = " ".join(_text(reader)[0].split())
        assert f"Mẫu số {number}" in flat and title in flat, (kind, flat[:400])
        assert "03/2025/TT-VPCP" in flat

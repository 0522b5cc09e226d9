"""A small public catalog for the tests of /thu-tuc/ and /api/v1/: two agencies with their
fields, procedures that differ in every filter, one inactive procedure and one of an inactive
agency (both must stay invisible), and a staff user whose name must never appear."""

from __future__ import annotations

import datetime as dt

from models import PROCEDURE_LEVELS, Agency, FeeItem, Field, Procedure, User, db
from tests.factories import create_agency, create_user

FIRST_LEVEL, LAST_LEVEL = PROCEDURE_LEVELS[0], PROCEDURE_LEVELS[-1]
STAFF_NAME = "Nguyễn Thị Cán Bộ Nội Bộ"

DRIVING_NEW = "1.004616"
DRIVING_RENEW = "1.002809"
BIRTH = "2.000528"
COMPANY = "1.001612"
INACTIVE = "1.000001"
OF_INACTIVE_AGENCY = "1.000002"
PUBLIC_CODES = {DRIVING_NEW, DRIVING_RENEW, BIRTH, COMPANY}


def procedure(code, name, agency, field=None, **kw) -> Procedure:
    row = Procedure(
        code=code, name=name, agency=agency, field=field, level=kw.pop("level", FIRST_LEVEL), **kw
    )
    db.session.add(row)
    return row


def build_catalog() -> dict:
    """Inside an app context; commits."""
    transport = db.session.query(Agency).filter_by(code="SGTVT").one_or_none() or create_agency(
        sort_order=1
    )
    justice = db.session.query(Agency).filter_by(code="STP").one_or_none() or create_agency(
        code="STP", name="Sở Tư pháp", sort_order=2
    )
    planning = create_agency(code="SKHDT", name="Sở Kế hoạch và Đầu tư", sort_order=3)
    closed = create_agency(code="SCU", name="Sở Đã Giải Thể", active=False, sort_order=4)
    roads = Field(code="SGTVT-DB", name="Đường bộ", agency=transport)
    civil = Field(code="STP-HT", name="Hộ tịch", agency=justice)
    business = Field(code="SKHDT-DN", name="Thành lập và hoạt động doanh nghiệp", agency=planning)
    db.session.add_all([roads, civil, business])

    new = procedure(
        DRIVING_NEW,
        "Cấp mới giấy phép lái xe",
        transport,
        roads,
        processing_days=7,
        online_level="partial",
        postal_in=True,
        postal_out=True,
        saturday_service=True,
        required_documents="Đơn đề nghị cấp giấy phép lái xe; Giấy khám sức khỏe của người "
        "lái xe\nBản sao căn cước",
        result="Giấy phép lái xe",
        legal_basis="Luật Trật tự, an toàn giao thông đường bộ 2024",
        publication_decision="1234/QĐ-UBND",
        publication_date=dt.date(2025, 7, 15),
    )
    new.fee_items.append(
        FeeItem(kind="charge", name="Lệ phí cấp giấy phép lái xe", amount_vnd=135000)
    )
    new.fee_items.append(
        FeeItem(kind="fee", name="Phí sát hạch lý thuyết", amount_vnd=0, note="Theo hạng xe")
    )
    procedure(
        DRIVING_RENEW,
        "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp",
        transport,
        roads,
        processing_days=5,
        online_level="full",
        four_on_spot=True,
    )
    procedure(
        BIRTH,
        "Đăng ký khai sinh",
        justice,
        civil,
        processing_days=0,
        level=LAST_LEVEL,
        postal_out=True,
        interagency=True,
    )
    procedure(
        COMPANY,
        "Đăng ký thành lập doanh nghiệp tư nhân",
        planning,
        business,
        processing_days=3,
        online_level="full",
        four_on_spot=True,
        saturday_service=True,
    )
    procedure(
        INACTIVE, "Cấp lại giấy phép lái xe quốc tế (đã bãi bỏ)", transport, roads, active=False
    )
    procedure(OF_INACTIVE_AGENCY, "Giấy phép lái xe của sở đã giải thể", closed)
    create_user("staff_public", "staff", [transport])
    db.session.query(User).filter_by(username="staff_public").one().full_name = STAFF_NAME
    db.session.commit()
    return {"transport": transport.id}


def add_many(count: int, agency_code: str = "SGTVT", start: int = 100000) -> list[str]:
    """`count` more active procedures of the agency, codes 3.<start>…; their codes."""
    agency = db.session.query(Agency).filter_by(code=agency_code).one()
    codes = [f"3.{start + i:06d}" for i in range(count)]
    db.session.add_all(
        [
            Procedure(
                code=code, name=f"Thủ tục thử nghiệm số {i}", agency=agency, level=FIRST_LEVEL
            )
            for i, code in enumerate(codes)
        ]
    )
    db.session.commit()
    return codes

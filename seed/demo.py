"""The demo data set. A small catalog for now; the full 2019 data set of design §9 replaces it."""
from __future__ import annotations

from models import Agency, FeeItem, Field, Procedure, User

DEMO_PASSWORD = "demo1234"  # demo data only; real users are created with `flask users create`


def load_demo(session) -> list[tuple[str, str, str]]:
    gtvt = Agency(code="SGTVT", eid_code="000.00.20.H37", name="Sở Giao thông vận tải",
                  short_name="Giao thông vận tải", kind="department", sort_order=1)
    tp = Agency(code="STP", name="Sở Tư pháp", short_name="Tư pháp", kind="department",
                sort_order=2)
    session.add_all([gtvt, tp])
    road = Field(code="GTVT-DB", name="Đường bộ", agency=gtvt)
    justice = Field(code="TP-LLTP", name="Lý lịch tư pháp", agency=tp)
    session.add_all([road, justice])
    session.add_all([
        Procedure(code="1.002809", name="Cấp lại Giấy phép lái xe", agency=gtvt, field=road,
                  processing_days=5, online_level="full", postal_in=True, postal_out=True,
                  fee_items=[FeeItem(kind="charge", name="Lệ phí cấp GPLX", amount_vnd=135000)]),
        Procedure(code="1.002804", name="Đổi Giấy phép lái xe do ngành Giao thông vận tải cấp",
                  agency=gtvt, field=road, processing_days=5, online_level="partial",
                  saturday_service=True,
                  fee_items=[FeeItem(kind="charge", name="Lệ phí đổi GPLX", amount_vnd=135000)]),
        Procedure(code="2.000488", name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
                  agency=tp, field=justice, processing_days=10, online_level="full",
                  fee_items=[FeeItem(kind="fee", name="Phí cung cấp thông tin lý lịch tư pháp",
                                     amount_vnd=200000)]),
    ])
    logins = []
    for username, role, full_name, agencies in (
            ("admin", "admin", "Quản trị hệ thống", []),
            ("canbo", "staff", "Nguyễn Thị Hoa", [gtvt]),
            ("lanhdao", "manager", "Hoàng Văn Minh", [])):
        user = User(username=username, role=role, full_name=full_name, agencies=agencies)
        user.set_password(DEMO_PASSWORD)
        session.add(user)
        logins.append((username, role, DEMO_PASSWORD))
    return logins

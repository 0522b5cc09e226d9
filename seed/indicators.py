"""Evaluation indicators (design §2): the 9 national ones (0–2 points each, 18 in all) and the
4-indicator citizen form scored out of 8 that the center used in 2019. Indicators are data; this
module only makes sure the rows exist (looked up by code, inserted when absent)."""
from __future__ import annotations

from sqlalchemy import insert, select

from models import EvaluationIndicator

# code, form set, name, max score, sort order
INDICATORS = [  # the same codes and names as domain/evaluation.py (issue 4) uses
    ("QG01", "national", "Tổng thời gian giải quyết TTHC so với thời gian tối đa theo quy "
                         "định", 2, 1),
    ("QG02", "national", "Thời gian thực hiện của từng cơ quan, đơn vị tham gia giải quyết", 2, 2),
    ("QG03", "national", "Số lần phải liên hệ với nơi tiếp nhận hồ sơ để hoàn thiện hồ sơ", 2, 3),
    ("QG04", "national", "Số lượng cơ quan, đơn vị, tổ chức phải liên hệ để hoàn thiện hồ "
                         "sơ", 2, 4),
    ("QG05", "national", "Tiếp nhận, giải quyết hồ sơ qua dịch vụ công trực tuyến, bưu chính "
                         "công ích", 2, 5),
    ("QG06", "national", "Công khai thủ tục hành chính theo quy định", 2, 6),
    ("QG07", "national", "Thái độ của cán bộ, công chức, viên chức khi hướng dẫn, tiếp nhận, "
                         "giải quyết hồ sơ", 2, 7),
    ("QG08", "national", "Tiếp thu, giải trình ý kiến phản ánh, kiến nghị của tổ chức, cá "
                         "nhân", 2, 8),
    ("QG09", "national", "Mức độ hài lòng của tổ chức, cá nhân về kết quả giải quyết TTHC", 2, 9),
    ("CD01", "citizen_2019", "Tổng thời gian giải quyết so với thời gian hẹn trả kết quả", 2, 1),
    ("CD02", "citizen_2019", "Số lần phải liên hệ để hoàn thiện hồ sơ", 2, 2),
    ("CD03", "citizen_2019", "Số cơ quan, đơn vị phải liên hệ", 2, 3),
    ("CD04", "citizen_2019", "Thái độ của cán bộ tiếp nhận, trả kết quả", 2, 4),
]


def seed_indicators(session, created_at=None) -> dict[str, int]:
    """Insert the indicators missing by code; returns {code: id} for all of them."""
    table = EvaluationIndicator.__table__
    existing = dict(session.execute(select(table.c.code, table.c.id)).all())
    rows = []
    for code, form_set, name, max_score, sort_order in INDICATORS:
        if code in existing:
            continue
        row = {"code": code, "form_set": form_set, "name": name, "max_score": max_score,
               "sort_order": sort_order, "active": True}
        if created_at is not None:
            row.update(created_at=created_at, updated_at=created_at)
        rows.append(row)
    if rows:
        session.execute(insert(table), rows)
    return dict(session.execute(select(table.c.code, table.c.id)).all())

"""The report of design §6 as an .xlsx workbook (xlsxwriter), ready to print.

Sheet "Biểu mẫu" (first) is the official form as filed: rows by field grouped by level, columns
(1)–(13) of the peers' rendering of TT 01/2020 (docs/legal.md §5), the header with the reporting
and the receiving unit, the form label (REPORT_FORM_LABEL) and the counting method. Sheet
"Hồ sơ trễ hạn" lists the late dossiers of the period.

Sheet "06a" follows the official form on dossier resolution (Circular 01/2020/TT-VPCP): title,
reporting unit, "Từ ngày … đến ngày …", two header levels with merged cells and the column
numbers (1)–(13), one row per agency (and its fields when the report has them), a total row.
Then a summary in the words of the centre's annual report (ending with the digitisation figures:
scanned at intake, electronic results), one sheet each for fees, staff
ratings, evaluation forms, feedback, the public postal service and the courier runs, and the
digitisation figures per agency (Decision 766, group 4).

The texts are Vietnamese whatever the screen language: this is the statutory form as filed.
Numbers are numbers ('#,##0', shown 3.233.081.572 by a Vietnamese spreadsheet), shares are
fractions formatted '0.00%' (97,60%), dates are dates (dd/mm/yyyy)."""

from __future__ import annotations

import datetime as dt

from domain import clock
from domain.formatting import NO_SHARE, share
from domain.reports import ROW_KEYS
from domain.spreadsheets import new_workbook, write_row

# (key, header of level 2, group) in the column order of form 06a: columns (1)..(13).
FORM_COLUMNS = (
    ("received_total", "Tổng số", 0),
    ("carried_over", "Kỳ trước chuyển qua", 0),
    ("received_new", "Mới tiếp nhận", 0),
    ("received_online", "Trực tuyến", 0),
    ("received_direct", "Trực tiếp", 0),
    ("received_postal", "Qua dịch vụ bưu chính", 0),
    ("resolved_total", "Tổng số", 1),
    ("resolved_early", "Trước hạn", 1),
    ("resolved_on_time", "Đúng hạn", 1),
    ("resolved_late", "Quá hạn", 1),
    ("pending_total", "Tổng số", 2),
    ("pending_in_time", "Trong hạn", 2),
    ("pending_overdue", "Quá hạn", 2),
)
GROUPS = ("Số hồ sơ nhận giải quyết", "Số hồ sơ đã giải quyết", "Số hồ sơ đang giải quyết")
assert sorted(k for k, _, _ in FORM_COLUMNS) == sorted(ROW_KEYS)

RATING_LABELS = {
    "very_satisfied": "Rất hài lòng",
    "satisfied": "Hài lòng",
    "unsatisfied": "Không hài lòng",
}
METHOD_LABELS = {
    "cash": "Tiền mặt",
    "bank_transfer": "Chuyển khoản",
    "online": "Thanh toán trực tuyến",
    "other": "Khác",
}
FEEDBACK_CHANNEL_LABELS = {
    "hotline": "Đường dây nóng",
    "email": "Thư điện tử",
    "app": "Ứng dụng (Zalo)",
    "portal": "Cổng dịch vụ công",
    "direct": "Trực tiếp",
}


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def period_text(report: dict) -> str:
    start, end = _date(report["period"]["from"]), _date(report["period"]["to"])
    return f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


def _ratio(numerator, denominator) -> float | str:
    """A share as a fraction for a '0.00%' cell; "–" where there is nothing to share (the rule of
    the screens, formatting.share), not a 0,00% that reads as "all late"."""
    value = share(numerator, denominator, digits=None)
    return NO_SHARE if value is None else value / 100


class _Formats:
    def __init__(self, wb):
        base = {"font_name": "Times New Roman", "font_size": 11, "valign": "vcenter"}

        def fmt(**kw):
            return wb.add_format({**base, **kw})

        self.title = fmt(bold=True, font_size=13, align="center", text_wrap=True)
        self.subtitle = fmt(italic=True, align="center")
        self.text = fmt()
        self.bold = fmt(bold=True)
        self.right = fmt(align="right", italic=True)
        self.head = fmt(bold=True, align="center", text_wrap=True, border=1, bg_color="#DDEBF7")
        self.colno = fmt(italic=True, align="center", border=1)
        self.cell = fmt(border=1, text_wrap=True)
        self.cell_center = fmt(border=1, align="center")
        self.cell_sub = fmt(border=1, italic=True, text_wrap=True, indent=2)
        self.num = fmt(border=1, num_format="#,##0")
        self.num_sub = fmt(border=1, num_format="#,##0", italic=True)
        self.pct = fmt(border=1, num_format="0.00%")
        self.total = fmt(border=1, bold=True, text_wrap=True)
        self.total_num = fmt(border=1, bold=True, num_format="#,##0")
        self.total_pct = fmt(border=1, bold=True, num_format="0.00%")
        self.date = fmt(border=1, num_format="dd/mm/yyyy", align="center")
        self.date_plain = fmt(num_format="dd/mm/yyyy", align="left")
        self.sign = fmt(bold=True, align="center")


def _print_setup(ws, header_rows: tuple[int, int] | None = None) -> None:
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    ws.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer("&CTrang &P/&N")
    if header_rows:
        ws.repeat_rows(*header_rows)


def _table(
    ws, f, row: int, headers, rows, total=None, widths=None, number_cols=(), pct_cols=()
) -> int:
    """A simple bordered table; returns the next free row."""
    if widths:
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
    for col, text in enumerate(headers):
        ws.write_string(row, col, text, f.head)
    row += 1
    for values in rows:
        formats = {
            c: (f.num if c in number_cols else f.pct if c in pct_cols else f.cell)
            for c in range(len(values))
        }
        write_row(ws, row, values, formats)
        row += 1
    if total is not None:
        formats = {
            c: (f.total_num if c in number_cols else f.total_pct if c in pct_cols else f.total)
            for c in range(len(total))
        }
        write_row(ws, row, total, formats)
        row += 1
    return row + 1


def _sheet_header(ws, f, title: str, report: dict, unit_name: str, last_col: int) -> int:
    ws.merge_range(0, 0, 0, last_col, unit_name, f.bold)
    ws.merge_range(1, 0, 1, last_col, title, f.title)
    ws.merge_range(2, 0, 2, last_col, period_text(report), f.subtitle)
    return 4


def _figure_row(ws, row: int, label: list, figures: dict, columns, formats) -> None:
    """One row of a report form: its number and name (label), then its figures in the order of
    columns; formats: (of the number, of the name, of the figures)."""
    number, name, figure = formats
    formats_by_column = {0: number, 1: name, **{2 + i: figure for i in range(len(columns))}}
    write_row(ws, row, label + [figures[k] for k, _, _ in columns], formats_by_column)


def _totals_and_signature(
    ws, f, row: int, top: int, last: int, totals: dict, columns, made_on: dt.date
) -> None:
    """The totals row of a report form, the date made (a real date cell) and the signature
    block; then the panes frozen under its header and the print setup."""
    ws.merge_range(row, 0, row, 1, "Tổng cộng", f.total)
    for i, (key, _, _) in enumerate(columns):
        ws.write_number(row, 2 + i, totals[key], f.total_num)
    row += 2
    ws.merge_range(row, last - 4, row, last - 2, "Ngày lập báo cáo:", f.right)
    ws.merge_range(row, last - 1, row, last, made_on, f.date_plain)
    row += 1
    ws.merge_range(row, 1, row, 4, "NGƯỜI LẬP BIỂU", f.sign)
    ws.merge_range(row, last - 4, row, last, "THỦ TRƯỞNG ĐƠN VỊ", f.sign)
    row += 1
    ws.merge_range(row, 1, row, 4, "(Ký, ghi rõ họ tên)", f.subtitle)
    ws.merge_range(row, last - 4, row, last, "(Ký tên, đóng dấu)", f.subtitle)
    ws.freeze_panes(top + 3, 2)
    _print_setup(ws, (top, top + 2))


def write_form_06a(wb, f, report: dict, unit_name: str, made_on: dt.date) -> None:
    ws = wb.add_worksheet("06a")
    last = 1 + len(FORM_COLUMNS)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 42)
    ws.set_column(2, last, 11)
    ws.merge_range(0, 0, 0, 4, unit_name, f.bold)
    ws.merge_range(0, last - 3, 0, last, "Biểu số 06a/VPCP/KSTT", f.right)
    ws.merge_range(
        1,
        0,
        1,
        last,
        "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ "
        "TRỰC TIẾP GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        f.title,
    )
    ws.set_row(1, 36)
    ws.merge_range(2, 0, 2, last, f"Kỳ báo cáo: {period_text(report)}", f.subtitle)
    ws.merge_range(3, 0, 3, last, f"Đơn vị báo cáo: {unit_name}", f.text)
    ws.merge_range(4, last - 3, 4, last, "Đơn vị tính: Số hồ sơ TTHC", f.right)

    top = 5
    _grouped_header(ws, f, top, "Đơn vị, lĩnh vực giải quyết", FORM_COLUMNS, 45)
    ws.write_string(top + 2, 0, "(A)", f.colno)
    ws.write_string(top + 2, 1, "(B)", f.colno)
    for i in range(len(FORM_COLUMNS)):
        ws.write_string(top + 2, 2 + i, f"({i + 1})", f.colno)

    groups = (
        (
            [n, agency["agency_name"]],
            agency,
            [
                ([f"{n}.{m}", field["field_name"]], field)
                for m, field in enumerate(agency.get("fields", []), start=1)
            ],
        )
        for n, agency in enumerate(report["rows"], start=1)
    )
    styles = ((f.cell_center, f.cell, f.num), (f.cell_center, f.cell_sub, f.num_sub))
    _form_body(ws, f, top, last, groups, FORM_COLUMNS, styles, report["totals"], made_on)


def _form_body(ws, f, top: int, last: int, groups, columns, styles, totals, made_on) -> None:
    """Under a report form's header (rows top…top+2): each group's row (its label cells and
    figures), then one row per member under it; then the totals and the signature. Groups:
    (labels, figures, [(labels, figures), …]); styles: (of a group's row, of a member's)."""
    group_styles, member_styles = styles
    row = top + 3
    for labels, figures, members in groups:
        _figure_row(ws, row, labels, figures, columns, group_styles)
        row += 1
        for member_labels, member_figures in members:
            _figure_row(ws, row, member_labels, member_figures, columns, member_styles)
            row += 1
    _totals_and_signature(ws, f, row, top, last, totals, columns, made_on)


def write_summary(wb, f, report: dict, unit_name: str) -> None:
    """The figures in the words of the centre's annual report (source article)."""
    ws = wb.add_worksheet("Tổng hợp")
    ws.set_column(0, 0, 58)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 12)
    ws.set_column(3, 3, 40)
    row = _sheet_header(
        ws, f, "TỔNG HỢP KẾT QUẢ TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ TTHC", report, unit_name, 3
    )
    lines = [
        *_dossier_lines(report["totals"]),
        *_unit_lines(report["rows"]),
        *_service_lines(report),
        *_digitisation_lines(report),
    ]
    for col, text in enumerate(("Nội dung", "Số lượng", "Tỷ lệ", "Ghi chú")):
        ws.write_string(row, col, text, f.head)
    header = row
    row += 1
    for label, value, ratio, note in lines:
        write_row(
            ws,
            row,
            [label, value, ratio, note or None],
            {
                0: f.bold if not label.startswith(" ") else f.cell,
                1: f.num,
                2: f.pct if ratio != NO_SHARE else f.cell_center,
                3: f.cell,
            },
        )
        row += 1
    _print_setup(ws, (header, header))


DIGITISATION_SHEET = "Số hóa hồ sơ"
DIGITISATION_TITLE = "SỐ HÓA HỒ SƠ (QUYẾT ĐỊNH 766/QĐ-TTg, NHÓM 4)"
DIGITISATION_HEADERS = (
    "Mã",
    "Cơ quan",
    "Hồ sơ tiếp nhận trong kỳ",
    "Số hóa toàn bộ khi tiếp nhận",
    "Tỷ lệ",
    "Hồ sơ đã có kết quả giải quyết trong kỳ",
    "Có kết quả điện tử",
    "Tỷ lệ",
)


def _digitisation_lines(report: dict) -> list[tuple]:
    """(label, value, share, note) of the digitisation figures (domain/digitisation.py)."""
    dg = report.get("digitisation")
    if not dg:
        return []
    return [
        (
            "Hồ sơ số hóa toàn bộ khi tiếp nhận",
            dg["received_scanned"],
            _ratio(dg["received_scanned"], dg["received"]),
            f"{dg['received_scanned']}/{dg['received']} hồ sơ tiếp nhận trong kỳ",
        ),
        (
            "Hồ sơ giải quyết có kết quả điện tử",
            dg["resolved_with_result"],
            _ratio(dg["resolved_with_result"], dg["resolved"]),
            f"{dg['resolved_with_result']}/{dg['resolved']} hồ sơ đã có kết quả giải quyết trong kỳ",
        ),
    ]


def write_digitisation_sheet(wb, f, report: dict, unit_name: str) -> None:
    """The digitisation figures per agency and their total (the shares as fractions for
    '0.00%' cells, "–" where there is nothing to share)."""
    dg = report.get("digitisation")
    if not dg:
        return
    ws = wb.add_worksheet(DIGITISATION_SHEET)
    row = _sheet_header(ws, f, DIGITISATION_TITLE, report, unit_name, 7)

    def values(code, label, r):
        return [
            code,
            label,
            r["received"],
            r["received_scanned"],
            _ratio(r["received_scanned"], r["received"]),
            r["resolved"],
            r["resolved_with_result"],
            _ratio(r["resolved_with_result"], r["resolved"]),
        ]

    _table(
        ws,
        f,
        row,
        list(DIGITISATION_HEADERS),
        [values(r["agency_code"], r["agency_name"], r) for r in dg["rows"]],
        total=values("", "Tổng cộng", dg),
        widths=[12, 40, 14, 16, 10, 16, 14, 10],
        number_cols=(2, 3, 5, 6),
        pct_cols=(4, 7),
    )
    _print_setup(ws)


def _grouped_header(ws, f, top: int, label: str, columns, label_height: int) -> None:
    """The two header rows of a form: STT and `label` over both, each group's name over its
    columns (GROUPS), then each column's own text (columns: (key, text, group))."""
    ws.merge_range(top, 0, top + 1, 0, "STT", f.head)
    ws.merge_range(top, 1, top + 1, 1, label, f.head)
    for group, name in enumerate(GROUPS):
        cols = [2 + i for i, (_, _, g) in enumerate(columns) if g == group]
        ws.merge_range(top, cols[0], top, cols[-1], name, f.head)
    for i, (_, text, _) in enumerate(columns):
        ws.write_string(top + 1, 2 + i, text, f.head)
    ws.set_row(top, 30)
    ws.set_row(top + 1, label_height)


# (label, figure, the figure it is a share of) of the dossiers received, resolved and pending.
DOSSIER_LINES = (
    ("Tổng số hồ sơ tiếp nhận", "received_total", None),
    ("  – Kỳ trước chuyển qua", "carried_over", "received_total"),
    ("  – Mới tiếp nhận", "received_new", "received_total"),
    ("      + Trực tiếp", "received_direct", "received_new"),
    ("      + Trực tuyến", "received_online", "received_new"),
    ("      + Qua dịch vụ bưu chính công ích", "received_postal", "received_new"),
    ("Đã giải quyết, trả kết quả", "resolved_total", "received_total"),
    ("  – Trước hạn", "resolved_early", "resolved_total"),
    ("  – Đúng hạn", "resolved_on_time", "resolved_total"),
    ("  – Trễ hạn", "resolved_late", "resolved_total"),
    ("Đang giải quyết", "pending_total", "received_total"),
    ("  – Trong hạn", "pending_in_time", "pending_total"),
    ("  – Quá hạn", "pending_overdue", "pending_total"),
)


def _dossier_lines(t: dict) -> list[tuple]:
    """(label, value, share, note) of the dossiers received, resolved and pending."""
    return [
        (label, t[key], None if of is None else _ratio(t[key], t[of]), "")
        for label, key, of in DOSSIER_LINES
    ]


def _unit_lines(rows: list[dict]) -> list[tuple]:
    """(label, value, share, note) of the units: on time, late, the biggest and smallest."""
    active = [r for r in rows if r["received_total"]]
    # Only a unit that resolved something has an on-time share: one with nothing resolved is
    # neither "100 % on time" nor late (the article: 10/17 units, not 12/19).
    resolving = [r for r in rows if r["resolved_total"]]
    no_late = [r for r in resolving if not r["resolved_late"]]
    late = [r for r in resolving if r["resolved_late"]]
    biggest = sorted(active, key=lambda r: -r["received_total"])[:3]
    smallest = sorted(active, key=lambda r: r["received_total"])[:3]
    return [
        (
            "Đơn vị giải quyết đúng và trước hạn 100%",
            len(no_late),
            _ratio(len(no_late), len(resolving)),
            f"{len(no_late)}/{len(resolving)} đơn vị",
        ),
        (
            "Đơn vị có hồ sơ trễ hạn",
            len(late),
            _ratio(len(late), len(resolving)),
            f"{len(late)}/{len(resolving)} đơn vị: " + ", ".join(r["agency_name"] for r in late)
            if late
            else f"0/{len(resolving)} đơn vị",
        ),
        (
            "Đơn vị có nhiều hồ sơ nhất",
            None,
            None,
            "; ".join(
                f"{r['agency_name']} {r['received_total']:,}".replace(",", ".") for r in biggest
            ),
        ),
        (
            "Đơn vị có ít hồ sơ nhất",
            None,
            None,
            "; ".join(
                f"{r['agency_name']} {r['received_total']:,}".replace(",", ".") for r in smallest
            ),
        ),
    ]


def _service_lines(report: dict) -> list[tuple]:
    """(label, value, share, note) of post, courier, fees, ratings, forms and feedback."""
    t = report["totals"]
    fb = report["feedback"]
    sr = report["staff_ratings"]
    ev = report["evaluation_forms"]
    return [
        ("Tiếp nhận hồ sơ qua dịch vụ bưu chính công ích", t["received_postal"], None, ""),
        ("Trả kết quả qua dịch vụ bưu chính công ích", report["returned_by_post"], None, ""),
        ("Hồ sơ chuyển từ Trung tâm tới các sở, ngành", report["courier"]["to_agencies"], None, ""),
        (
            "Hồ sơ chuyển trả từ các sở, ngành về Trung tâm",
            report["courier"]["to_center"],
            None,
            "",
        ),
        ("Thu phí, lệ phí (đồng)", report["fees_collected_vnd"], None, ""),
        ("Lượt đánh giá cán bộ", sr["total"], None, ""),
        ("  – Rất hài lòng", sr["very_satisfied"], _ratio(sr["very_satisfied"], sr["total"]), ""),
        ("  – Hài lòng", sr["satisfied"], _ratio(sr["satisfied"], sr["total"]), ""),
        ("  – Không hài lòng", sr["unsatisfied"], _ratio(sr["unsatisfied"], sr["total"]), ""),
        ("Phiếu đánh giá giải quyết TTHC", ev["total"], None, ""),
        *[
            (f"  – {score} điểm", n, _ratio(n, ev["total"]), "")
            for score, n in ev["by_score"].items()
        ],
        ("Phản ánh, kiến nghị tiếp nhận", fb["received"], None, ""),
        ("  – Đã trả lời", fb["answered"], _ratio(fb["answered"], fb["received"]), ""),
        (
            "  – Trả lời đúng hạn",
            fb["answered_on_time"],
            _ratio(fb["answered_on_time"], fb["received"]),
            "",
        ),
    ]


def write_detail_sheets(wb, f, report: dict, details: dict, unit_name: str) -> None:
    """The sheets behind the summary's other figures, one per subject."""
    for sheet in (
        _fees_sheet,
        _ratings_sheet,
        _forms_sheet,
        _feedback_sheet,
        _postal_sheet,
        _courier_sheet,
        _queue_sheet,
    ):
        sheet(wb, f, report, details, unit_name)


def _fees_sheet(wb, f, report: dict, details: dict, unit_name: str) -> None:
    """Fees and charges."""
    ws = wb.add_worksheet("Phí, lệ phí")
    row = _sheet_header(ws, f, "THU PHÍ, LỆ PHÍ GIẢI QUYẾT TTHC", report, unit_name, 3)
    fee_rows = [[code, name, n, amount] for code, name, (n, amount) in details["fees_by_agency"]]
    row = _table(
        ws,
        f,
        row,
        ["Mã", "Cơ quan", "Số khoản thu", "Số tiền (đồng)"],
        fee_rows,
        total=["", "Tổng cộng", sum(r[2] for r in fee_rows), report["fees_collected_vnd"]],
        widths=[12, 45, 14, 20],
        number_cols=(2, 3),
    )
    method_rows = [
        [METHOD_LABELS.get(m, m), n, amount]
        for m, (n, amount) in sorted(details["fees_by_method"].items())
    ]
    row = _table(
        ws,
        f,
        row,
        ["Hình thức thu", "Số khoản thu", "Số tiền (đồng)"],
        method_rows,
        total=["Tổng cộng", sum(r[1] for r in method_rows), report["fees_collected_vnd"]],
        number_cols=(1, 2),
    )
    n, amount = details["fees_cancelled"]
    _table(
        ws,
        f,
        row,
        ["Khoản thu đã huỷ (không tính)", "Số khoản", "Số tiền (đồng)"],
        [["Đã huỷ", n, amount]],
        number_cols=(1, 2),
    )
    _print_setup(ws)


def _ratings_sheet(wb, f, report: dict, details: dict, unit_name: str) -> None:
    """Staff ratings."""
    ws = wb.add_worksheet("Đánh giá cán bộ")
    row = _sheet_header(ws, f, "ĐÁNH GIÁ CÁN BỘ TẠI TRUNG TÂM", report, unit_name, 5)
    sr = report["staff_ratings"]
    levels = ("very_satisfied", "satisfied", "unsatisfied")
    row = _table(
        ws,
        f,
        row,
        ["Mức đánh giá", "Số lượt", "Tỷ lệ"],
        [[RATING_LABELS[k], sr[k], _ratio(sr[k], sr["total"])] for k in levels],
        total=["Tổng cộng", sr["total"], _ratio(sr["total"], sr["total"])],
        widths=[30, 16, 16, 16, 16, 12],
        number_cols=(1,),
        pct_cols=(2,),
    )
    staff_rows = [
        [username, name, *[lv.get(k, 0) for k in levels], sum(lv.values())]
        for username, name, lv in details["ratings_by_staff"]
    ]
    _table(
        ws,
        f,
        row,
        ["Tên đăng nhập", "Cán bộ", *[RATING_LABELS[k] for k in levels], "Tổng"],
        staff_rows,
        number_cols=(2, 3, 4, 5),
    )
    _print_setup(ws)


def _forms_sheet(wb, f, report: dict, details: dict, unit_name: str) -> None:
    """Evaluation forms."""
    ws = wb.add_worksheet("Phiếu đánh giá")
    row = _sheet_header(ws, f, "PHIẾU ĐÁNH GIÁ GIẢI QUYẾT TTHC", report, unit_name, 3)
    ev = report["evaluation_forms"]
    row = _table(
        ws,
        f,
        row,
        ["Điểm", "Số phiếu", "Tỷ lệ"],
        [[score, n, _ratio(n, ev["total"])] for score, n in ev["by_score"].items()],
        total=["Tổng cộng", ev["total"], _ratio(ev["total"], ev["total"])],
        widths=[45, 14, 14, 14],
        number_cols=(1,),
        pct_cols=(2,),
    )
    _table(
        ws,
        f,
        row,
        ["Cơ quan", "Điểm", "Số phiếu"],
        [
            [name, score, n]
            for _, name, scores in details["forms_by_agency"]
            for score, n in scores.items()
        ],
        number_cols=(2,),
    )
    _print_setup(ws)


def _feedback_sheet(wb, f, report: dict, details: dict, unit_name: str) -> None:
    """Feedback."""
    ws = wb.add_worksheet("Phản ánh, kiến nghị")
    row = _sheet_header(ws, f, "TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ", report, unit_name, 3)
    fb_rows = [
        [FEEDBACK_CHANNEL_LABELS.get(ch, ch), *values]
        for ch, values in sorted(details["feedback_by_channel"].items())
    ]
    fb = report["feedback"]
    _table(
        ws,
        f,
        row,
        ["Kênh tiếp nhận", "Tiếp nhận", "Đã trả lời", "Trả lời đúng hạn"],
        fb_rows,
        total=["Tổng cộng", fb["received"], fb["answered"], fb["answered_on_time"]],
        widths=[30, 14, 14, 18],
        number_cols=(1, 2, 3),
    )
    _print_setup(ws)


def _postal_sheet(wb, f, report: dict, details: dict, unit_name: str) -> None:
    """Public postal service."""
    ws = wb.add_worksheet("Bưu chính công ích")
    row = _sheet_header(
        ws, f, "TIẾP NHẬN HỒ SƠ, TRẢ KẾT QUẢ QUA DỊCH VỤ BƯU CHÍNH CÔNG ÍCH", report, unit_name, 3
    )
    postal_rows = [
        [code, name, received, returned]
        for code, name, (received, returned) in details["postal_by_agency"]
    ]
    _table(
        ws,
        f,
        row,
        ["Mã", "Cơ quan", "Tiếp nhận qua bưu chính", "Trả kết quả qua bưu chính"],
        postal_rows,
        total=["", "Tổng cộng", report["totals"]["received_postal"], report["returned_by_post"]],
        widths=[12, 45, 20, 20],
        number_cols=(2, 3),
    )
    _print_setup(ws)


def _courier_sheet(wb, f, report: dict, details: dict, unit_name: str) -> None:
    """Courier runs between the centre and the agencies."""
    ws = wb.add_worksheet("Chuyển hồ sơ")
    row = _sheet_header(
        ws, f, "CHUYỂN HỒ SƠ GIỮA TRUNG TÂM VÀ CÁC SỞ, NGÀNH (10:30 VÀ 16:00)", report, unit_name, 5
    )
    courier_rows = []
    for code, name, directions in details["courier_by_agency"]:
        out_runs, out_items = directions.get("to_agency", (0, 0))
        back_runs, back_items = directions.get("to_center", (0, 0))
        courier_rows.append([code, name, out_runs, out_items, back_runs, back_items])
    _table(
        ws,
        f,
        row,
        [
            "Mã",
            "Cơ quan",
            "Chuyến đi",
            "Hồ sơ chuyển tới sở, ngành",
            "Chuyến về",
            "Hồ sơ chuyển về Trung tâm",
        ],
        courier_rows,
        total=[
            "",
            "Tổng cộng",
            sum(r[2] for r in courier_rows),
            report["courier"]["to_agencies"],
            sum(r[4] for r in courier_rows),
            report["courier"]["to_center"],
        ],
        widths=[12, 40, 12, 20, 12, 20],
        number_cols=(2, 3, 4, 5),
    )
    _print_setup(ws)


def _queue_sheet(wb, f, report: dict, details: dict, unit_name: str) -> None:
    """The hall's queue: tickets, and average waiting (issued → called) and serving
    (called → served) times in minutes, per service group and per counter."""
    q = report.get("queue")
    if q is None:
        return
    ws = wb.add_worksheet("Xếp hàng")
    row = _sheet_header(ws, f, "THỜI GIAN CHỜ VÀ THỜI GIAN PHỤC VỤ TẠI QUẦY", report, unit_name, 6)
    headers = [
        "Số đã cấp",
        "Đã gọi",
        "Đã phục vụ",
        "Vắng mặt",
        "Chờ TB (phút)",
        "Phục vụ TB (phút)",
    ]

    def minutes(seconds):
        return "" if seconds is None else round(seconds / 60, 1)

    def line(label, fig):
        return [
            label,
            fig["issued"],
            fig["called"],
            fig["served"],
            fig["skipped"],
            minutes(fig["average_wait_seconds"]),
            minutes(fig["average_serve_seconds"]),
        ]

    row = _table(
        ws,
        f,
        row,
        ["Nhóm dịch vụ", *headers],
        [line(f"{g['prefix']} – {g['name']}", g) for g in q["groups"]],
        total=line("Tổng cộng", q["total"]),
        widths=[40, 14, 14, 14, 14, 16, 16],
        number_cols=(1, 2, 3, 4, 5, 6),
    )
    _table(
        ws,
        f,
        row,
        ["Quầy", *headers],
        [line(f"Quầy {c['counter']}", c) for c in q["counters"]],
        number_cols=(1, 2, 3, 4, 5, 6),
    )
    _print_setup(ws)


# Columns (3)–(13) of the official form: (key, header of level 2, group).
OFFICIAL_COLUMNS = (
    ("received_total", "Tổng số", 0),
    ("received_online", "Trong đó: Trực tuyến", 0),
    ("received_direct_postal", "Trong đó: Trực tiếp, dịch vụ bưu chính", 0),
    ("carried_over", "Từ kỳ trước", 0),
    # Resolved and pending (groups 1 and 2): form 06a's own columns, in its order.
    *(column for column in FORM_COLUMNS if column[2] > 0),
)
OFFICIAL_TITLE = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
METHOD_TEXTS = {
    "design": "Cách tính: theo cách tính của Trung tâm — hồ sơ rút, dừng tính đúng hạn",
    "national": "Cách tính: theo Cổng DVC quốc gia (chưa được xác nhận bằng văn bản) — hồ sơ rút, "
    "dừng so với hạn; yêu cầu bổ sung quá một lần tính quá hạn",
}
DEFAULT_FORM_LABEL = "Biểu số II.06a/VPCP/KSTT"
DEFAULT_RECIPIENT = "Văn phòng Ủy ban nhân dân tỉnh"


def method_text(report: dict) -> str:
    return METHOD_TEXTS.get(report.get("method", "design"), report.get("method", ""))


def write_official_form(
    wb, f, report: dict, unit_name: str, recipient: str, label: str, made_on: dt.date
) -> None:
    """The form as filed: one row per field under its level (STT 1, 2… within the level's
    Roman-numbered group), a total row; the columns add up to the report's totals."""
    ws = wb.add_worksheet("Biểu mẫu")
    last = 1 + len(OFFICIAL_COLUMNS)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 44)
    ws.set_column(2, last, 11)
    ws.merge_range(0, 0, 0, 5, f"Đơn vị báo cáo: {unit_name}", f.bold)
    ws.merge_range(0, last - 4, 0, last, label, f.right)
    ws.merge_range(1, 0, 1, 5, f"Đơn vị nhận báo cáo: {recipient}", f.bold)
    ws.merge_range(2, 0, 2, last, OFFICIAL_TITLE, f.title)
    ws.set_row(2, 24)
    ws.merge_range(3, 0, 3, last, f"Kỳ báo cáo: {period_text(report)}", f.subtitle)
    ws.merge_range(4, 0, 4, last - 4, method_text(report), f.subtitle)
    ws.merge_range(4, last - 3, 4, last, "Đơn vị tính: Hồ sơ", f.right)

    top = 5
    _grouped_header(ws, f, top, "Lĩnh vực, công việc giải quyết theo cấp", OFFICIAL_COLUMNS, 60)
    for i in range(last + 1):
        ws.write_string(top + 2, i, f"({i + 1})", f.colno)

    form = report["official_form"]
    roman = ("I", "II", "III", "IV", "V", "VI")
    groups = (
        (
            [roman[g] if g < len(roman) else str(g + 1), group["label"]],
            group["totals"],
            [([n, field["field_name"]], field) for n, field in enumerate(group["rows"], start=1)],
        )
        for g, group in enumerate(form["groups"])
    )
    styles = ((f.total, f.total, f.total_num), (f.cell_center, f.cell, f.num))
    _form_body(ws, f, top, last, groups, OFFICIAL_COLUMNS, styles, form["totals"], made_on)


def write_late_sheet(wb, f, report: dict, unit_name: str) -> None:
    """The late dossiers of the period: resolved late, or pending overdue at its end."""
    ws = wb.add_worksheet("Hồ sơ trễ hạn")
    row = _sheet_header(ws, f, "DANH SÁCH HỒ SƠ TRỄ HẠN", report, unit_name, 10)
    ws.merge_range(3, 0, 3, 10, method_text(report), f.subtitle)
    headers = [
        "STT",
        "Mã hồ sơ",
        "Thủ tục",
        "Cơ quan giải quyết",
        "Cán bộ",
        "Tình trạng",
        "Hạn giải quyết",
        "Ngày giải quyết",
        "Số ngày trễ (ngày làm việc)",
        "Lý do",
    ]
    widths = [6, 22, 40, 28, 22, 16, 13, 13, 12, 40]
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    for col, text in enumerate(headers):
        ws.write_string(row, col, text, f.head)
    ws.set_row(row, 45)
    row += 1
    for n, item in enumerate(report.get("late_dossiers", []), start=1):
        due = _date(item["due_date"]) if item["due_date"] else None
        done = _date(item["resolved_on"]) if item["resolved_on"] else None
        values = [
            n,
            item["code"] or f"#{item['id']}",
            item["procedure_name"],
            item["agency_name"],
            item["officer"] or "",
            "Đã giải quyết" if item["state"] == "resolved" else "Đang giải quyết",
            due,
            done,
            item["days_late"],
            item["reason"] or "",
        ]
        write_row(
            ws,
            row,
            values,
            {
                0: f.cell_center,
                6: f.date,
                7: f.date,
                8: f.num,
                **{c: f.cell for c in (1, 2, 3, 4, 5, 9)},
            },
        )
        row += 1
    ws.merge_range(row, 0, row, 7, "Tổng số hồ sơ trễ hạn", f.total)
    ws.write_number(row, 8, len(report.get("late_dossiers", [])), f.total_num)
    _print_setup(ws, (4, 4))


def write_report_workbook(
    target,
    report: dict,
    details: dict | None,
    unit_name: str = "Trung tâm Phục vụ hành chính công",
    made_on: dt.date | None = None,
    recipient: str = DEFAULT_RECIPIENT,
    form_label: str = DEFAULT_FORM_LABEL,
) -> None:
    """Write the whole workbook to `target` (a path or a binary file object). `made_on`: the date
    printed above the signatures (default today); `recipient` and `form_label`: the official
    form's "Đơn vị nhận báo cáo" and label (settings REPORT_RECIPIENT, REPORT_FORM_LABEL)."""
    wb = new_workbook(target, constant_memory=False)
    wb.set_properties(
        {"title": f"Báo cáo 06a – {period_text(report)}", "author": unit_name, "company": unit_name}
    )
    f = _Formats(wb)
    made_on = made_on or clock.today()
    if "official_form" in report:
        write_official_form(wb, f, report, unit_name, recipient, form_label, made_on)
    write_form_06a(wb, f, report, unit_name, made_on)
    if "late_dossiers" in report:
        write_late_sheet(wb, f, report, unit_name)
    write_summary(wb, f, report, unit_name)
    if details is not None:
        write_detail_sheets(wb, f, report, details, unit_name)
    write_digitisation_sheet(wb, f, report, unit_name)
    wb.close()

"""Evaluation forms (phiếu đánh giá giải quyết TTHC theo cơ chế một cửa, design §2).

The indicators are data (EvaluationIndicator): `ensure_indicators(session)` seeds the two sets
we know — the 9 national indicators of Decree 61/2018 art. 33 (0–2 points each, 18 in all) and
the 4-indicator citizen form scored out of 8 that the center used in 2019."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from domain.periods import within
from domain.service import RuleError
from domain.sql import scoped
from models import (
    EVALUATION_CHANNELS,
    Agency,
    EvaluationAnswer,
    EvaluationForm,
    EvaluationIndicator,
)

NATIONAL = "national"
CITIZEN_2019 = "citizen_2019"
FORM_SETS = (CITIZEN_2019, NATIONAL)

# (code, name, max_score); the order is the order on the form.
INDICATORS = {
    NATIONAL: [
        ("QG01", "Tổng thời gian giải quyết TTHC so với thời gian tối đa theo quy định", 2),
        ("QG02", "Thời gian thực hiện của từng cơ quan, đơn vị tham gia giải quyết", 2),
        ("QG03", "Số lần phải liên hệ với nơi tiếp nhận hồ sơ để hoàn thiện hồ sơ", 2),
        ("QG04", "Số lượng cơ quan, đơn vị, tổ chức phải liên hệ để hoàn thiện hồ sơ", 2),
        ("QG05", "Tiếp nhận, giải quyết hồ sơ qua dịch vụ công trực tuyến, bưu chính công ích", 2),
        ("QG06", "Công khai thủ tục hành chính theo quy định", 2),
        (
            "QG07",
            "Thái độ của cán bộ, công chức, viên chức khi hướng dẫn, tiếp nhận, giải quyết hồ sơ",
            2,
        ),
        ("QG08", "Tiếp thu, giải trình ý kiến phản ánh, kiến nghị của tổ chức, cá nhân", 2),
        ("QG09", "Mức độ hài lòng của tổ chức, cá nhân về kết quả giải quyết TTHC", 2),
    ],
    CITIZEN_2019: [
        ("CD01", "Tổng thời gian giải quyết so với thời gian hẹn trả kết quả", 2),
        ("CD02", "Số lần phải liên hệ để hoàn thiện hồ sơ", 2),
        ("CD03", "Số cơ quan, đơn vị phải liên hệ", 2),
        ("CD04", "Thái độ của cán bộ tiếp nhận, trả kết quả", 2),
    ],
}


def ensure_indicators(session) -> int:
    """Insert the indicators that are missing (by code); existing rows are left as they are, so
    running it again, or after an administrator edited a name, changes nothing. Returns how many
    rows were added. The caller commits."""

    existing = set(session.scalars(select(EvaluationIndicator.code)))
    added = 0
    for form_set, rows in INDICATORS.items():
        for order, (code, name, max_score) in enumerate(rows, start=1):
            if code not in existing:
                session.add(
                    EvaluationIndicator(
                        code=code,
                        form_set=form_set,
                        name=name,
                        max_score=max_score,
                        sort_order=order,
                    )
                )
                added += 1
    session.flush()
    return added


def indicators_of(session, form_set: str):

    return session.scalars(
        select(EvaluationIndicator)
        .where(EvaluationIndicator.form_set == form_set, EvaluationIndicator.active.is_(True))
        .order_by(EvaluationIndicator.sort_order, EvaluationIndicator.id)
    ).all()


def record_evaluation(
    session,
    form_set: str,
    scores: dict[int, int],
    agency_id: int,
    submitted_at: dt.datetime,
    dossier=None,
    channel: str = "paper",
):
    """A form with one score per active indicator of the set; score and max_score are stored.
    `scores` maps indicator id -> points. Refuses a missing/extra indicator or a score out of
    0..max (RuleError); nothing is added then."""

    if form_set not in FORM_SETS:
        raise RuleError("evaluation_form_set_unknown")
    if channel not in EVALUATION_CHANNELS:
        raise RuleError("evaluation_channel_unknown")
    indicators = indicators_of(session, form_set)
    if not indicators:
        raise RuleError("evaluation_no_indicators")
    if set(scores) != {i.id for i in indicators}:
        raise RuleError("evaluation_answers_incomplete")
    if dossier is not None and dossier.agency_id != agency_id:
        raise RuleError("evaluation_dossier_other_agency")
    answers = []
    for indicator in indicators:
        value = scores[indicator.id]
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= indicator.max_score
        ):
            raise RuleError("evaluation_score_out_of_range", indicator=indicator.code)
        answers.append(EvaluationAnswer(indicator=indicator, score=value))
    form = EvaluationForm(
        form_set=form_set,
        agency_id=agency_id,
        dossier=dossier,
        submitted_at=submitted_at,
        channel=channel,
        answers=answers,
        score=sum(a.score for a in answers),
        max_score=sum(i.max_score for i in indicators),
    )
    session.add(form)
    return form


def score_label(score: int, max_score: int) -> str:
    return f"{score}/{max_score}"


@dataclass
class ScoreCount:
    score: int
    max_score: int
    count: int
    agency_id: int | None = None  # with by_agency=True

    @property
    def label(self) -> str:
        return score_label(self.score, self.max_score)


def evaluation_counts_by_score(
    session,
    date_from=None,
    date_to=None,
    agency_ids=None,
    form_set: str | None = None,
    by_agency: bool = False,
) -> list[ScoreCount]:
    """Forms per score ("8/8": 566, "7/8": 212, ...), highest first (the largest scale first);
    cancelled forms excluded. `by_agency`: one row per agency and score. The one SQL of the
    report's "evaluation_forms" and of the evaluation forms' totals page."""
    F = EvaluationForm

    keys = [F.agency_id] if by_agency else []
    query = (
        score_counts(within(F.submitted_at, date_from, date_to))
        .add_columns(*keys)
        .group_by(*keys)
        .order_by(*keys, F.max_score.desc(), F.score.desc())
    )
    if form_set:
        query = query.where(F.form_set == form_set)
    query = scoped(query, F.agency_id, agency_ids)
    return [
        ScoreCount(int(r[0]), int(r[1]), int(r[2]), r[3] if by_agency else None)
        for r in session.execute(query)
    ]


def evaluation_summary(session, date_from=None, date_to=None) -> dict:
    """As in the report of design §6: {"total": n, "by_score": {"8/8": n, ...}}."""
    rows = evaluation_counts_by_score(session, date_from, date_to)
    return score_summary((r.score, r.max_score, r.count) for r in rows)


def score_summary(rows) -> dict:
    """evaluation_summary from (score, max score, forms) rows, highest first."""
    rows = sorted(((int(s), int(m), int(n)) for s, m, n in rows), key=lambda r: (-r[1], -r[0]))
    return {
        "total": sum(n for _s, _m, n in rows),
        "by_score": {score_label(s, m): n for s, m, n in rows},
    }


def score_counts(criteria: list):
    """SQL: (score, max score, forms) of the forms not cancelled that meet `criteria` (the
    submitted_at range), highest first (the largest scale first): evaluation_counts_by_score
    without its options (the report's part: reports.services_query)."""
    F = EvaluationForm
    return (
        select(F.score, F.max_score, func.count(F.id))
        .where(F.cancelled_at.is_(None), *criteria)
        .group_by(F.max_score, F.score)
    )


def evaluation_counts_by_agency(session, date_from=None, date_to=None, agency_ids=None):
    """Per agency: forms, points and maximum points (average = points / maximum)."""
    F = EvaluationForm

    query = (
        select(Agency.id, Agency.name, func.count(F.id), func.sum(F.score), func.sum(F.max_score))
        .join(Agency, F.agency_id == Agency.id)
        .where(F.cancelled_at.is_(None), *within(F.submitted_at, date_from, date_to))
        .group_by(Agency.id, Agency.name, Agency.sort_order)
        .order_by(Agency.sort_order, Agency.name)
    )
    query = scoped(query, F.agency_id, agency_ids)
    return [(r[0], r[1], int(r[2]), int(r[3] or 0), int(r[4] or 0)) for r in session.execute(query)]

"""Evaluation forms, feedback, the public postal service and courier runs."""

import datetime as dt
import re

import pytest
from flask_admin.contrib.sqla.filters import FilterEqual

from domain import clock, courier, evaluation, postal
from domain import feedback as fb
from domain.calendar import WorkingCalendar, load_calendar
from domain.service import RuleError
from models import (
    Agency,
    CalendarDay,
    CourierItem,
    CourierRun,
    Dossier,
    EvaluationAnswer,
    EvaluationForm,
    EvaluationIndicator,
    Feedback,
    Procedure,
    db,
)

AT = dt.datetime(2019, 3, 4, 9, 30)
C1 = "000.00.20.H37-190304-0001"  # SGTVT (the staff's agency)
C2 = "000.00.20.H37-190304-0002"  # SGTVT
C3 = "000.00.20.H37-190304-0003"  # STP


def _dossiers(app):
    with app.app_context():
        gt = db.session.query(Agency).filter_by(code="SGTVT").one()
        tp = db.session.query(Agency).filter_by(code="STP").one()
        p1 = Procedure(
            code="1.002809", name="Cấp lại Giấy phép lái xe", agency=gt, processing_days=5
        )
        p2 = Procedure(
            code="2.000488", name="Cấp Phiếu lý lịch tư pháp", agency=tp, processing_days=10
        )
        rows = [
            Dossier(
                code=C1,
                procedure=p1,
                agency=gt,
                applicant_name="Nguyễn Văn Ánh",
                channel="postal",
                accepted_at=AT,
                due_date=dt.date(2019, 3, 11),
                status=10,
                return_channel="postal",
                returned_at=AT + dt.timedelta(days=5),
                postal_tracking_no="EL123456789VN",
            ),
            Dossier(
                code=C2,
                procedure=p1,
                agency=gt,
                applicant_name="Phạm Thị Cúc",
                channel="direct",
                accepted_at=AT,
                due_date=dt.date(2019, 3, 11),
                status=10,
                return_channel="postal",
                returned_at=AT + dt.timedelta(days=6),
            ),
            Dossier(
                code=C3,
                procedure=p2,
                agency=tp,
                applicant_name="Lê Thị Bình",
                channel="postal",
                accepted_at=AT,
                due_date=dt.date(2019, 3, 18),
                status=4,
            ),
            Dossier(
                code="000.00.20.H37-190304-0004",
                procedure=p1,
                agency=gt,
                applicant_name="Đỗ Văn Dũng",
                channel="direct",
                accepted_at=AT,
                due_date=dt.date(2019, 3, 11),
                status=4,
            ),
        ]
        db.session.add_all(rows)
        db.session.commit()
        return {"gt": gt.id, "tp": tp.id, **{f"d{i + 1}": d.id for i, d in enumerate(rows)}}


def _count(model, **filters):
    return db.session.query(model).filter_by(**filters).count()


# ---- evaluation forms -------------------------------------------------------------------------


def test_ensure_indicators_seeds_both_sets_once(app, db_session):
    result = app.test_cli_runner().invoke(args=["evaluation", "indicators"])
    assert result.exit_code == 0 and "Đã thêm 13 tiêu chí" in result.output
    db_session.query(EvaluationIndicator).delete()
    db_session.commit()
    assert evaluation.ensure_indicators(db_session) == 13
    db_session.commit()
    national = evaluation.indicators_of(db_session, evaluation.NATIONAL)
    citizen = evaluation.indicators_of(db_session, evaluation.CITIZEN_2019)
    assert len(national) == 9 and sum(i.max_score for i in national) == 18
    assert len(citizen) == 4 and sum(i.max_score for i in citizen) == 8
    citizen[0].name = "Tên đã sửa"
    db_session.commit()
    assert evaluation.ensure_indicators(db_session) == 0
    assert db_session.query(EvaluationIndicator).count() == 13
    assert evaluation.indicators_of(db_session, evaluation.CITIZEN_2019)[0].name == "Tên đã sửa"


def _form_data(indicators, scores, **kw):
    data = {
        "form_set": "citizen_2019",
        "dossier_code": C1,
        "agency": "0",
        "submitted_at": "2019-03-11T10:00",
        "channel": "paper",
    }
    data.update({f"ind_{i.id}": str(s) for i, s in zip(indicators, scores) if s is not None})
    data.update(kw)
    return data


def test_staff_enter_evaluation_forms_and_read_totals(app, client, login_as):
    ids = _dossiers(app)
    with app.app_context():
        evaluation.ensure_indicators(db.session)
        db.session.commit()
        indicators = evaluation.indicators_of(db.session, evaluation.CITIZEN_2019)
    login_as("staff")
    page = client.get("/evaluation_form/new/").get_data(as_text=True)
    assert "CD04" in page and "Thái độ" in page
    for scores in ([2, 2, 2, 2], [2, 2, 2, 1], [2, 1, 2, 2]):
        response = client.post("/evaluation_form/new/", data=_form_data(indicators, scores))
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    # Without a dossier: one of the staff's agencies.
    response = client.post(
        "/evaluation_form/new/",
        data=_form_data(indicators, [1, 1, 1, 1], dossier_code="", agency=str(ids["gt"])),
    )
    assert response.status_code == 302
    with app.app_context():
        forms = db.session.query(EvaluationForm).order_by(EvaluationForm.id).all()
        assert [(f.score, f.max_score, f.agency_id) for f in forms] == [
            (8, 8, ids["gt"]),
            (7, 8, ids["gt"]),
            (7, 8, ids["gt"]),
            (4, 8, ids["gt"]),
        ]
        assert forms[1].dossier_id == ids["d1"] and forms[3].dossier_id is None
        assert sorted(a.score for a in forms[1].answers) == [1, 2, 2, 2]
        summary = evaluation.evaluation_summary(db.session)
        assert summary == {"total": 4, "by_score": {"8/8": 1, "7/8": 2, "4/8": 1}}
        assert list(summary["by_score"]) == ["8/8", "7/8", "4/8"]
        by_agency = evaluation.evaluation_counts_by_agency(db.session)
        assert [(r[2], r[3], r[4]) for r in by_agency] == [(4, 26, 32)]
        first_id = forms[0].id
    totals = client.get("/evaluation_form/totals/?from=2019-01-01&to=2019-12-31")
    text = totals.get_data(as_text=True)
    assert "7/8" in text and "50,00%" in text
    details = client.get(f"/evaluation_form/details/?id={first_id}").get_data(as_text=True)
    assert "CD01" in details and "2/2" in details


def test_bad_evaluation_forms_are_refused_and_nothing_written(app, client, login_as):
    ids = _dossiers(app)
    with app.app_context():
        evaluation.ensure_indicators(db.session)
        db.session.commit()
        indicators = evaluation.indicators_of(db.session, evaluation.CITIZEN_2019)
    login_as("staff")
    cases = [
        (_form_data(indicators, [2, 2, 3, 2]), "Lựa chọn không hợp lệ"),  # 3 is not 0–2
        (_form_data(indicators, [2, 2, 2, None]), "Vui lòng chấm điểm tất cả các tiêu chí."),
        (
            _form_data(indicators, [2, 2, 2, 2], dossier_code=C3),
            "Hồ sơ này không thuộc cơ quan của bạn.",
        ),
        (
            _form_data(indicators, [2, 2, 2, 2], dossier_code="", agency=str(ids["tp"])),
            "Lựa chọn không hợp lệ",
        ),
    ]
    for data, message in cases:
        response = client.post("/evaluation_form/new/", data=data)
        assert response.status_code == 400, message
        assert message in response.get_data(as_text=True), message
    with app.app_context():
        assert _count(EvaluationForm) == 0 and _count(EvaluationAnswer) == 0
        with pytest.raises(RuleError) as error:
            evaluation.record_evaluation(
                db.session, evaluation.CITIZEN_2019, {i.id: 3 for i in indicators}, ids["gt"], AT
            )
        assert error.value.key == "evaluation_score_out_of_range"
        with pytest.raises(RuleError):
            evaluation.record_evaluation(
                db.session, evaluation.CITIZEN_2019, {indicators[0].id: 2}, ids["gt"], AT
            )
        db.session.rollback()
        assert _count(EvaluationForm) == 0


# ---- feedback ---------------------------------------------------------------------------------


def test_feedback_due_date_is_ten_working_days(db_session):
    calendar = WorkingCalendar()
    # Friday 01/03/2019 -> 10 working days later: Friday 15/03/2019.
    assert fb.feedback_due_date(calendar, dt.datetime(2019, 3, 1, 16, 0)) == dt.date(2019, 3, 15)
    # Saturday 02/03: the clock starts on Monday 04/03 -> Monday 18/03.
    assert fb.feedback_due_date(calendar, dt.date(2019, 3, 2)) == dt.date(2019, 3, 18)
    assert fb.feedback_due_date(calendar, dt.date(2019, 3, 1), days=3) == dt.date(2019, 3, 6)
    # Tết 2019 (04–08/02) is not counted: received Friday 01/02 -> Friday 22/02.
    assert fb.feedback_due_date(calendar, dt.date(2019, 2, 1)) == dt.date(2019, 2, 22)
    db_session.add(CalendarDay(date=dt.date(2019, 3, 5), is_working_day=False, note="nghỉ"))
    db_session.commit()
    assert fb.feedback_due_date(load_calendar(db_session), dt.date(2019, 3, 1)) == dt.date(
        2019, 3, 18
    )


def _feedback_data(agency_id, **kw):
    data = {
        "channel": "hotline",
        "received_at": "2019-03-01 16:00:00",
        "sender": "Trần Văn Én",
        "contact": "0912345678",
        "subject": "Hỏi về lệ phí",
        "content": "Xin hỏi mức lệ phí",
        "agency": str(agency_id),
        "status": "new",
        "answer": "",
        "answered_at": "",
    }
    data.update(kw)
    return data


def test_staff_receive_and_answer_feedback(app, client, login_as):
    ids = _dossiers(app)
    login_as("staff")
    response = client.post("/feedback/new/", data=_feedback_data(ids["gt"]))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        item = db.session.query(Feedback).one()
        assert item.due_date == dt.date(2019, 3, 15) and item.status == "new"
        fid = item.id
    # Accent-insensitive search.
    assert "Trần Văn Én" in client.get("/feedback/?search=tran van en").get_data(as_text=True)
    # "answered" without an answer is refused.
    refused = client.post(
        f"/feedback/edit/?id={fid}", data=_feedback_data(ids["gt"], status="answered")
    )
    assert "Phản ánh đã trả lời phải có nội dung trả lời." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Feedback, fid).status == "new"
    response = client.post(
        f"/feedback/edit/?id={fid}",
        data=_feedback_data(
            ids["gt"],
            status="processing",
            answer="Mức lệ phí là 135.000 đồng.",
            answered_at="2019-03-14 09:00:00",
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        item = db.session.get(Feedback, fid)
        assert item.status == "answered" and item.answered_at == dt.datetime(2019, 3, 14, 9)
        assert item.handled_by.username == "staff1" and fb.answered_on_time(item) is True
        # Feedback of another agency: invisible, and none can be filed for it.
        other = Feedback(
            channel="email",
            received_at=AT,
            sender="X",
            subject="Khác",
            content="Khác",
            agency_id=ids["tp"],
            due_date=dt.date(2019, 3, 18),
        )
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    client.post("/feedback/new/", data=_feedback_data(ids["tp"]))
    client.post("/feedback/new/", data=_feedback_data(""))
    with app.app_context():
        assert _count(Feedback) == 2
    assert client.get(f"/feedback/edit/?id={other_id}").status_code == 404  # not found
    client.post(f"/feedback/edit/?id={other_id}", data=_feedback_data(ids["gt"], sender="Y"))
    with app.app_context():
        assert db.session.get(Feedback, other_id).sender == "X"


def test_overdue_flag_filter_and_share_on_time(app, client, login_as):
    ids = _dossiers(app)
    today = clock.today()
    long_ago = dt.datetime(2019, 3, 1, 8)
    with app.app_context():

        def add(subject, due, status="new", answered_at=None, received_at=long_ago):
            db.session.add(
                Feedback(
                    channel="portal",
                    received_at=received_at,
                    sender="S",
                    subject=subject,
                    content="c",
                    agency_id=ids["gt"],
                    due_date=due,
                    status=status,
                    answer="a" if answered_at else None,
                    answered_at=answered_at,
                )
            )

        add("Quá hạn một", dt.date(2019, 3, 15))
        add("Trả lời đúng hạn", dt.date(2019, 3, 15), "answered", dt.datetime(2019, 3, 15, 17))
        add("Trả lời muộn", dt.date(2019, 3, 15), "answered", dt.datetime(2019, 3, 16, 8))
        add(
            "Chưa đến hạn",
            today + dt.timedelta(days=30),
            "processing",
            received_at=dt.datetime.combine(today, dt.time(8)),
        )
        db.session.commit()
        summary = fb.feedback_summary(
            db.session, dt.date(2019, 1, 1), dt.date(2019, 12, 31), today=today
        )
        assert summary == {
            "received": 3,
            "answered": 2,
            "answered_on_time": 1,
            "overdue": 1,
            "share_on_time": 50.0,
        }
        assert fb.feedback_summary(db.session, agency_ids=[ids["tp"]], today=today)["received"] == 0
    login_as("manager")
    overdue = client.get("/feedback/?flt0_0=1").get_data(as_text=True)
    assert (
        "Quá hạn một" in overdue and "Trả lời muộn" not in overdue and "Chưa đến hạn" not in overdue
    )
    listing = client.get("/feedback/").get_data(as_text=True)
    assert "Trả lời quá hạn" in listing and "badge-danger" in listing
    totals = client.get("/feedback/totals/?from=2019-01-01&to=2019-12-31").get_data(as_text=True)
    assert "50,00%" in totals


def _equal_filter_arg(app, endpoint, column):
    """The list URL argument of the "equals" filter on a column (flt0_<index>)."""

    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    for index, flt in enumerate(view._filters):
        if type(flt) is FilterEqual and getattr(flt.column, "key", None) == column:
            return f"flt0_{index}"
    raise AssertionError(f"no equals filter on {column}")


# ---- public postal service --------------------------------------------------------------------


def test_postal_list_and_counts(app, client, login_as):
    ids = _dossiers(app)
    with app.app_context():
        counts = {
            r.agency_id: (r.received_by_post, r.returned_by_post, r.returned_without_tracking)
            for r in postal.postal_counts(db.session, dt.date(2019, 1, 1), dt.date(2019, 12, 31))
        }
        assert counts == {ids["gt"]: (1, 2, 1), ids["tp"]: (1, 0, 0)}
        assert postal.returned_by_post(db.session, dt.date(2019, 1, 1), dt.date(2019, 12, 31)) == 2
        assert postal.returned_by_post(db.session, dt.date(2020, 1, 1), dt.date(2020, 12, 31)) == 0
    login_as("staff")
    listing = client.get("/postal/").get_data(as_text=True)
    assert C1 in listing and C2 in listing
    assert C3 not in listing and "190304-0004" not in listing  # other agency; not postal
    assert client.get(f"/postal/details/?id={ids['d3']}").status_code == 404  # not found
    arg = _equal_filter_arg(app, "postal", "channel")
    by_channel = client.get(f"/postal/?{arg}=postal").get_data(as_text=True)
    assert C1 in by_channel and C2 not in by_channel
    by_search = client.get("/postal/?search=PHAM thi cuc").get_data(as_text=True)
    assert C2 in by_search and C1 not in by_search
    totals = client.get("/postal/totals/?from=2019-01-01&to=2019-12-31").get_data(as_text=True)
    assert "Sở Tư pháp" not in totals and "Sở Giao thông vận tải" in totals


# ---- courier runs -----------------------------------------------------------------------------


def _run_data(agency_id, codes, **kw):
    data = {
        "run_date": "2019-03-05",
        "slot": "10:30",
        "direction": "to_agency",
        "agency": str(agency_id),
        "note": "",
        "codes": codes,
    }
    data.update(kw)
    return data


def test_staff_add_dossiers_to_a_run_by_code(app, client, login_as):
    ids = _dossiers(app)
    login_as("staff")
    # Scanned codes: one per line, any case, duplicates and blank lines ignored.
    codes = f"{C1}\n\n{C2.lower()}\r\n{C1}\n"
    response = client.post("/courier_run/new/", data=_run_data(ids["gt"], codes))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        run = db.session.query(CourierRun).one()
        assert sorted(i.dossier_id for i in run.items) == [ids["d1"], ids["d2"]]
        assert run.created_by.username == "staff1"
        run_id = run.id
    # Adding the same codes again changes nothing; a new one is added.
    client.post(
        f"/courier_run/edit/?id={run_id}",
        data=_run_data(ids["gt"], f"{C1}\n000.00.20.H37-190304-0004"),
    )
    with app.app_context():
        assert _count(CourierItem, run_id=run_id) == 3
    details = client.get(f"/courier_run/details/?id={run_id}").get_data(as_text=True)
    assert C2 in details
    # The list's count is the run's kept count (domain/courier_count.py), current at once.
    listing = client.get("/courier_run/").get_data(as_text=True)
    assert re.search(r'<td class="col-item_count">\s*3\s*</td>', listing), listing[-3000:]


def test_unknown_or_other_agency_codes_refuse_the_whole_batch(app, client, login_as):
    ids = _dossiers(app)
    login_as("staff")
    response = client.post(
        "/courier_run/new/", data=_run_data(ids["gt"], f"{C1}\n{C3}\nKHONG-CO-MA")
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Không hồ sơ nào được thêm." in text
    assert "Mã không tồn tại: KHONG-CO-MA." in text
    assert f"Mã hồ sơ của cơ quan khác: {C3}." in text
    with app.app_context():
        assert _count(CourierRun) == 0 and _count(CourierItem) == 0
    # A run of another agency cannot be created by staff either.
    client.post("/courier_run/new/", data=_run_data(ids["tp"], C3))
    with app.app_context():
        assert _count(CourierRun) == 0
    # On an existing run: nothing is added when one code is wrong.
    assert client.post("/courier_run/new/", data=_run_data(ids["gt"], C1)).status_code == 302
    with app.app_context():
        run_id = db.session.query(CourierRun).one().id
    client.post(f"/courier_run/edit/?id={run_id}", data=_run_data(ids["gt"], f"{C2}\n{C3}"))
    with app.app_context():
        assert [i.dossier_id for i in db.session.get(CourierRun, run_id).items] == [ids["d1"]]
    # The same date, slot, direction and agency twice: refused with a message.
    twice = client.post("/courier_run/new/", data=_run_data(ids["gt"], C2))
    assert "Đã có chuyến cho ngày, giờ, chiều và cơ quan này" in twice.get_data(as_text=True)
    with app.app_context():
        assert _count(CourierRun) == 1


def test_courier_counts_per_direction_and_agency(app, client, login_as):
    ids = _dossiers(app)
    with app.app_context():
        gt, tp = db.session.get(Agency, ids["gt"]), db.session.get(Agency, ids["tp"])
        runs = [
            CourierRun(
                run_date=dt.date(2019, 3, 5), slot="10:30", direction="to_agency", agency=gt
            ),
            CourierRun(
                run_date=dt.date(2019, 3, 5), slot="16:00", direction="to_center", agency=gt
            ),
            CourierRun(
                run_date=dt.date(2019, 3, 6), slot="10:30", direction="to_agency", agency=tp
            ),
            CourierRun(
                run_date=dt.date(2020, 1, 2), slot="10:30", direction="to_agency", agency=gt
            ),
            # A run that carried nothing: a run, no dossier.
            CourierRun(
                run_date=dt.date(2019, 3, 6), slot="16:00", direction="to_center", agency=tp
            ),
        ]
        db.session.add_all(runs)
        db.session.flush()
        assert courier.add_codes_to_run(db.session, runs[0], f"{C1}\n{C2}") != []
        courier.add_codes_to_run(db.session, runs[1], C1)
        courier.add_codes_to_run(db.session, runs[2], C3)
        courier.add_codes_to_run(db.session, runs[3], C2)
        with pytest.raises(RuleError) as error:
            courier.add_codes_to_run(db.session, runs[2], f"{C1}\nX")
        assert error.value.params == {"unknown": ["X"], "other_agency": [C1]}
        db.session.commit()
        year = (dt.date(2019, 1, 1), dt.date(2019, 12, 31))
        assert courier.courier_summary(db.session, *year) == {"to_agencies": 3, "to_center": 1}
        rows = {
            (r.agency_id, r.direction): (r.runs, r.dossiers)
            for r in courier.courier_counts(db.session, *year)
        }
        assert rows == {
            (ids["gt"], "to_agency"): (1, 2),
            (ids["gt"], "to_center"): (1, 1),
            (ids["tp"], "to_agency"): (1, 1),
            (ids["tp"], "to_center"): (1, 0),
        }
    login_as("staff")
    totals = client.get("/courier_run/totals/?from=2019-01-01&to=2019-12-31").get_data(as_text=True)
    assert "Sở Giao thông vận tải" in totals and "Sở Tư pháp" not in totals


def test_parse_codes():
    assert courier.parse_codes(" a-1 \n\nB-2, b-2; c-3\t") == ["A-1", "B-2", "C-3"]
    assert courier.parse_codes(None) == []

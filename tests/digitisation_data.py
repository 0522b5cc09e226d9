"""The digitisation data set worked by hand (issue 14 point 4; Decision 766 group 4): the
figures are checked in tests/domain/test_digitisation.py, the report page in
tests/views/test_report_digitisation.py and tests/browser/test_e2e_report_digitisation.py; the
`digitised` fixture of those modules loads it."""

import datetime as dt

from sqlalchemy import select

from domain import files
from domain.status import Status
from models import Agency, Dossier, DossierDocument, Procedure, User, db
from tests import file_samples as samples

T = dt.datetime
MARCH = (dt.date(2019, 3, 1), dt.date(2019, 3, 31))


def build_data(session, files_dir) -> None:
    """Agencies SGTVT and STP (the `users` fixture). Period: March 2019.

    SGTVT, received in March (6 with I below):
      A  two documents, both scanned on the acceptance day (one at 17:30)   scanned
         resolved 20/03 (status 10) with an electronic result               with result
      B  two documents, only one scanned                                    not scanned
         resolved 25/03 (status 9), no result                               no result
      C  one document whose only scan was withdrawn                         not scanned
      D  one document scanned the day after acceptance (late)               not scanned
      E  no received document, only a scan of the whole dossier             not scanned
    SGTVT, not received in March: H accepted 28/02 23:59 (all scanned), G accepted 01/04 00:00
      (all scanned, resolved in April with a result), J refused in March (all scanned).
    SGTVT, resolved in March besides A and B: F (accepted in February) whose result was
      withdrawn -> no result. I accepted in March (one document, not scanned) and stopped
      (status 8): received, not scanned, and not a resolved dossier (no result to have).
    STP: K one document scanned at intake, resolved 31/03 23:59 with a result.

    SGTVT: received 6 (A-E, I), scanned 1 (16.67 %); resolved 3 (A, B, F), with result 1
           (33.33 %).
    STP:   received 1, scanned 1 (100 %); resolved 1, with result 1 (100 %).
    Total: received 7, scanned 2 (28.57 %); resolved 4, with result 2 (50 %)."""
    gt = session.scalar(select(Agency).where(Agency.code == "SGTVT"))
    tp = session.scalar(select(Agency).where(Agency.code == "STP"))
    clerk = session.scalar(select(User).where(User.username == "staff1"))
    p1 = Procedure(code="1.000001", name="Cấp đổi giấy phép lái xe", agency=gt, processing_days=5)
    p2 = Procedure(code="1.000002", name="Cấp phiếu lý lịch tư pháp", agency=tp, processing_days=10)
    session.add_all([p1, p2])
    pdf = files.check_content(samples.pdf(), "scan.pdf")
    result_pdf = files.check_content(samples.pdf(pages=2), "ket-qua.pdf")

    def dossier(name, proc, accepted, docs=0, status=Status.ACCEPTED, resolved=None, closed=None):
        d = Dossier(
            procedure=proc,
            agency=proc.agency,
            applicant_name=name,
            channel="direct",
            status=status,
            accepted_at=accepted,
            due_date=accepted.date() + dt.timedelta(days=10),
            resolved_at=resolved,
            closed_at=closed,
            documents=[DossierDocument(name=f"Giấy tờ {i + 1}", kind="copy") for i in range(docs)],
        )
        session.add(d)
        session.flush()
        return d

    def scan(d, at, document=None):
        return files.attach(
            session, d, pdf, "scan.pdf", files_dir, clerk, at, document=document, kind="scan"
        )

    def result(d, at):
        return files.attach(
            session, d, result_pdf, "ket-qua.pdf", files_dir, clerk, at, kind="result"
        )

    a = dossier(
        "A", p1, T(2019, 3, 4, 9), docs=2, status=Status.RETURNED, resolved=T(2019, 3, 20, 10)
    )
    scan(a, T(2019, 3, 4, 9, 5), a.documents[0])
    scan(a, T(2019, 3, 4, 17, 30), a.documents[1])
    result(a, T(2019, 3, 20, 10, 5))
    b = dossier(
        "B", p1, T(2019, 3, 5, 9), docs=2, status=Status.RESOLVED, resolved=T(2019, 3, 25, 15)
    )
    scan(b, T(2019, 3, 5, 9, 5), b.documents[0])
    c = dossier("C", p1, T(2019, 3, 6, 9), docs=1)
    files.withdraw(
        session,
        scan(c, T(2019, 3, 6, 9, 5), c.documents[0]),
        clerk,
        T(2019, 3, 6, 10),
        "Quét nhầm hồ sơ khác",
    )
    d = dossier("D", p1, T(2019, 3, 7, 16), docs=1)
    scan(d, T(2019, 3, 8, 8), d.documents[0])
    e = dossier("E", p1, T(2019, 3, 8, 9))
    scan(e, T(2019, 3, 8, 9, 5))
    for name, accepted, status in (
        ("H", T(2019, 2, 28, 23, 59), Status.ACCEPTED),
        ("G", T(2019, 4, 1, 0, 0), Status.RETURNED),
        ("J", T(2019, 3, 11, 9), Status.REFUSED),
    ):
        x = dossier(
            name,
            p1,
            accepted,
            docs=1,
            status=status,
            resolved=T(2019, 4, 10) if name == "G" else None,
            closed=T(2019, 3, 11, 9, 30) if name == "J" else None,
        )
        scan(x, accepted, x.documents[0])
        if name == "G":
            result(x, T(2019, 4, 10, 9))
    f = dossier(
        "F", p1, T(2019, 2, 20, 9), docs=1, status=Status.RETURNED, resolved=T(2019, 3, 1, 0, 0)
    )
    scan(f, T(2019, 2, 20, 9), f.documents[0])
    files.withdraw(session, result(f, T(2019, 3, 1, 8)), clerk, T(2019, 3, 1, 9), "Nhầm kết quả")
    dossier("I", p1, T(2019, 3, 12, 9), docs=1, status=Status.STOPPED, closed=T(2019, 3, 20, 9))
    k = dossier(
        "K", p2, T(2019, 3, 15, 14), docs=1, status=Status.RETURNED, resolved=T(2019, 3, 31, 23, 59)
    )
    scan(k, T(2019, 3, 15, 14, 10), k.documents[0])
    result(k, T(2019, 3, 31, 23, 59))
    session.commit()


def load_digitised(app, tmp_path):
    """The data set loaded into `app` (files under tmp_path/files): the `digitised` fixture of
    the tests that read it, after the `users` fixture."""
    app.config["FILES_DIR"] = str(tmp_path / "files")
    with app.app_context():
        build_data(db.session, tmp_path / "files")
    return app

"""domain/procedure_documents.py: each of a procedure's documents has its own number (STT). A
number left blank gets the next free one; a number given twice is named with the row that has it
first; renumbered rows (two swapped, one deleted and another added in its place) are written
without meeting the unique (procedure, position) half way, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from domain.procedure_documents import settle_positions, store_positions
from models import ProcedureDocument
from tests.factories import create_agency, licence_procedure


def test_blank_numbers_get_the_next_free_ones_in_order():
    assert settle_positions([1, 2, 3, None, None]) == ([1, 2, 3, 4, 5], [])
    assert settle_positions([None, 7, None]) == ([8, 7, 9], [])
    assert settle_positions([None]) == ([1], [])
    assert settle_positions([]) == ([], [])


def test_a_number_given_twice_names_the_earlier_row():
    # Three documents, then two rows added with the default STT 1 (the reviewer's case).
    assert settle_positions([1, 2, 3, 1, 1]) == ([1, 2, 3, 1, 1], [(3, 0), (4, 0)])
    assert settle_positions([2, None, 3]) == ([2, 4, 3], [])
    assert settle_positions([1, None, 4]) == ([1, 5, 4], [])
    assert settle_positions([3, 1, 3]) == ([3, 1, 3], [(2, 0)])


def _procedure(db_session, *names):
    procedure = licence_procedure(
        create_agency(),
        documents=[ProcedureDocument(position=i, name=n) for i, n in enumerate(names, start=1)],
    )
    db_session.add(procedure)
    db_session.commit()
    return procedure


def _numbers(db_session, procedure) -> list[tuple[int, str]]:
    db_session.expire_all()
    return db_session.execute(
        select(ProcedureDocument.position, ProcedureDocument.name)
        .where(ProcedureDocument.procedure_id == procedure.id)
        .order_by(ProcedureDocument.position)
    ).all()


def test_two_documents_swap_their_numbers(db_session):
    procedure = _procedure(db_session, "Đơn", "CCCD", "Ảnh")
    first, second, _third = procedure.documents
    with db_session.no_autoflush:
        first.position, second.position = 2, 1
    store_positions(db_session, procedure)
    db_session.commit()
    assert _numbers(db_session, procedure) == [(1, "CCCD"), (2, "Đơn"), (3, "Ảnh")]


def test_numbers_turned_round_and_a_row_put_in_the_place_of_a_deleted_one(db_session):
    procedure = _procedure(db_session, "Đơn", "CCCD", "Ảnh")
    first, second, third = procedure.documents
    with db_session.no_autoflush:
        first.position, second.position, third.position = 3, 1, 2
    store_positions(db_session, procedure)
    db_session.commit()
    assert _numbers(db_session, procedure) == [(1, "CCCD"), (2, "Ảnh"), (3, "Đơn")]

    db_session.delete(procedure.documents[0])  # CCCD, no. 1
    with db_session.no_autoflush:
        procedure.documents.append(ProcedureDocument(position=1, name="Giấy ủy quyền"))
    store_positions(db_session, procedure)
    db_session.commit()
    assert _numbers(db_session, procedure) == [(1, "Giấy ủy quyền"), (2, "Ảnh"), (3, "Đơn")]


def test_new_documents_at_new_numbers_are_written_in_one_flush(db_session):
    procedure = _procedure(db_session, "Đơn")
    procedure.documents.append(ProcedureDocument(position=2, name="CCCD"))
    store_positions(db_session, procedure)  # nothing to move out of the way
    assert db_session.new  # not flushed by store_positions
    db_session.commit()
    assert _numbers(db_session, procedure) == [(1, "Đơn"), (2, "CCCD")]

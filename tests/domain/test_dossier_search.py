"""A phone number is searched by its digits too: the rule of what is stored (text.searchable_text,
models.Dossier), what a search looks for (dossier_search.search_terms) and the indexed criterion
(search_index.contains_any) — the same results as the plain LIKE, through the index, on both
databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from domain.dossier_search import search_terms
from domain.search_index import contains_any, fts_table, trigram_index
from domain.text import phone_digits, phone_numbers_in, searchable_text
from models import Agency, Dossier, Procedure, db


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("(0205) 3871-234", "02053871234"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0912345678", "0912345678"),
        ("0912", None),
        ("abc-not-phone", None),
        (None, None),
    ],
)
def test_a_phone_number_as_its_digits(typed, digits):
    assert phone_digits(typed) == digits


def test_the_search_text_holds_the_digits_of_each_phone_number_once():
    assert phone_numbers_in("0912 345 678 / 0205.3871.234; 0912-345-678") == [
        "0912345678",
        "02053871234",
    ]
    assert searchable_text(["HS-1", "Lê Văn Cường", "0912 345 678"], ["0912 345 678"]) == (
        "hs-1 le van cuong 0912 345 678 0912345678"
    )
    # Already a word: nothing added (the stored text of digits-only phones does not change).
    assert searchable_text(["HS-1", "0912345678"], ["0912345678"]) == "hs-1 0912345678"
    assert searchable_text(["HS-1", "không rõ"], ["không rõ"]) == "hs-1 khong ro"
    assert searchable_text(["", None], ["+84 912 345 678"]) == "0912345678"


def test_what_a_search_looks_for():
    assert search_terms("0912345678") == [(("0912345678",),)]
    assert search_terms("0912 345 678") == [(("0912", "345", "678"), ("0912345678",))]
    assert search_terms("+84 912.345.678") == [(("+84", "912.345.678"), ("0912345678",))]
    assert search_terms("cường 0912.345.678") == [
        (("cuong",),),
        (("0912.345.678",), ("0912345678",)),
    ]
    # Not phone numbers: the words alone, as before.
    assert search_terms("1.004616") == [(("1.004616",),)]
    assert search_terms("12.345678") == [(("12.345678",),)]  # a procedure code, 8 digits
    assert search_terms("Nguyễn An") == [(("nguyen",),), (("an",),)]
    assert search_terms("  ") == []


PHONES = ["0912 345 678", "0912345678", "+84 912 345 678", "0912.345.679", "0205 3871 234", None]


def _dossiers() -> list[int]:
    agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
    procedure = Procedure(code="1.000002", name="Thủ tục thử", agency=agency, processing_days=1)
    dossiers = [
        Dossier(procedure=procedure, agency_id=agency.id, applicant_name=f"Người {i}", phone=p)
        for i, p in enumerate(PHONES)
    ]
    db.session.add_all(dossiers)
    db.session.flush()
    return [d.id for d in dossiers]


def _found(query: str, indexed: bool) -> list[int]:
    dialect = db.session.get_bind().dialect.name
    statement = select(Dossier.id).order_by(Dossier.id)
    for term in search_terms(query):
        statement = statement.where(
            contains_any(dialect if indexed else "plain", Dossier.search_text, term)
        )
    return list(db.session.scalars(statement))


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("0912345678", [0, 1, 2]),
        ("0912 345 678", [0, 1, 2]),
        ("0912.345.678", [0, 1, 2]),
        ("+84 912 345 678", [0, 1, 2]),
        ("0912 345 679", [3]),
        ("0912-345", []),  # not a phone number (7 digits): the word as typed, nowhere
        ("345 67", [0, 1, 2, 3]),
        ("02053871234", [4]),
        ("nguoi 3 0912.345.679", [3]),
        ("0999 999 999", []),
    ],
)
def test_a_phone_number_is_found_whatever_the_spacing(app, users, query, found):
    with app.app_context():
        ids = _dossiers()
        assert _found(query, indexed=True) == [ids[i] for i in found]
        assert _found(query, indexed=False) == [ids[i] for i in found]  # the plain LIKE


def test_the_phone_search_uses_the_index(app, users):
    with app.app_context():
        _dossiers()
        dialect = db.session.get_bind().dialect.name
        (term,) = search_terms("0912 345 678")
        query = select(Dossier.id).where(contains_any(dialect, Dossier.search_text, term))
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        if dialect == "postgresql":
            db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a few rows: it would scan
            plan = "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
            assert trigram_index("dossier") in plan and "Seq Scan" not in plan, plan
        else:
            plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            assert any(
                "VIRTUAL TABLE INDEX" in row[-1] and fts_table("dossier") in row[-1] for row in plan
            ), plan
            assert not any(row[-1] == "SCAN dossier" for row in plan), plan

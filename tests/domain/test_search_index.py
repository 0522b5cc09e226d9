"""The indexed search (issue 16) finds exactly what the plain accent-free LIKE finds, on random
data, on both databases; the index follows inserts, changes and deletes; and the database uses it
(its plan names it)."""

from __future__ import annotations

import random

from sqlalchemy import select, text

from domain.search_index import contains_word, fts_table, trigram_index
from domain.text import search_words
from models import Agency, Dossier, Procedure, db

ALPHABET = "anhđăâêôơưbcdgiklmnopqrstuvxy0123456789 -_%'\".é"


def _dossiers(n: int, rng: random.Random) -> None:
    agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
    procedure = Procedure(code="1.000002", name="Thủ tục thử", agency=agency)
    db.session.add(procedure)
    for i in range(n):
        name = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 18)))
        db.session.add(
            Dossier(
                procedure=procedure,
                agency_id=agency.id,
                code=f"R-{i:04d}",
                applicant_name=name,
                phone=str(rng.randint(10**8, 10**9)),
            )
        )
    db.session.flush()


def _found(words, indexed: bool) -> list[int]:
    dialect = db.session.get_bind().dialect.name
    query = select(Dossier.id).order_by(Dossier.id)
    for word in words:
        query = query.where(
            contains_word(dialect, Dossier.search_text, word)
            if indexed
            else Dossier.search_text.contains(word, autoescape=True)
        )
    return list(db.session.scalars(query))


def test_indexed_search_finds_what_like_finds(app, users):
    rng = random.Random(16)
    with app.app_context():
        _dossiers(300, rng)
        texts = list(db.session.scalars(select(Dossier.search_text)))
        terms = []
        for _ in range(150):
            source = rng.choice(texts)
            start = rng.randrange(max(1, len(source)))
            terms.append(source[start : start + rng.randint(1, 7)])  # found (1 to 7 characters)
        terms += [
            "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 6))) for _ in range(80)
        ]
        terms += ["%", "_", '"', "'", "r-00", "ánh", "ĐĂNG", "100%", 'a"b']
        found_some = 0
        for term in terms:
            words = search_words(term)
            if not words:
                continue
            expected = _found(words, indexed=False)
            assert _found(words, indexed=True) == expected, term
            found_some += bool(expected)
        assert found_some > 100  # the comparison is not only over empty results


def test_the_index_follows_changes(app, users):
    with app.app_context():
        _dossiers(3, random.Random(1))
        dossier = db.session.scalar(select(Dossier).where(Dossier.code == "R-0001"))
        dossier.applicant_name = "Phạm Quỳnh Hương"
        db.session.flush()
        assert _found(["quynh", "huong"], indexed=True) == [dossier.id]
        dossier.applicant_name = "Lê Thị Mai"
        db.session.flush()
        assert _found(["quynh"], indexed=True) == []
        assert _found(["thi mai"], indexed=True) == [dossier.id]  # one phrase with a space
        db.session.delete(dossier)
        db.session.flush()
        assert _found(["mai"], indexed=True) == []


def test_the_search_uses_its_index(app, users):
    with app.app_context():
        _dossiers(20, random.Random(2))
        dialect = db.session.get_bind().dialect.name
        query = select(Dossier.id).where(contains_word(dialect, Dossier.search_text, "quynh"))
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        if dialect == "postgresql":
            db.session.execute(text("SET LOCAL enable_seqscan = off"))  # 20 rows: it would scan
            plan = "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
            assert trigram_index("dossier") in plan, plan
        else:
            plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            assert any(
                "VIRTUAL TABLE INDEX" in row[-1] and fts_table("dossier") in row[-1] for row in plan
            ), plan

"""``mrasla fsck`` finds what an operator must know about: lost or altered files, gaps, broken audit."""

from __future__ import annotations

import os
import time

from sqlalchemy import text

from mrasla_app import db
from mrasla_app.cli import main
from mrasla_app.services.platform import fsck, storage
from mrasla_app.services.portal import deposits
from tests.files import pdf_bytes


def _deposit(seeded, pdf: bytes) -> deposits.DepositResult:
    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Karima Idrissi",
        id_kind="CIN",
        id_value="E112233",
        email="",
        phone="0613141516",
        subject="Attestation",
        files=[("lettre.pdf", pdf)],
    )
    with db.write_session() as s:
        return deposits.submit(s, form)


def test_a_healthy_installation_is_consistent(seeded, capsys):
    _deposit(seeded, pdf_bytes())
    assert main(["fsck"]) == 0
    assert "consistent" in capsys.readouterr().out


def test_altered_and_missing_files_and_gaps_are_reported(seeded):
    pdf = pdf_bytes(2)
    _deposit(seeded, pdf)
    _deposit(seeded, pdf_bytes(3))
    path = storage.blob_path(__import__("hashlib").sha256(pdf).hexdigest())
    path.write_bytes(pdf + b"tampered")
    with db.write_session() as s:
        s.execute(
            text(
                "DELETE FROM document WHERE kind = 'receipt' AND id = (SELECT min(id) FROM document WHERE kind = "
                "'receipt')"
            )
        )
        s.execute(text("UPDATE registry_counter SET value = value + 1"))
    with db.read_session() as s:
        report = fsck.check(s)
    joined = "\n".join(report.problems)
    assert "content changed" in joined and "no sealed receipt" in joined and "without gaps" in joined
    assert main(["fsck"]) == 1


def test_garbage_collection_removes_only_old_unreferenced_files(seeded):
    _deposit(seeded, pdf_bytes())
    old, fresh = storage.put(b"left over by a refused upload"), storage.put(b"an upload in flight")
    past = time.time() - 2 * fsck.GC_GRACE_SECONDS
    os.utime(storage.blob_path(old), (past, past))
    with db.read_session() as s:
        assert sorted(fsck.check(s).orphans) == sorted([old, fresh])
        assert fsck.collect_garbage(s) == 1
        assert fsck.check(s).ok
    assert not storage.exists(old) and storage.exists(fresh)


def test_what_a_killed_write_leaves_is_collectable_not_a_problem(seeded, capsys):
    _deposit(seeded, pdf_bytes())
    orphan = storage.put(b"stored by a request killed before its commit")
    half = storage.blob_path(orphan).parent / f".{orphan}.k1ll3d.tmp"  # killed inside atomic_write
    half.write_bytes(b"stored by a req")
    assert main(["fsck"]) == 0
    out = capsys.readouterr().out
    assert "2 unreferenced file(s) (collectable: --gc)" in out and "consistent" in out
    past = time.time() - 2 * fsck.GC_GRACE_SECONDS
    for path in (storage.blob_path(orphan), half):
        os.utime(path, (past, past))
    assert main(["fsck", "--gc"]) == 0
    assert "2 removed" in capsys.readouterr().out and not half.exists() and not storage.exists(orphan)

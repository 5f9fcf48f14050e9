"""Benchmark — ``mrasla archive-refresh`` (``services.archive.refresh_archives``) on N receipts (10,000).

How the N receipts are made (issuing 10,000 real deposits would take most of the run): in a fresh
data directory (migrated SQLite, demo directory seeded) ONE real deposit is made through
``deposits.submit``; its receipt is extended to B-LTA by the real background step
(``archive.extend_receipts``). Its ``Document`` row is then cloned N-1 times (same correspondence,
same stored blob, ``signature_level`` B-LTA) and every row's ``archive_expires_at`` is set 30 days
ahead, i.e. what the rows look like when the TSA certificate of their newest timestamp nears
expiry. The refresh does per row exactly what it does in production: read the blob, add DSS
validation data and a new document timestamp (one OCSP batch per 100), store the new file
(each is distinct: new timestamp) and update the row with an audit event. Difference from
production: the N rows share one source blob, so its reads come from the page cache.

Measured: the first run of ``mrasla archive-refresh`` (in process, ``cli.main``, default margin
365 days) — total and per document — then the second run with the same arguments, which must find
nothing to do (idempotent: the new TSA certificate expires years ahead). Prints the machine load.
Not part of ``make test``. Usage: ``python bench/archive_refresh.py [N]`` (default 10000).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MRASLA_DATA_DIR", tempfile.mkdtemp(prefix="mrasla-bench-"))

from sqlalchemy import func, insert, select, update  # noqa: E402

from bench.loadserver import load, machine  # noqa: E402
from mrasla_app import cli, db  # noqa: E402
from mrasla_app.models import Administration, Document, DocumentKind  # noqa: E402
from mrasla_app.models.base import utcnow  # noqa: E402
from mrasla_app.pki import ltv  # noqa: E402
from mrasla_app.services.platform import archive
from mrasla_app.services.platform.seed import seed_demo  # noqa: E402
from mrasla_app.services.portal import deposits  # noqa: E402


def make_receipts(n: int) -> None:
    """One real B-LTA receipt, then ``n - 1`` clones of its row (see module doc)."""
    db.migrate()
    with db.write_session() as session:
        seed_demo(session)
        adm_id = session.execute(select(Administration.id).where(Administration.code == "MEF")).scalar_one()
        deposits.submit(
            session,
            deposits.DepositForm(
                administration_id=adm_id,
                full_name="Salma Bennis",
                id_kind="CIN",
                id_value="AB123456",
                email="salma@example.ma",
                phone="",
                subject="طلب شهادة إدارية",
            ),
        )
    assert archive.extend_receipts(now=utcnow() + archive.GRACE + timedelta(seconds=1)) == 1
    with db.write_session() as session:
        doc = session.execute(select(Document).where(Document.kind == DocumentKind.receipt)).scalar_one()
        columns = {c.name: getattr(doc, c.name) for c in Document.__table__.columns if c.name != "id"}
        columns["archive_expires_at"] = utcnow() + timedelta(days=30)
        rows = [columns | {"position": i} for i in range(1, n)]
        for start in range(0, len(rows), 1000):
            session.execute(insert(Document), rows[start : start + 1000])
        session.execute(
            update(Document)
            .where(Document.kind == DocumentKind.receipt)
            .values(archive_expires_at=columns["archive_expires_at"])
        )


def timed_refresh() -> float:
    start = time.perf_counter()
    assert cli.main(["archive-refresh"]) == 0
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print(f"machine {machine()}, load before {load()}", flush=True)
    t0 = time.perf_counter()
    make_receipts(n)
    print(f"{n:,} B-LTA receipts ready in {time.perf_counter() - t0:.1f} s", flush=True)
    first = timed_refresh()
    with db.read_session() as session:
        refreshed = session.execute(
            select(func.count())
            .select_from(Document)
            .where(
                Document.kind == DocumentKind.receipt,
                Document.signature_level == ltv.LEVEL_B_LTA,
                Document.archive_expires_at > utcnow() + ltv.REFRESH_MARGIN,
            )
        ).scalar_one()
    assert refreshed == n, f"{refreshed} of {n} refreshed"
    second = timed_refresh()
    print(f"first run: {first:.1f} s total, {first / n * 1000:.1f} ms per document ({n:,} re-timestamped)")
    print(f"second run (nothing left to do): {second * 1000:.0f} ms")
    print(f"load after {load()}")


if __name__ == "__main__":
    main()

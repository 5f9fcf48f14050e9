"""Benchmark — what durable SQLite commits cost a whole portal deposit.

The app commits with ``PRAGMA synchronous=FULL`` (a commit is on disk before the citizen gets the
receipt); ``NORMAL`` would be faster but may lose the last commits on a power cut. Both settings
run alternately in one run on the same database: deposit = files inspected and stored, number,
rows, sealed receipt, audit event, one transaction. Prints medians and the difference; writes
``bench/out/durable_commits.json``. Usage: ``python bench/durable_commits.py [runs]`` (default 20).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["MRASLA_DATA_DIR"] = tempfile.mkdtemp(prefix="mrasla-bench-")
os.environ.pop("MRASLA_DATABASE_URL", None)

from fpdf import FPDF  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from bench.receipt_issuance import stats  # noqa: E402
from mrasla_app import db  # noqa: E402
from mrasla_app.models import Administration  # noqa: E402
from mrasla_app.pki.ca import load_or_create_pki  # noqa: E402
from mrasla_app.services.platform.seed import seed_demo  # noqa: E402
from mrasla_app.services.portal import deposits  # noqa: E402

MODES = ("FULL", "NORMAL")


def _letter(i: int) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(0, 10, f"Demande n. {i}")
    return bytes(pdf.output())


def main(runs: int = 20) -> dict:
    db.migrate()
    load_or_create_pki()
    with db.write_session() as session:
        seed_demo(session)
        adm = session.execute(select(Administration.id).where(Administration.code == "MEF")).scalar_one()
    mode = {"value": MODES[0]}

    @event.listens_for(db.engine(write=True), "checkout")
    def _synchronous(dbapi_conn, _record, _proxy) -> None:  # each write transaction takes a connection
        dbapi_conn.execute(f"PRAGMA synchronous={mode['value']}")

    samples: dict[str, list[float]] = {m: [] for m in MODES}
    for i in range(runs + 1):
        for m in MODES:
            mode["value"] = m
            form = deposits.DepositForm(
                administration_id=adm,
                full_name="Salma Bennis",
                id_kind="CIN",
                id_value="AB123456",
                email="",
                phone="0612345678",
                subject=f"Demande {i}",
                files=[("lettre.pdf", _letter(i))],
            )
            t0 = time.perf_counter()
            deposits.submit_and_notify(form)
            if i:  # the first round warms both paths
                samples[m].append(time.perf_counter() - t0)
    result = {
        "benchmark": "durable_commits",
        "runs": runs,
        "machine": f"{platform.node()} {os.cpu_count()} CPU",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **{f"synchronous_{m.lower()}": stats(samples[m]) for m in MODES},
    }
    result["full_minus_normal_ms"] = result["synchronous_full"]["median_ms"] - result["synchronous_normal"]["median_ms"]
    print(f"{'one deposit, PRAGMA synchronous=':<40}{'median ms':>10}{'p95 ms':>10}{'per s':>8}")
    for m in MODES:
        s = result[f"synchronous_{m.lower()}"]
        print(f"{m:<40}{s['median_ms']:>10.1f}{s['p95_ms']:>10.1f}{s['per_second']:>8.1f}")
    print(f"durability costs {result['full_minus_normal_ms']:.1f} ms per deposit")
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "durable_commits.json").write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)

"""Benchmark — a batch of 50 signatures vs 50 separate single signatures, in the same run.

Both paths sign 50 folders of the demo data (one signature step for the director, a two-page
document with its signature page, PAdES B-LTA with the visible stamp), each folder in its own
write transaction, exactly as the application does:

- single: ``decisions.act(..., pin=PIN)`` per folder: each signature unlocks the key (scrypt on the
  PIN, AES-GCM, the sealed envelope) and builds its signer, as the folder page does;
- batch: ``services.parapheur.batch.run``: the PIN is checked and the key unlocked ONCE, the signer
  (and with it the cached pre-signing validation of its chain) built once, then ``act_one`` per folder.

The two series alternate halves (single, batch, single, batch) on a fresh SQLite database so a
warm-up or a slow spell of the shared machine does not favour one. Prints the totals and the
per-signature cost of both; writes ``bench/out/batch_signing.json``.
Usage: ``python bench/batch_signing.py [folders]`` (default 50).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["MRASLA_DATA_DIR"] = tempfile.mkdtemp(prefix="mrasla-bench-batch-")
os.environ.pop("MRASLA_DATABASE_URL", None)

from sqlalchemy import select  # noqa: E402

from mrasla_app import db  # noqa: E402
from mrasla_app.models import Folder, FolderStatus, User  # noqa: E402
from mrasla_app.services.directory.accounts import load_actor  # noqa: E402
from mrasla_app.services.parapheur import (  # noqa: E402
    batch,  # noqa: E402
    decisions,
    signing_keys,
    submission,
)
from mrasla_app.services.platform import seed
from tests.answered import two_page_pdf  # noqa: E402

PIN = "135790"
DIRECTOR, AGENT = "director.mef@mrasla.ma", "agent.mef@mrasla.ma"


def _actor(email: str):
    with db.read_session() as s:
        return load_actor(s, s.execute(select(User).where(User.email == email)).scalar_one())


def _folders(n: int, director_id: int) -> list[int]:
    agent, pdf, ids = _actor(AGENT), two_page_pdf(), []
    for i in range(n):
        with db.write_session() as s:
            folder = submission.create_folder(s, agent, f"Réponse {i + 1}", [("reponse.pdf", pdf)])
            submission.start(s, agent, folder.id, steps=[{"kind": "signature", "user_ids": [director_id]}])
            ids.append(folder.id)  # type: ignore[arg-type]
    return ids


def _single(director, ids: list[int]) -> list[float]:
    times = []
    for fid in ids:
        t0 = time.perf_counter()
        with db.write_session() as s:
            decisions.act(s, director, fid, "signed", pin=PIN)
        times.append(time.perf_counter() - t0)
    return times


def _batch(director, ids: list[int]) -> tuple[float, list[float]]:
    """(time to open the batch: PIN + key + signer, per-folder times)."""
    t0 = time.perf_counter()
    credential = batch.open_batch(director, "signed", PIN)
    opened = time.perf_counter() - t0
    times = []
    for fid in ids:
        t1 = time.perf_counter()
        outcome = batch.act_one(director, "signed", batch.Item(fid), credential)
        times.append(time.perf_counter() - t1)
        assert outcome.ok, outcome
    return opened, times


def main(n: int = 50) -> dict:
    db.migrate()
    with db.write_session() as s:
        seed.seed_demo(s)
    director = _actor(DIRECTOR)
    with db.write_session() as s:
        signing_keys.enroll(s, director, PIN)
    ids = _folders(2 * n + 2, director.user_id)
    warm, ids = ids[:2], ids[2:]
    _single(director, warm[:1])
    _batch(director, warm[1:])
    half = n // 2
    singles, batched, opened = [], [], 0.0
    s_ids, b_ids = ids[:n], ids[n:]
    for part in (slice(0, half), slice(half, n)):
        singles += _single(director, s_ids[part])
        o, times = _batch(director, b_ids[part])
        opened += o
        batched += times
    with db.read_session() as s:
        statuses = {s.get(Folder, fid).status for fid in ids}
    assert statuses == {FolderStatus.completed}, statuses
    # The batch page opens the batch once: count one opening (the mean of the two measured) in its total.
    batch_total = sum(batched) + opened / 2
    single_total = sum(singles)
    result = {
        "benchmark": "batch_signing",
        "signatures": n,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "single": {
            "total_s": round(single_total, 3),
            "per_signature_ms": round(single_total / n * 1000, 1),
            "median_ms": round(statistics.median(singles) * 1000, 1),
        },
        "batch": {
            "total_s": round(batch_total, 3),
            "per_signature_ms": round(batch_total / n * 1000, 1),
            "median_ms": round(statistics.median(batched) * 1000, 1),
            "open_ms": round(opened / 2 * 1000, 1),
        },
    }
    result["saved_per_signature_ms"] = round(
        result["single"]["per_signature_ms"] - result["batch"]["per_signature_ms"], 1
    )
    print(f"{n} signatures, PAdES B-LTA, one transaction per folder")
    print(f"{'path':<34}{'total s':>9}{'per sig ms':>12}{'median ms':>11}")
    for name in ("single", "batch"):
        r = result[name]
        print(f"{name:<34}{r['total_s']:>9.2f}{r['per_signature_ms']:>12.1f}{r['median_ms']:>11.1f}")
    print(f"batch opening (PIN check, key unlock, signer), paid once: {result['batch']['open_ms']:.1f} ms")
    print(f"saved per signature: {result['saved_per_signature_ms']:.1f} ms")
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "batch_signing.json").write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)

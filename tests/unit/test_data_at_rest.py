"""Data at rest (issue #12, finding 5): the database, its WAL and the data directory are private to
Mrasla's user, whatever the umask of the shell that started it; ``mrasla fsck`` reports otherwise."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mrasla_app import db
from mrasla_app.cli import main
from mrasla_app.services.platform import fsck

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_installation_is_private_under_an_open_umask(tmp_path):
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRASLA_")} | {"MRASLA_DATA_DIR": str(data)}
    # A write after the migration leaves the WAL and shared-memory files in place (the connection stays open).
    script = (
        "import os; os.umask(0o022)\n"
        "from mrasla_app.cli import main; assert main(['migrate']) == 0\n"
        "from sqlalchemy import text; from mrasla_app import db\n"
        'with db.write_session() as s: s.execute(text("CREATE TABLE probe (x int)"))\n'
        "import pathlib; d = pathlib.Path(os.environ['MRASLA_DATA_DIR'])\n"
        "print(sorted((p.name, oct(p.stat().st_mode & 0o777)) for p in [d, *d.iterdir()]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    modes = dict(eval(out.strip().splitlines()[-1]))  # noqa: S307 - our own script's output
    assert modes["data"] == "0o700"
    assert modes["mrasla.db"] == modes["mrasla.db-wal"] == modes["mrasla.db-shm"] == "0o600"


@pytest.mark.skipif(bool(os.environ.get("MRASLA_TEST_PG")), reason="the SQLite database file's mode")
def test_fsck_reports_an_open_database_or_directory(seeded, capsys):
    database = seeded.data_dir / "mrasla.db"
    with db.read_session():  # the test copied the database in with its own umask; opening it fixes that
        pass
    assert _mode(seeded.data_dir) == 0o700 and _mode(database) == 0o600  # made private when opened
    os.chmod(database, 0o644)
    os.chmod(seeded.data_dir, 0o755)
    with db.read_session() as s:
        problems = "\n".join(fsck.check(s).problems)
    assert f"readable by other users: {database} (mode 0644; chmod 600)" in problems
    assert f"readable by other users: {seeded.data_dir} (mode 0755; chmod 700)" in problems
    assert main(["fsck"]) == 1
    assert "readable by other users" in capsys.readouterr().out
    db.reset_engines()  # the next start takes the access away again
    with db.read_session() as s:
        assert fsck.check(s).ok

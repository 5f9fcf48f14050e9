"""Demo data as an explicit choice (issue #12, finding 4): the published demo accounts never serve a
reachable public URL by accident; ``mrasla init`` starts a real installation without them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from mrasla_app import db
from mrasla_app.cli import main
from mrasla_app.models import User
from mrasla_app.services.directory import accounts
from mrasla_app.services.platform import deployment
from mrasla_app.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://courrier.mrasla.gov.ma"


def _public(monkeypatch, url: str, allow: str = "0") -> None:
    monkeypatch.setenv("MRASLA_PUBLIC_URL", url)
    monkeypatch.setenv("MRASLA_ALLOW_DEMO_ON_PUBLIC", allow)
    get_settings.cache_clear()


def test_the_demo_refuses_a_public_url_unless_told(seeded, monkeypatch):
    _public(monkeypatch, "http://localhost:3000")
    assert deployment.demo_refusal(get_settings()) is None  # make run: the demo on loopback
    _public(monkeypatch, PUBLIC)
    refusal = deployment.demo_refusal(get_settings())
    assert refusal and PUBLIC in refusal and "admin@mrasla.ma" in refusal and "MRASLA_ALLOW_DEMO_ON_PUBLIC=1" in refusal
    _public(monkeypatch, PUBLIC, allow="1")
    assert deployment.demo_refusal(get_settings()) is None


def test_the_server_does_not_start_with_the_demo_on_a_public_url(seeded):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRASLA_") or k == "MRASLA_DATABASE_URL"}
    env.update(MRASLA_DATA_DIR=str(seeded.data_dir), MRASLA_PUBLIC_URL=PUBLIC, MRASLA_JOBS="0")
    started = subprocess.run(
        [sys.executable, "-c", "import mrasla_app.mrasla_app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert started.returncode != 0 and "Refusing to serve https://courrier.mrasla.gov.ma" in started.stderr


def test_init_creates_one_administrator_with_a_password_shown_once(fresh_db, monkeypatch, capsys):
    _public(monkeypatch, PUBLIC)
    assert main(["init", "--email", "Root@Mrasla.gov.ma", "--name", "Nadia Alaoui"]) == 0
    out = capsys.readouterr().out
    password = re.search(r"one-time password \(shown only now, store it safely\): (\S+)", out).group(1)  # type: ignore[union-attr]
    assert len(password) >= 20
    code = re.search(r"TOTP enrolment code \(one-time, valid 3 days\): (\S+)", out).group(1)  # type: ignore[union-attr]
    with db.write_session() as s:
        users = s.execute(select(User)).scalars().all()
        assert [(u.email, u.is_platform_admin) for u in users] == [("root@mrasla.gov.ma", True)]
        assert password not in users[0].password_hash
        assert accounts.authenticate(s, "root@mrasla.gov.ma", password)
        assert accounts._enrolment_code_ok(users[0], code)  # the printed code unlocks TOTP enrolment
    assert deployment.demo_refusal(get_settings()) is None  # no demo account: the server may start
    assert main(["init", "--email", "other@mrasla.gov.ma", "--name", "X"]) == 2
    assert "déjà initialisée" in capsys.readouterr().err

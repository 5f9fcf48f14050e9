"""Shared fixtures: a fresh, migrated SQLite database per test, optionally with the demo seed.

Alembic migrations and the demo seed (argon2 hashes) run once per test session into template
database files; each test gets its own copy in its own temporary data directory, with
``MRASLA_DATA_DIR`` pointing there and no ``MRASLA_DATABASE_URL`` / ``MRASLA_MASTER_KEY``.

Nothing here is autouse: modules that manage their own environment (e.g. the PKI tests) are
unaffected unless they ask for these fixtures.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mrasla_app import db
from mrasla_app.services.platform.seed import forget_handed_out_codes
from mrasla_app.settings import get_settings

DB_NAME = "mrasla.db"


# MRASLA_TEST_PG (e.g. postgresql+psycopg://postgres@127.0.0.1:5432) runs the same suite on PostgreSQL:
# templates become template databases and each test gets ``CREATE DATABASE … TEMPLATE …``.
PG_BASE = os.environ.get("MRASLA_TEST_PG", "").rstrip("/")


def _point_at(mp: pytest.MonkeyPatch, data_dir: Path, database_url: str | None = None) -> None:
    mp.setenv("MRASLA_DATA_DIR", str(data_dir))
    if database_url:
        mp.setenv("MRASLA_DATABASE_URL", database_url)
    else:
        mp.delenv("MRASLA_DATABASE_URL", raising=False)
    mp.delenv("MRASLA_MASTER_KEY", raising=False)
    get_settings.cache_clear()
    db.reset_engines()


def _copy_db(src: Path, dst: Path) -> None:
    """Copy a SQLite database consistently (WAL included) with the backup API."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(src) as s, sqlite3.connect(dst) as d:
        s.backup(d)
    s.close()
    d.close()


def _pg_admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    eng = create_engine(f"{PG_BASE}/postgres", isolation_level="AUTOCOMMIT")
    with eng.connect() as con:
        con.execute(text(sql))
    eng.dispose()


def _pg_clone(template: str, name: str) -> str:
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"' if template else f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


@pytest.fixture(scope="session")
def db_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    """Template databases built once: ``empty`` (migrated) and ``seeded`` (migrated + demo seed)."""
    from mrasla_app.services.platform.seed import seed_demo

    out: dict[str, Path | str] = {}
    mp = pytest.MonkeyPatch()
    try:
        empty = tmp_path_factory.mktemp("tpl-empty")
        seeded = tmp_path_factory.mktemp("tpl-seeded")
        if PG_BASE:
            _point_at(mp, empty, _pg_clone("", "mrasla_tpl_empty"))
            db.migrate()
            db.reset_engines()
            _point_at(mp, seeded, _pg_clone("mrasla_tpl_empty", "mrasla_tpl_seeded"))
            out["empty"], out["seeded"] = "mrasla_tpl_empty", "mrasla_tpl_seeded"
        else:
            _point_at(mp, empty)
            db.migrate()
            db.reset_engines()
            out["empty"] = empty / DB_NAME
            _copy_db(out["empty"], seeded / DB_NAME)  # type: ignore[arg-type]
            _point_at(mp, seeded)
            out["seeded"] = seeded / DB_NAME
        with db.write_session() as session:
            seed_demo(session)
        db.reset_engines()
        out["seeded_key"] = seeded / "master.key"  # seals the demo administrators' TOTP secrets
    finally:
        mp.undo()
        get_settings.cache_clear()
        db.reset_engines()
    return out


def _fresh(
    kind: str, templates: dict[str, Path | str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    key = templates.get(f"{kind}_key")
    if key is not None and Path(key).exists():
        shutil.copy(key, data_dir / "master.key")
    if PG_BASE:
        _point_at(monkeypatch, data_dir, _pg_clone(str(templates[kind]), "mrasla_test"))
        forget_handed_out_codes(get_settings().database_url)  # same name, new database: no code used yet
    else:
        _copy_db(templates[kind], data_dir / DB_NAME)  # type: ignore[arg-type]
        _point_at(monkeypatch, data_dir)
    yield data_dir
    db.reset_engines()
    get_settings.cache_clear()


@pytest.fixture
def fresh_db(db_templates: dict[str, Path | str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty, migrated database in a fresh data directory; yields the data directory."""
    yield from _fresh("empty", db_templates, tmp_path, monkeypatch)


@dataclass
class Demo:
    """Handles on the seeded demo data (ids are looked up on demand)."""

    data_dir: Path
    accounts: list = field(default_factory=list)

    def actor(self, email: str):
        """The ``Actor`` of a demo user, as a login would resolve it."""
        from mrasla_app.models import User
        from mrasla_app.services.directory.accounts import load_actor

        with db.read_session() as s:
            user = s.execute(select(User).where(User.email == email)).scalar_one()
            return load_actor(s, user)

    def user_id(self, email: str) -> int:
        from mrasla_app.models import User

        with db.read_session() as s:
            return s.execute(select(User.id).where(User.email == email)).scalar_one()

    def adm_id(self, code: str) -> int:
        from mrasla_app.models import Administration

        with db.read_session() as s:
            return s.execute(select(Administration.id).where(Administration.code == code)).scalar_one()

    def unit_id(self, adm_code: str, unit_code: str) -> int:
        from mrasla_app.models import Unit

        adm = self.adm_id(adm_code)
        with db.read_session() as s:
            return s.execute(select(Unit.id).where(Unit.administration_id == adm, Unit.code == unit_code)).scalar_one()

    @staticmethod
    def counts() -> dict[str, int]:
        """Row counts of every directory/accounts/audit table (to prove a refusal changed nothing)."""
        from mrasla_app import models as m

        tables = {
            "administration": m.Administration,
            "unit": m.Unit,
            "user": m.User,
            "membership": m.RoleMembership,
            "delegation": m.Delegation,
            "audit": m.AuditEvent,
            "session": m.UserSession,
        }
        with db.read_session() as s:
            return {k: s.execute(select(func.count()).select_from(t)).scalar_one() for k, t in tables.items()}


@pytest.fixture
def seeded(db_templates: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    """A database holding the demo seed (see ``mrasla_app.services.platform.seed``)."""
    from mrasla_app.services.platform.seed import DEMO_ACCOUNTS

    for data_dir in _fresh("seeded", db_templates, tmp_path, monkeypatch):
        yield Demo(data_dir=data_dir, accounts=list(DEMO_ACCOUNTS))

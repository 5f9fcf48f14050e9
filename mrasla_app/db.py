"""Database engines and transaction helpers shared by every service.

Two kinds of sessions:
- ``read_session()`` for queries;
- ``write_session()`` for changes: one transaction that commits on success and rolls back on any
  exception. On SQLite it starts with ``BEGIN IMMEDIATE`` so writers serialise up front (the
  gap-free registry counters and the audit hash chain rely on that); on PostgreSQL row locks
  (``SELECT … FOR UPDATE``) serialise the same writers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, event, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

from mrasla_app.fsutil import SQLITE_COMPANIONS, make_private
from mrasla_app.settings import get_settings


def _private_database(path: Path) -> None:
    """The database file (created empty if absent, so SQLite never creates it with the umask's mode)
    and the companions SQLite gives the same mode: for the owner only. They hold password hashes,
    citizens' identities and e-mails."""
    make_private(path.parent, directory=True)
    make_private(path)
    for suffix in SQLITE_COMPANIONS[1:]:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            make_private(companion)


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        _private_database(Path(path))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - driver hook
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the caller answers. NORMAL would survive a killed process
        # but may lose the last commits on a power cut: a citizen would hold a receipt whose number
        # the registry then hands out again.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # pragma: no cover - driver hook
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


_ENGINES: dict[str, tuple[Engine, Engine]] = {}


def _engines(url: str) -> tuple[Engine, Engine]:
    """(reader, writer) engines for ``url``, built once per process; one engine on PostgreSQL."""
    if url not in _ENGINES:
        make_private(get_settings().data_dir, directory=True)
        if url.startswith("sqlite"):
            _ENGINES[url] = (_sqlite_engine(url, immediate=False), _sqlite_engine(url, immediate=True))
        else:
            eng = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
            _ENGINES[url] = (eng, eng)
    return _ENGINES[url]


def engine(write: bool = False) -> Engine:
    """The engine for the configured ``MRASLA_DATABASE_URL``."""
    reader, writer = _engines(get_settings().database_url)
    return writer if write else reader


@lru_cache(maxsize=8)
def _factory(eng: Engine) -> sessionmaker:
    return sessionmaker(eng, class_=Session, expire_on_commit=False)


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reads; nothing it does is committed."""
    with _factory(engine())() as session:
        yield session


# SQLite allows one writer at a time and its busy handler polls without fairness: under load a
# writer can starve past any timeout. Queueing this process's writers on a lock first makes them
# wait their turn instead (SQLite runs as a single worker; PostgreSQL needs no such lock).
_SQLITE_WRITER = threading.Lock()


@contextmanager
def _writer_turn(url: str) -> Iterator[None]:
    if not url.startswith("sqlite"):
        yield
        return
    if not _SQLITE_WRITER.acquire(timeout=120):
        raise TimeoutError("database writer queue timed out")
    try:
        yield
    finally:
        _SQLITE_WRITER.release()


@contextmanager
def write_session(url: str | None = None) -> Iterator[Session]:
    """One write transaction: commit on success, roll back on any exception. ``url``: another
    database than the configured one (work queued for a database the process has switched from)."""
    url = url or get_settings().database_url
    with _writer_turn(url), _factory(_engines(url)[1])() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


#: Called by ``reset_engines`` before the engines go: work still queued for them is written first.
BEFORE_RESET: list[Callable[[], None]] = []


def reset_engines() -> None:
    """Forget cached engines (tests switch databases between runs)."""
    for hook in BEFORE_RESET:
        hook()
    for reader, writer in _ENGINES.values():
        reader.dispose()
        writer.dispose()
    _ENGINES.clear()
    _factory.cache_clear()


def migrate() -> None:
    """Bring the configured database to the latest Alembic revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parent.parent
    make_private(get_settings().data_dir, directory=True)
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "alembic"))
    command.upgrade(cfg, "head")

"""The private upload spool (issue #12, finding 2): files on disk, private, within quotas, purged."""

from __future__ import annotations

import asyncio
import io
import os
import stat
import time

import pytest
from starlette.datastructures import UploadFile

from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import spool
from mrasla_app.settings import get_settings
from tests.files import pdf_bytes

MB = 1024 * 1024


@pytest.fixture
def small_quotas(tmp_path, monkeypatch):
    """A data directory with 1 MB files, 2 files per wizard, a 3 MB spool."""
    for name, value in (
        ("MRASLA_DATA_DIR", str(tmp_path)),
        ("MRASLA_MAX_UPLOAD_MB", "1"),
        ("MRASLA_MAX_FILES", "2"),
        ("MRASLA_SPOOL_MAX_MB", "3"),
    ):
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _store(client: str, size: int, cap: int = MB) -> spool.Spooled:
    return spool.store(client, io.BytesIO(b"x" * size), cap, "lettre.pdf")


def _files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def test_spooled_files_are_private_and_read_back(small_quotas):
    saved = _store("tab-1", 1000)
    path = next(iter(_files(get_settings().spool_dir)))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (
        stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        and stat.S_IMODE(get_settings().spool_dir.stat().st_mode) == 0o700
    )
    assert "tab-1" not in str(path)  # the client token is not written on disk
    assert spool.read("tab-1", saved.file_id) == b"x" * 1000 and saved.size == 1000
    with pytest.raises(DomainError) as other:
        spool.read("tab-2", saved.file_id)  # another client cannot name it
    assert other.value.code == "error.spool_expired"


def test_too_large_refused_while_copying_and_nothing_left(small_quotas):
    with pytest.raises(DomainError) as refused:
        _store("tab-1", MB + 1)
    assert refused.value.code == "error.file_too_large" and refused.value.params == {"name": "lettre.pdf", "max": 1}
    assert _files(get_settings().spool_dir) == []


def test_per_client_quota(small_quotas):
    _store("tab-1", MB)
    _store("tab-1", MB)
    with pytest.raises(DomainError) as refused:
        _store("tab-1", 10)
    assert refused.value.code == "error.spool_quota"
    _store("tab-2", 10)  # another client has its own quota
    assert len(_files(get_settings().spool_dir)) == 3


def test_global_quota(small_quotas):
    for client in ("a", "b", "c"):
        _store(client, MB)
    with pytest.raises(DomainError) as refused:
        _store("d", 10)
    assert refused.value.code == "error.spool_full"
    assert len(_files(get_settings().spool_dir)) == 3


def test_remove_and_purge_of_abandoned_wizards(small_quotas):
    kept, dropped, old = _store("tab-1", 10), _store("tab-1", 10), _store("tab-2", 10)
    spool.remove("tab-1", [dropped.file_id, "../../master.key", "not-an-id"])
    with pytest.raises(DomainError):
        spool.read("tab-1", dropped.file_id)
    long_ago = time.time() - spool.TTL_SECONDS - 60
    old_path = next(p for p in _files(get_settings().spool_dir) if p.name == old.file_id)
    os.utime(old_path, (long_ago, long_ago))
    os.utime(old_path.parent, (long_ago, long_ago))  # the wizard was abandoned: its directory is idle too
    assert spool.purge_expired() == 1
    assert spool.read("tab-1", kept.file_id) == b"x" * 10
    assert not old_path.parent.exists()  # the emptied client directory went too
    # On access: the next upload purges what has expired meanwhile.
    left = next(iter(_files(get_settings().spool_dir)))
    os.utime(left, (long_ago, long_ago))
    os.utime(left.parent, (long_ago, long_ago))
    _store("tab-3", 10)
    assert [p.parent.name for p in _files(get_settings().spool_dir)] == [spool._client_dir("tab-3").name]
    assert spool.usage() == 10


def test_accept_uploads_keeps_names_and_ids_never_bytes(small_quotas):
    from mrasla_app.ui.components.files import UploadedFile
    from mrasla_app.ui.pages.portal.common import accept_uploads, discard_uploads, spooled_files

    letter = pdf_bytes(2)

    def upload(name: str, data: bytes) -> UploadFile:
        return UploadFile(io.BytesIO(data), filename=name)

    kept: list[tuple[str, str]] = []
    shown: list[UploadedFile] = []
    refused = asyncio.run(
        accept_uploads(
            [
                upload("a.pdf", letter),
                upload("b.exe", b"MZ" + b"\0" * 100),
                upload("c.pdf", letter),
                upload("d.pdf", letter),
            ],
            kept,
            shown,
            "tab-1",
        )
    )
    assert [(n, e.code) for n, e in refused] == [("b.exe", "error.file_type"), ("d.pdf", "error.too_many_files")]
    assert [name for name, _ in kept] == ["a.pdf", "c.pdf"] and [s.pages for s in shown] == [2, 2]
    assert all(isinstance(file_id, str) and len(file_id) == 32 for _, file_id in kept)
    assert len(_files(get_settings().spool_dir)) == 2  # the refused file was not kept
    assert asyncio.run(spooled_files("tab-1", kept)) == [("a.pdf", letter), ("c.pdf", letter)]
    discard_uploads("tab-1", kept)
    assert _files(get_settings().spool_dir) == []
    with pytest.raises(DomainError) as expired:
        asyncio.run(spooled_files("tab-1", kept))
    assert expired.value.code == "error.spool_expired"


def test_one_clients_concurrent_copies_stay_within_its_quota(small_quotas):
    """Copies of one client arriving together (the wizard inspects two at a time, several requests may
    overlap) take turns: each sees what the others stored, so the quota holds exactly (it was overshot
    by one file when both measured the room before either wrote)."""
    from concurrent.futures import ThreadPoolExecutor

    class Slow(io.BytesIO):
        def read(self, size: int = -1) -> bytes:
            time.sleep(0.01)  # a slow network: copies overlap
            return super().read(min(size, 64 * 1024) if size and size > 0 else 64 * 1024)

    def copy(_i: int) -> str:
        try:
            spool.store("tab-1", Slow(b"x" * (MB * 3 // 4)), MB, "lettre.pdf")
            return "ok"
        except DomainError as exc:
            return exc.code

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(copy, range(4)))
    assert sorted(results) == ["error.spool_quota"] * 2 + ["ok"] * 2  # 2 MB quota: two files of 0.75 MB
    assert len(_files(get_settings().spool_dir)) == 2


def test_a_purge_never_pulls_a_fresh_directory_from_under_a_copy(small_quotas):
    """A copy makes its client's directory, then locks it and writes: a purge running meanwhile (another
    upload's) must leave that still-empty directory alone (it did, and the copy failed)."""
    directory = spool._client_dir("tab-9")
    spool._private_dir(directory.parent)
    spool._private_dir(directory)
    spool.purge_expired()
    assert directory.is_dir()
    assert _store("tab-9", 10).size == 10

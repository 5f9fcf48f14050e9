"""Master-key rotation (``mrasla rotate-master-key``): re-seal every secret under a new key.

What is sealed under the master key (``crypto.seal``): the platform's private keys in
``<data>/pki/*.key.sealed``, the users' TOTP secrets, the webhook endpoints' signing secrets, the mailboxes' IMAP
passwords, the outer layer of the signatories' key envelopes (the inner layer belongs to their PIN and is
untouched), and the identity providers' secrets (LDAP bind passwords, OpenID Connect client secrets).

Crash safety: there is never a moment when a secret is sealed under a key nobody has.

1. ``master.key.old`` ← the current key (the journal), then ``master.key`` ← the new key, each
   written atomically. From then on every process seals under the new key and ``crypto.unseal``
   tries the new key, then the old one.
2. The PKI files are re-sealed one by one (atomic replace), the database rows in ONE transaction
   that also writes the audit event.
3. Every secret is opened with the new key alone; then ``master.key.old`` is deleted.

Killed at any point, a run of the command resumes where it stopped (``master.key.old`` present).
A running server keeps working throughout. On SQLite the re-sealing transaction overwrites freed
space (``secure_delete``) and the WAL is truncated afterwards, so the old ciphertexts do not linger
in the files; on PostgreSQL run ``VACUUM FULL "user", signing_key`` to the same end.

With ``MRASLA_MASTER_KEY`` in the environment the key lives in the operator's secret store:
the caller supplies the new key (``--new-key-file``), every process must be stopped, and the
operator stores the new key and restarts.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from sqlalchemy import select, text
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.crypto import reseal, unseal_with
from mrasla_app.fsutil import atomic_write, remove
from mrasla_app.models import IdentityProvider, Mailbox, SigningKey, User, WebhookEndpoint
from mrasla_app.pki import ca
from mrasla_app.services.directory.accounts import system_actor, totp_purpose
from mrasla_app.services.errors import DomainError
from mrasla_app.services.parapheur.signing_keys import key_purpose
from mrasla_app.services.platform import audit
from mrasla_app.services.platform.webhooks import secret_purpose
from mrasla_app.services.signin import ldap, oidc
from mrasla_app.settings import Settings, decode_key, get_settings

MAX_PASSES = 3  # a row sealed by a concurrent transaction under the old key is caught by the next pass


@dataclass(frozen=True)
class Rotation:
    pki_keys: int
    totp_secrets: int
    signing_keys: int
    resumed: bool  # an interrupted rotation was finished


def _sealed_rows(
    session: Session,
) -> Iterator[tuple[User | SigningKey | WebhookEndpoint | IdentityProvider | Mailbox, str, str]]:
    """(row, column, purpose) of every secret sealed under the master key in the database."""
    from mrasla_app.services.correspondence.mailboxes import password_purpose

    for box in session.execute(select(Mailbox).order_by(Mailbox.id)).scalars():
        yield box, "password_sealed", password_purpose(box.id)
    for endpoint in session.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars():
        yield endpoint, "secret_sealed", secret_purpose(endpoint.id)
    for user in session.execute(select(User).where(User.totp_secret.is_not(None)).order_by(User.id)).scalars():
        yield user, "totp_secret", totp_purpose(user.id)
    for key in session.execute(select(SigningKey).order_by(SigningKey.id)).scalars():
        yield key, "key_blob", key_purpose(key.user_id)
    for provider in session.execute(select(IdentityProvider).order_by(IdentityProvider.id)).scalars():
        if provider.bind_secret is not None:
            yield provider, "bind_secret", ldap.secret_purpose(provider.id)
        if provider.client_secret is not None:
            yield provider, "client_secret", oidc.secret_purpose(provider.id)


def sealed_secrets(session: Session, settings: Settings) -> list[tuple[str, bytes, str]]:
    """(label, sealed bytes, purpose) of everything sealed under the master key."""
    found = [
        (path.name, path.read_bytes(), purpose)
        for path, purpose in ca.sealed_key_files(settings.pki_dir)
        if path.exists()
    ]
    for row, column, purpose in _sealed_rows(session):
        found.append((f"{type(row).__name__} #{row.id} {column}", getattr(row, column), purpose))
    return found


def _reseal_files(settings: Settings, keys: Sequence[bytes], new: bytes) -> int:
    count = 0
    for path, purpose in ca.sealed_key_files(settings.pki_dir):
        if path.exists():
            atomic_write(path, reseal(path.read_bytes(), purpose, keys, new), mode=0o600)
            count += 1
    return count


def _reseal_rows(keys: Sequence[bytes], new: bytes, event: dict[str, object] | None) -> tuple[int, int]:
    """Re-seal the database's secrets in one transaction (with the audit ``event`` when given)."""
    totp = signing = directory = 0
    with db.write_session() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        if sqlite:  # freed space is zeroed: the old ciphertexts do not stay in the file
            session.execute(text("PRAGMA secure_delete = ON"))
        for row, column, purpose in _sealed_rows(session):
            setattr(row, column, reseal(getattr(row, column), purpose, keys, new))
            session.add(row)
            totp += column == "totp_secret"
            signing += column == "key_blob"
            directory += column in ("bind_secret", "client_secret")
        if event is not None:
            audit.record(
                session,
                system_actor(),
                "master_key.rotated",
                data={**event, "totp_secrets": totp, "signing_keys": signing, "directory_secrets": directory},
            )
        session.flush()
        if sqlite:
            session.execute(text("PRAGMA secure_delete = OFF"))
    return totp, signing


def _not_opening(settings: Settings, key: bytes) -> list[str]:
    """Labels of the secrets ``key`` alone cannot open."""
    with db.read_session() as session:
        found = sealed_secrets(session, settings)
    bad = []
    for label, blob, purpose in found:
        try:
            unseal_with(blob, purpose, [key])
        except InvalidTag:
            bad.append(label)
    return bad


def _truncate_wal(settings: Settings) -> None:
    """Copy the WAL into the database and empty it (best effort: readers may hold it)."""
    if settings.is_sqlite:
        raw = db.engine(write=True).raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


def _install(settings: Settings, new_key: bytes | None) -> tuple[bytes, bytes, bool]:
    """Journal the current key, install the new one; returns (new, old, resumed)."""
    current, journal = settings.master_key(), settings.retiring_master_key_path
    if journal.exists():
        old = decode_key(journal.read_bytes())
        if old != current:  # killed after the new key was installed: finish that rotation
            return current, old, True
    else:
        atomic_write(journal, base64.b64encode(current), mode=0o600)
        old = current
    new = new_key or secrets.token_bytes(32)
    atomic_write(settings.master_key_path, base64.b64encode(new), mode=0o600)
    return new, old, False


def rotate(new_key: bytes | None = None) -> Rotation:
    """Re-seal every secret under a new master key (random, or ``new_key``) and retire the old one.

    With ``MRASLA_MASTER_KEY`` set, ``new_key`` is required and nothing is written to the data
    directory's key files: the operator puts the new key in the secret store and restarts.
    """
    settings = get_settings()
    if new_key is not None and len(new_key) != 32:
        raise DomainError("error.master_key_invalid")
    from_env = settings.master_key_in_env()
    if from_env and new_key is None:
        raise DomainError("error.master_key_in_env")
    with ca.pki_lock(settings.pki_dir):
        if from_env:
            new, old, resumed = new_key, settings.master_key(), False
        else:
            new, old, resumed = _install(settings, new_key)
        keys = (new, old)  # already re-sealed secrets open with the new key, the rest with the old one
        pki = _reseal_files(settings, keys, new)
        totp, signing = _reseal_rows(
            keys, new, {"pki_keys": pki, "resumed": resumed, "key_source": "environment" if from_env else "file"}
        )
        for _ in range(MAX_PASSES):
            if not _not_opening(settings, new):
                break
            _reseal_rows(keys, new, None)
        else:
            raise RuntimeError(f"still sealed under the old key: {_not_opening(settings, new)}")
        _truncate_wal(settings)
        if not from_env:
            remove(settings.retiring_master_key_path)
    ca.clear_cache()
    return Rotation(pki, totp, signing, resumed)


def read_key_file(path: Path) -> bytes:
    """The key in an operator's ``--new-key-file`` (base64 of 32 bytes)."""
    try:
        return decode_key(path.read_bytes())
    except (OSError, ValueError):
        raise DomainError("error.master_key_invalid") from None

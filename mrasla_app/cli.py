"""The ``mrasla`` command: operator tasks run on the server (migrate, seed, accounts, audit, PKI)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from sqlalchemy import select

from mrasla_app import db
from mrasla_app.fsutil import private_umask


def _migrate(_args: argparse.Namespace) -> int:
    db.migrate()
    print("database is at the latest revision")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from mrasla_app.services.platform.seed import demo_accounts_markdown, seed_demo

    db.migrate()
    from mrasla_app.pki.ca import load_or_create_pki

    load_or_create_pki()  # first run: root CA, seal, TSA and CRL, keys sealed under the master key
    from mrasla_app.services.parapheur import push

    push.public_key()  # the Web Push (VAPID) key pair, sealed like the others
    with db.write_session() as session:
        accounts = seed_demo(session)
    if not args.quiet:
        print(demo_accounts_markdown())
    print(f"demo directory ready ({len(accounts)} demo accounts)")
    return 0


def _init(args: argparse.Namespace) -> int:
    """A production installation: schema, PKI, and the first platform administrator (no demo data)."""
    from mrasla_app.pki.ca import load_or_create_pki
    from mrasla_app.services.errors import DomainError
    from mrasla_app.services.platform.deployment import create_first_administrator

    db.migrate()
    load_or_create_pki()
    from mrasla_app.services.parapheur import push

    push.public_key()  # the Web Push (VAPID) key pair, sealed like the others
    try:
        with db.write_session() as session:
            admin = create_first_administrator(session, args.email, args.name)
    except DomainError as exc:
        return _fail(exc)
    print(f"platform administrator created: {admin.email}")
    print(f"one-time password (shown only now, store it safely): {admin.password}")
    print(f"TOTP enrolment code (one-time, valid 3 days): {admin.enrolment_code}")
    print(
        "at first sign-in: enrol the second factor (TOTP) with this code from the account page (it unlocks "
        "administrator rights), then change the password"
    )
    return 0


def _create_user(args: argparse.Namespace) -> int:
    from mrasla_app.models import Administration, Unit, User
    from mrasla_app.services.directory import users
    from mrasla_app.services.directory.accounts import system_actor
    from mrasla_app.services.errors import DomainError

    password = args.password or getpass.getpass("password: ")
    actor = system_actor()
    try:
        with db.write_session() as session:
            adm = session.execute(
                select(Administration).where(Administration.code == args.administration.upper())
            ).scalar_one_or_none()
            if adm is None:
                print(f"unknown administration {args.administration}", file=sys.stderr)
                return 2
            user = users.create_user(
                session, actor, administration_id=adm.id, email=args.email, full_name=args.name, password=password
            )
            for spec in args.role or []:
                unit_code, _, role = spec.partition(":")
                unit = session.execute(
                    select(Unit).where(Unit.administration_id == adm.id, Unit.code == unit_code.upper())
                ).scalar_one_or_none()
                if unit is None:
                    raise DomainError("error.invalid_parent")
                users.add_membership(session, actor, user.id, unit.id, role)
            if args.platform_admin:
                session.get(User, user.id).is_platform_admin = True
    except DomainError as exc:
        return _fail(exc)
    print(f"created {args.email}")
    return 0


def _totp_enrolment_code(args: argparse.Namespace) -> int:
    """Print a one-time code with which the user enrols the second factor that unlocks their
    administrator rights (the console stands in for "another administrator")."""
    from mrasla_app.models import User
    from mrasla_app.services.directory import users
    from mrasla_app.services.directory.accounts import system_actor
    from mrasla_app.services.errors import DomainError

    try:
        with db.write_session() as session:
            user = session.execute(select(User).where(User.email == args.email.strip().lower())).scalar_one_or_none()
            if user is None:
                print(f"unknown user {args.email}", file=sys.stderr)
                return 2
            code = users.issue_totp_enrolment_code(session, system_actor(), user.id)
    except DomainError as exc:
        return _fail(exc)
    print(f"TOTP enrolment code for {user.email} (one use, valid 3 days; give it in person): {code}")
    return 0


def _audit_verify(_args: argparse.Namespace) -> int:
    from mrasla_app.models import AuditEvent
    from mrasla_app.services.platform import audit

    with db.read_session() as session:
        problems = audit.verify(session)
        count = len(session.execute(select(AuditEvent.id)).all())
    if problems:
        print(f"AUDIT TRAIL BROKEN: {len(problems)} problem(s)")
        for p in problems:
            print(f"  - {p}")
        return 1
    print(f"audit trail intact: {count} events verified")
    return 0


def _pki_show(_args: argparse.Namespace) -> int:
    from cryptography import x509

    from mrasla_app.pki.ca import fingerprints, load_or_create_pki

    platform = load_or_create_pki()
    print(f"PKI directory: {platform.pki_dir}")
    for name, fp in fingerprints(platform).items():
        print(f"  {name:<5} SHA-256 {fp}")
    crl = x509.load_der_x509_crl(platform.crl_der())
    print(f"  CRL   {len(crl)} revoked certificate(s), next update {crl.next_update_utc:%Y-%m-%d %H:%M} UTC")
    return 0


def _fail(exc: Exception) -> int:
    """A refused operator command: the French message on stderr, exit status 2."""
    from mrasla_app.i18n import translate
    from mrasla_app.services.errors import DomainError

    assert isinstance(exc, DomainError)
    print(translate(exc.code, "fr", **exc.params), file=sys.stderr)
    return 2


def _pki_revoke(args: argparse.Namespace) -> int:
    from mrasla_app.models import User
    from mrasla_app.services.directory.accounts import system_actor
    from mrasla_app.services.errors import DomainError, NotFound
    from mrasla_app.services.parapheur import signing_keys

    actor = system_actor()
    try:
        with db.write_session() as session:
            if args.user:
                user = session.execute(select(User).where(User.email == args.user.strip().lower())).scalar_one_or_none()
                if user is None:
                    raise NotFound()
                count = signing_keys.revoke_for_user(session, actor, user.id, args.reason)
                print(f"{count} certificate(s) of {user.email} revoked ({args.reason})")
            else:
                row = signing_keys.revoke_serial(session, actor, args.serial, args.reason)
                print(f"certificate {row.serial} revoked ({args.reason})")
    except DomainError as exc:
        return _fail(exc)
    print("CRL updated: /pki/crl.der")
    return 0


def _rotate_master_key(args: argparse.Namespace) -> int:
    from mrasla_app.services.errors import DomainError
    from mrasla_app.services.platform import master_key
    from mrasla_app.settings import create_key_file, get_settings

    settings = get_settings()
    key_file = Path(args.new_key_file) if args.new_key_file else None
    try:
        if key_file is not None and not key_file.exists():
            create_key_file(key_file)
        done = master_key.rotate(master_key.read_key_file(key_file) if key_file else None)
    except DomainError as exc:
        return _fail(exc)
    print(
        f"{'interrupted rotation finished' if done.resumed else 'master key rotated'}: re-sealed "
        f"{done.pki_keys} platform key(s), {done.totp_secrets} TOTP secret(s), {done.signing_keys} signing key(s)"
    )
    if settings.master_key_in_env():
        print(
            f"NOW: put the content of {key_file} into MRASLA_MASTER_KEY in your secret store, restart every "
            f"process, then delete {key_file}"
        )
    else:
        print(f"new key in {settings.master_key_path}; the old one is gone (older backups carry their own key)")
    return 0


def _worker(args: argparse.Namespace) -> int:
    import asyncio

    from mrasla_app.services.platform import jobs

    if args.once:
        for name, result in jobs.run_due().items():
            print(f"{name}: {result}")
        return 0
    print(f"background jobs running as {jobs.WORKER} (Ctrl-C to stop)")
    try:
        asyncio.run(jobs.run_forever())
    except KeyboardInterrupt:
        pass
    return 0


def _fsck(args: argparse.Namespace) -> int:
    from mrasla_app.services.platform import fsck, spool

    with db.read_session() as session:
        report = fsck.check(session)
        removed = fsck.collect_garbage(session) if args.gc else 0
    expired = spool.purge_expired() if args.gc else 0
    print(
        f"{report.checked_blobs} files verified against their SHA-256; "
        f"{len(report.orphans)} unreferenced file(s){f', {removed} removed' if args.gc else ' (collectable: --gc)'}"
    )
    print(
        f"upload spool: {spool.usage() / 2**20:.1f} MB of wizards not yet submitted"
        f"{f', {expired} expired file(s) removed' if args.gc else ''}"
    )
    for problem in report.problems:
        print(f"  PROBLEM: {problem}")
    print("consistent" if report.ok else f"INCONSISTENT: {len(report.problems)} problem(s)")
    return 0 if report.ok else 1


def _passphrase(args: argparse.Namespace) -> str:
    return os.environ.get("MRASLA_BACKUP_PASSPHRASE") or getpass.getpass("backup passphrase: ")


def _backup(args: argparse.Namespace) -> int:
    from mrasla_app.services.errors import DomainError
    from mrasla_app.services.platform import backup

    try:
        size = backup.create(Path(args.out), _passphrase(args))
    except DomainError as exc:
        return _fail(exc)
    print(f"encrypted backup written: {args.out} ({size} bytes)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from mrasla_app.services.errors import DomainError
    from mrasla_app.services.platform import backup
    from mrasla_app.settings import get_settings

    target = Path(args.data_dir) if args.data_dir else get_settings().data_dir
    try:
        backup.restore(Path(args.archive), _passphrase(args), target)
    except DomainError as exc:
        return _fail(exc)
    print(f"restored into {target}; run `mrasla fsck` to check it")
    return 0


def _pki_hsm_init(_args: argparse.Namespace) -> int:
    from mrasla_app.pki import ca

    try:
        labels = ca.hsm_init()
    except RuntimeError as exc:
        return _fail(exc)
    print("platform keys in the PKCS#11 token: " + ", ".join(f"{n} ({label})" for n, label in labels.items()))
    return 0


def _archive_refresh(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from mrasla_app.services.platform import archive

    extended = archive.extend_receipts(limit=args.batch) if args.extend else 0
    total = 0
    while True:  # batches until nothing is left to re-timestamp (each file is picked once)
        done = archive.refresh_archives(margin=timedelta(days=args.margin_days), limit=args.batch)
        total += done
        if done < args.batch:
            break
    print(f"{extended} receipt(s) extended to B-LTA; {total} re-timestamped")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from mrasla_app.pki.ca import REVOCATION_REASONS

    parser = argparse.ArgumentParser(prog="mrasla", description="Mrasla (مراسلة) operator commands.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations (Alembic)").set_defaults(func=_migrate)
    p = sub.add_parser("seed", help="migrate, then create the demo directory and accounts once")
    p.add_argument("--quiet", action="store_true", help="do not print the demo accounts")
    p.set_defaults(func=_seed)
    p = sub.add_parser(
        "init",
        help="production installation: migrate, create the PKI and the first platform "
        "administrator with a generated password shown once (no demo data)",
    )
    p.add_argument("--email", required=True, help="the administrator's e-mail (their login)")
    p.add_argument("--name", required=True, help="full name")
    p.set_defaults(func=_init)
    p = sub.add_parser("create-user", help="create a staff account")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True, help="full name")
    p.add_argument("--administration", required=True, help="administration code, e.g. MEF")
    p.add_argument(
        "--role",
        action="append",
        metavar="UNIT:ROLE",
        help="membership, e.g. BOC:clerk (repeatable); roles: clerk agent head signatory admin",
    )
    p.add_argument("--password", help="(prompted when omitted)")
    p.add_argument("--platform-admin", action="store_true")
    p.set_defaults(func=_create_user)
    p = sub.add_parser(
        "totp-enrolment-code", help="one-time code with which a user enrols the TOTP that unlocks administrator rights"
    )
    p.add_argument("email")
    p.set_defaults(func=_totp_enrolment_code)
    audit_p = sub.add_parser("audit", help="audit trail tools").add_subparsers(dest="audit_command", required=True)
    audit_p.add_parser("verify", help="check every hash chain; exit 1 if an event was edited or deleted").set_defaults(
        func=_audit_verify
    )
    p = sub.add_parser("worker", help="run the background jobs (alerts, reminders, e-mail retries, CRL refresh)")
    p.add_argument("--once", action="store_true", help="run what is due now, then exit")
    p.set_defaults(func=_worker)
    p = sub.add_parser("fsck", help="check database ↔ files ↔ hashes ↔ numbering ↔ audit chain; exit 1 on a problem")
    p.add_argument(
        "--gc",
        action="store_true",
        help="also delete unreferenced files older than an hour and expired files of the upload spool",
    )
    p.set_defaults(func=_fsck)
    p = sub.add_parser("backup", help="encrypted, consistent archive of database, documents, PKI and master key")
    p.add_argument("out", help="archive file to write")
    p.set_defaults(func=_backup)
    p = sub.add_parser("restore", help="restore an archive into an empty data directory")
    p.add_argument("archive")
    p.add_argument("--data-dir", help="target (default: MRASLA_DATA_DIR), must be empty")
    p.set_defaults(func=_restore)
    pki_p = sub.add_parser("pki", help="platform PKI").add_subparsers(dest="pki_command", required=True)
    pki_p.add_parser("show", help="create the platform PKI if absent; print certificate fingerprints").set_defaults(
        func=_pki_show
    )
    pki_p.add_parser(
        "hsm-init",
        help="move the seal and TSA keys into the PKCS#11 token of MRASLA_PKCS11_LIB/"
        "_TOKEN/_PIN (keys generated in the token; idempotent)",
    ).set_defaults(func=_pki_hsm_init)
    p = pki_p.add_parser("revoke", help="revoke signing certificates (by serial or all of a user's) and update the CRL")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("serial", nargs="?", help="certificate serial number, hexadecimal")
    target.add_argument("--user", metavar="EMAIL", help="every certificate of this user")
    p.add_argument(
        "--reason",
        default="unspecified",
        choices=[r for r in REVOCATION_REASONS if r != "remove_from_crl"],
        help="RFC 5280 reason (default: unspecified)",
    )
    p.set_defaults(func=_pki_revoke)
    p = sub.add_parser(
        "archive-refresh",
        help="add a document timestamp to B-LTA files whose newest timestamp's "
        "TSA certificate nears expiry (idempotent)",
    )
    p.add_argument("--margin-days", type=int, default=365, help="renew when less than this is left (default 365)")
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--extend", action="store_true", help="first extend one batch of pending B-T receipts")
    p.set_defaults(func=_archive_refresh)
    p = sub.add_parser("rotate-master-key", help="re-seal every private key and TOTP secret under a new master key")
    p.add_argument(
        "--new-key-file",
        metavar="FILE",
        help="take the new key from FILE (base64 of 32 bytes; created with a random key when absent); "
        "required when MRASLA_MASTER_KEY is set",
    )
    p.set_defaults(func=_rotate_master_key)
    return parser


def main(argv: list[str] | None = None) -> int:
    private_umask()  # the database, documents, keys and backups it writes: for this user only
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

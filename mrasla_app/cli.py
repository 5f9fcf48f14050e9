"""The ``mrasla`` command: operator tasks run on the server (migrate, seed, accounts, audit, PKI)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from sqlalchemy import select

from mrasla_app import db


def _migrate(_args: argparse.Namespace) -> int:
    db.migrate()
    print("database is at the latest revision")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from mrasla_app.services.seed import demo_accounts_markdown, seed_demo

    db.migrate()
    from mrasla_app.pki.ca import load_or_create_pki

    load_or_create_pki()  # first run: root CA, seal, TSA and CRL, keys sealed under the master key
    with db.write_session() as session:
        accounts = seed_demo(session)
    if not args.quiet:
        print(demo_accounts_markdown())
    print(f"demo directory ready ({len(accounts)} demo accounts)")
    return 0


def _create_user(args: argparse.Namespace) -> int:
    from mrasla_app.models import Administration, Unit, User
    from mrasla_app.services import users
    from mrasla_app.services.accounts import system_actor
    from mrasla_app.services.errors import DomainError
    from mrasla_app.i18n import translate

    password = args.password or getpass.getpass("password: ")
    actor = system_actor()
    try:
        with db.write_session() as session:
            adm = session.execute(select(Administration).where(Administration.code == args.administration.upper())).scalar_one_or_none()
            if adm is None:
                print(f"unknown administration {args.administration}", file=sys.stderr)
                return 2
            user = users.create_user(session, actor, administration_id=adm.id, email=args.email,
                                     full_name=args.name, password=password)
            for spec in args.role or []:
                unit_code, _, role = spec.partition(":")
                unit = session.execute(select(Unit).where(Unit.administration_id == adm.id,
                                                          Unit.code == unit_code.upper())).scalar_one_or_none()
                if unit is None:
                    raise DomainError("error.invalid_parent")
                users.add_membership(session, actor, user.id, unit.id, role)
            if args.platform_admin:
                session.get(User, user.id).is_platform_admin = True  # type: ignore[union-attr]
    except DomainError as exc:
        print(translate(exc.code, "fr", **exc.params), file=sys.stderr)
        return 2
    print(f"created {args.email}")
    return 0


def _audit_verify(_args: argparse.Namespace) -> int:
    from mrasla_app.models import AuditEvent
    from mrasla_app.services import audit

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
    from mrasla_app.pki.ca import fingerprints, load_or_create_pki

    platform = load_or_create_pki()
    print(f"PKI directory: {platform.pki_dir}")
    for name, fp in fingerprints(platform).items():
        print(f"  {name:<5} SHA-256 {fp}")
    return 0


def _worker(args: argparse.Namespace) -> int:
    import asyncio

    from mrasla_app.services import jobs

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
    from mrasla_app.services import fsck

    with db.read_session() as session:
        report = fsck.check(session)
        removed = fsck.collect_garbage(session) if args.gc else 0
    print(f"{report.checked_blobs} files verified against their SHA-256; "
          f"{len(report.orphans)} unreferenced file(s){f', {removed} removed' if args.gc else ''}")
    for problem in report.problems:
        print(f"  PROBLEM: {problem}")
    print("consistent" if report.ok else f"INCONSISTENT: {len(report.problems)} problem(s)")
    return 0 if report.ok else 1


def _passphrase(args: argparse.Namespace) -> str:
    return os.environ.get("MRASLA_BACKUP_PASSPHRASE") or getpass.getpass("backup passphrase: ")


def _backup(args: argparse.Namespace) -> int:
    from mrasla_app.i18n import translate
    from mrasla_app.services import backup
    from mrasla_app.services.errors import DomainError

    try:
        size = backup.create(Path(args.out), _passphrase(args))
    except DomainError as exc:
        print(translate(exc.code, "fr", **exc.params), file=sys.stderr)
        return 2
    print(f"encrypted backup written: {args.out} ({size} bytes)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from mrasla_app.i18n import translate
    from mrasla_app.services import backup
    from mrasla_app.services.errors import DomainError
    from mrasla_app.settings import get_settings

    target = Path(args.data_dir) if args.data_dir else get_settings().data_dir
    try:
        backup.restore(Path(args.archive), _passphrase(args), target)
    except DomainError as exc:
        print(translate(exc.code, "fr", **exc.params), file=sys.stderr)
        return 2
    print(f"restored into {target}; run `mrasla fsck` to check it")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mrasla", description="Mrasla (مراسلة) operator commands.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations (Alembic)").set_defaults(func=_migrate)
    p = sub.add_parser("seed", help="migrate, then create the demo directory and accounts once")
    p.add_argument("--quiet", action="store_true", help="do not print the demo accounts")
    p.set_defaults(func=_seed)
    p = sub.add_parser("create-user", help="create a staff account")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True, help="full name")
    p.add_argument("--administration", required=True, help="administration code, e.g. MEF")
    p.add_argument("--role", action="append", metavar="UNIT:ROLE",
                   help="membership, e.g. BOC:clerk (repeatable); roles: clerk agent head signatory admin")
    p.add_argument("--password", help="(prompted when omitted)")
    p.add_argument("--platform-admin", action="store_true")
    p.set_defaults(func=_create_user)
    audit_p = sub.add_parser("audit", help="audit trail tools").add_subparsers(dest="audit_command", required=True)
    audit_p.add_parser("verify", help="check every hash chain; exit 1 if an event was edited or deleted").set_defaults(func=_audit_verify)
    p = sub.add_parser("worker", help="run the background jobs (alerts, reminders, e-mail retries, CRL refresh)")
    p.add_argument("--once", action="store_true", help="run what is due now, then exit")
    p.set_defaults(func=_worker)
    p = sub.add_parser("fsck", help="check database ↔ files ↔ hashes ↔ numbering ↔ audit chain; exit 1 on a problem")
    p.add_argument("--gc", action="store_true", help="also delete unreferenced files older than an hour")
    p.set_defaults(func=_fsck)
    p = sub.add_parser("backup", help="encrypted, consistent archive of database, documents, PKI and master key")
    p.add_argument("out", help="archive file to write")
    p.set_defaults(func=_backup)
    p = sub.add_parser("restore", help="restore an archive into an empty data directory")
    p.add_argument("archive")
    p.add_argument("--data-dir", help="target (default: MRASLA_DATA_DIR), must be empty")
    p.set_defaults(func=_restore)
    pki_p = sub.add_parser("pki", help="platform PKI").add_subparsers(dest="pki_command", required=True)
    pki_p.add_parser("show", help="create the platform PKI if absent; print certificate fingerprints").set_defaults(func=_pki_show)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

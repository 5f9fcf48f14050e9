"""Demonstration or production: what a server may start with.

The demo seed (``mrasla seed``, run by ``make run``) creates accounts whose password and TOTP secret
are printed in the README. That is fine on a loopback address; on a public URL anyone could sign in
as a platform administrator. So a server whose public URL is not loopback refuses to start while a
demo account still opens with the published password, unless ``MRASLA_ALLOW_DEMO_ON_PUBLIC=1`` says
it is deliberate (a public demonstration). A production installation starts with ``mrasla init``:
the schema, the PKI and one platform administrator with a generated password shown once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.models import User
from mrasla_app.services.directory import accounts, users
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import audit, validation
from mrasla_app.services.platform.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from mrasla_app.settings import Settings


def published_demo_accounts(session: Session) -> list[str]:
    """Active demo accounts that still open with the published password."""
    emails = [a.email for a in DEMO_ACCOUNTS]
    users = session.execute(select(User).where(User.email.in_(emails), User.active.is_(True))).scalars()
    return sorted(u.email for u in users if accounts._verify_password(u, DEMO_PASSWORD))


def demo_refusal(settings: Settings) -> str | None:
    """Why this server must not start (None: it may). Checked only off loopback (nothing is opened
    otherwise); a database not migrated yet holds no account."""
    if settings.is_loopback or settings.allow_demo_on_public:
        return None
    try:
        with db.read_session() as session:
            exposed = published_demo_accounts(session)
    except SQLAlchemyError:
        return None
    if not exposed:
        return None
    return (
        f"Refusing to serve {settings.public_url}: the demo accounts with the published password are "
        f"active ({', '.join(exposed[:3])}{', …' if len(exposed) > 3 else ''}). Use a fresh data directory "
        f"and `mrasla init` for a real installation, or set MRASLA_ALLOW_DEMO_ON_PUBLIC=1 for a public "
        f"demonstration."
    )


@dataclass(frozen=True)
class FirstAdministrator:
    email: str
    password: str
    enrolment_code: str  # one-time code for the TOTP enrolment that unlocks administrator rights


def create_first_administrator(session: Session, email: str, full_name: str) -> FirstAdministrator:
    """The platform administrator of a new installation, with a generated password and a TOTP enrolment
    code (both returned once, stored only as hashes): administrator rights need a factor enrolled with
    such a code, never one enrolled on trust. Refused (``error.already_initialised``) once any account exists."""
    if session.execute(select(func.count()).select_from(User)).scalar_one():
        raise DomainError("error.already_initialised")
    password = secrets.token_urlsafe(18)  # 24 characters, 144 bits
    user = User(
        email=validation.email(email),
        full_name=validation.text(full_name, "full_name"),
        password_hash=accounts.hash_password(password),
        is_platform_admin=True,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        None,
        "init.platform_admin",
        object_type="user",
        object_id=user.id,
        actor_label="system:cli",
        data={"email": user.email},
    )
    code = users.issue_totp_enrolment_code(session, accounts.system_actor(), user.id)
    return FirstAdministrator(user.email, password, code)

"""Demo data: realistic Moroccan administrations, unit trees and one account per role.

Everything after the first platform administrator is created *through the services*, acting as
that administrator, so every seeded change is checked like a real one and lands in the audit trail.
``seed_demo`` is idempotent: when the demo platform administrator exists it changes nothing.

All demo accounts share the documented password :data:`DEMO_PASSWORD` — for demonstrations and
tests only; change or disable them on any real deployment.
"""

from __future__ import annotations

import time
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyotp
from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.crypto import seal
from mrasla_app.models import Holiday, Unit, User
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import holidays
from mrasla_app.services.directory import accounts, users
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.platform import audit
from mrasla_app.settings import get_settings

DEMO_PASSWORD = "Mrasla@2026"
#: TOTP secret of the demo administrators (administrator rights need a second factor, see
#: ``accounts.load_actor``). Published for the demonstration only: add it to an authenticator app.
DEMO_TOTP_SECRET = "MRASLADEMOADMINTOTPSECRETZZZZZZZ"
PLATFORM_ADMIN_EMAIL = "admin@mrasla.ma"
#: Code of the registry unit (bureau d'ordre / مكتب الضبط) in every seeded administration.
REGISTRY_UNIT_CODE = "BO"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str  # human label (French), e.g. "Agent du bureau d'ordre"
    administration: str  # administration code, "" for the platform administrator
    unit: str  # unit code where the main role is held, "" for the platform administrator
    full_name: str
    full_name_ar: str = ""
    roles: tuple[str, ...] = ()  # (Role value) held in ``unit``; ("platform_admin",) for the platform


# --- The demo data: tables of records in ``demo.toml`` -----------------------------------------

_DATA = tomllib.loads((Path(__file__).with_name("demo.toml")).read_text(encoding="utf-8"))

#: A unit: (code, parent code or None, level, name_fr, name_ar). Parents are listed before their children.
_UnitSpec = tuple[str, str | None, str, str, str]


@dataclass(frozen=True)
class _AdmSpec:
    code: str
    kind: str
    name_fr: str
    name_ar: str
    city_fr: str
    city_ar: str
    units: tuple[_UnitSpec, ...]


ADMINISTRATIONS: tuple[_AdmSpec, ...] = tuple(
    _AdmSpec(
        **{k: v for k, v in adm.items() if k != "units"},
        units=tuple((code, parent or None, level, fr, ar) for code, parent, level, fr, ar in adm["units"]),
    )
    for adm in _DATA["administrations"]
)

_PLATFORM_ADMIN = DemoAccount(
    email=PLATFORM_ADMIN_EMAIL,
    password=DEMO_PASSWORD,
    role="Administrateur de la plateforme",
    administration="",
    unit="",
    full_name="Karim Benjelloun",
    full_name_ar="كريم بنجلون",
    roles=("platform_admin",),
)

DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (_PLATFORM_ADMIN,) + tuple(
    DemoAccount(
        email=e,
        password=DEMO_PASSWORD,
        role=label,
        administration=adm,
        unit=unit,
        full_name=fr,
        full_name_ar=ar,
        roles=tuple(roles),
    )
    for e, fr, ar, adm, unit, roles, label in _DATA["accounts"]
)

#: The demo delegation (grantor, delegate, period, reason): the director's signature to the head of division.
DELEGATION = (
    _DATA["delegation"]["grantor"],
    _DATA["delegation"]["delegate"],
    timedelta(days=_DATA["delegation"]["days"]),
    _DATA["delegation"]["reason"],
)

#: Fixed national holidays, recurring every year: (month, day, name_fr, name_ar).
NATIONAL_HOLIDAYS: tuple[tuple[int, int, str, str], ...] = tuple(tuple(row) for row in _DATA["national_holidays"])
#: Religious holidays of 2026 (one-off rows, APPROXIMATE dates: see ``demo.toml``): (day, name_fr, name_ar).
RELIGIOUS_HOLIDAYS_2026: tuple[tuple[date, str, str], ...] = tuple(tuple(row) for row in _DATA["religious_holidays"])
#: The demo file plan of the ministry: (code, parent code, name_fr, name_ar).
FILE_PLAN: tuple[tuple[str, str, str, str], ...] = tuple(tuple(row) for row in _DATA["file_plan"])
#: Document types: (code, name_fr, name_ar, years, months, start, final action).
DOCUMENT_TYPES: tuple[tuple[str, str, str, int, int, str, str], ...] = tuple(
    tuple(row) for row in _DATA["document_types"]
)


def seed_holidays(session: Session, actor: accounts.Actor) -> int:
    """Add the national calendar above (platform administrator); idempotent. Returns rows added."""
    existing = set(session.execute(select(Holiday.day).where(Holiday.administration_id.is_(None))).scalars())
    added = 0
    rows = [(date(2026, m, d), fr, ar, True) for m, d, fr, ar in NATIONAL_HOLIDAYS]
    rows += [(day, fr, ar, False) for day, fr, ar in RELIGIOUS_HOLIDAYS_2026]
    for day, fr, ar, recurring in rows:
        if day in existing:
            continue
        holidays.add_holiday(session, actor, None, day, name_ar=ar, name_fr=fr, recurring=recurring)
        added += 1
    return added


def seed_demo(session: Session) -> list[DemoAccount]:
    """Create the demo directory and accounts once; return the demo accounts (always the same list)."""
    if session.execute(select(User.id).where(User.email == PLATFORM_ADMIN_EMAIL)).first():
        return list(DEMO_ACCOUNTS)

    root = User(
        email=PLATFORM_ADMIN_EMAIL,
        full_name=_PLATFORM_ADMIN.full_name,
        full_name_ar=_PLATFORM_ADMIN.full_name_ar,
        password_hash=accounts.hash_password(DEMO_PASSWORD),
        is_platform_admin=True,
    )
    session.add(root)
    session.flush()
    _demo_second_factor(root)
    audit.record(
        session,
        None,
        "seed.platform_admin",
        object_type="user",
        object_id=root.id,
        actor_label="seed",
        data={"email": root.email},
    )
    actor = accounts.load_actor(session, root)

    adm_ids, unit_ids = seed_directory(session, actor)
    user_ids = seed_accounts(session, actor, adm_ids, unit_ids)
    seed_delegation(session, actor, user_ids)
    seed_holidays(session, actor)
    seed_file_plan(session, actor, adm_ids["MEF"])
    return list(DEMO_ACCOUNTS)


def seed_directory(session: Session, actor: accounts.Actor) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """The administrations and their unit trees (``ADMINISTRATIONS``); their ids by code and by
    (administration code, unit code)."""
    adm_ids: dict[str, int] = {}
    unit_ids: dict[tuple[str, str], int] = {}
    for spec in ADMINISTRATIONS:
        adm = directory.save_administration(
            session,
            actor,
            code=spec.code,
            name_ar=spec.name_ar,
            name_fr=spec.name_fr,
            kind=spec.kind,
            city_ar=spec.city_ar,
            city_fr=spec.city_fr,
        )
        adm_ids[spec.code] = adm.id  # type: ignore[assignment]  # a flushed row's id (SQLModel types it Optional)
        for code, parent, level, name_fr, name_ar in spec.units:
            unit = directory.save_unit(
                session,
                actor,
                administration_id=adm.id,
                parent_id=unit_ids[(spec.code, parent)] if parent else None,
                code=code,
                name_ar=name_ar,
                name_fr=name_fr,
                level=level,
            )
            unit_ids[(spec.code, code)] = unit.id  # type: ignore[assignment]  # a flushed row's id (SQLModel types it Optional)
    return adm_ids, unit_ids


def seed_accounts(
    session: Session, actor: accounts.Actor, adm_ids: dict[str, int], unit_ids: dict[tuple[str, str], int]
) -> dict[str, int]:
    """The demo accounts after the platform administrator, with their roles; their ids by e-mail."""
    user_ids: dict[str, int] = {}
    for acc in DEMO_ACCOUNTS[1:]:
        user = users.create_user(
            session,
            actor,
            administration_id=adm_ids[acc.administration],
            email=acc.email,
            full_name=acc.full_name,
            full_name_ar=acc.full_name_ar,
            password=acc.password,
        )
        user_ids[acc.email] = user.id  # type: ignore[assignment]  # a flushed row's id (SQLModel types it Optional)
        for role in acc.roles:
            users.add_membership(session, actor, user.id, unit_ids[(acc.administration, acc.unit)], role)
        if "admin" in acc.roles:
            _demo_second_factor(user)
    return user_ids


def seed_delegation(session: Session, actor: accounts.Actor, user_ids: dict[str, int]) -> None:
    """The demo delegation (``DELEGATION``), from now on."""
    grantor, delegate, period, reason = DELEGATION
    now = utcnow().replace(microsecond=0)
    users.create_delegation(
        session,
        actor,
        from_user_id=user_ids[grantor],
        to_user_id=user_ids[delegate],
        starts_at=now,
        ends_at=now + period,
        reason=reason,
    )


def seed_file_plan(session: Session, actor: accounts.Actor, administration_id: int) -> None:
    """A small file plan, document types with retention rules, two tags and two custom fields."""
    from mrasla_app.services.records import file_plan

    ids: dict[str, int] = {}
    for code, parent, fr, ar in FILE_PLAN:
        ids[code] = file_plan.save_node(
            session, actor, administration_id, code=code, name_ar=ar, name_fr=fr, parent_id=ids.get(parent)
        ).id  # type: ignore[assignment]  # a flushed row's id (SQLModel types it Optional)
    for code, fr, ar, years, months, start, action in DOCUMENT_TYPES:
        file_plan.save_document_type(
            session,
            actor,
            administration_id,
            code=code,
            name_ar=ar,
            name_fr=fr,
            retention_years=years,
            retention_months=months,
            retention_start=start,
            final_action=action,
        )
    for label in _DATA["tags"]:
        file_plan.save_tag(session, actor, administration_id, label)
    for spec in _DATA["custom_fields"]:
        file_plan.save_custom_field(session, actor, administration_id, **spec)


def _demo_second_factor(user: User) -> None:
    """Enrol the demo TOTP secret (sealed like any enrolled secret) for a demo administrator."""
    user.totp_secret, user.totp_enabled = seal(DEMO_TOTP_SECRET.encode(), accounts.totp_purpose(user.id)), True
    user.totp_vouched = True  # as if enrolled with an enrolment code: the demo administrators act at once


def demo_totp(email: str, server: str = "") -> str:
    """A TOTP code of a demo administrator not yet handed out ("" for accounts without a second factor);
    ``server``: the running server the code is for (default: this process's database)."""
    acc = next((a for a in DEMO_ACCOUNTS if a.email == email), None)
    if acc is None or not {"admin", "platform_admin"} & set(acc.roles):
        return ""
    return unused_totp_code(pyotp.TOTP(DEMO_TOTP_SECRET), email, server)


_HANDED_OUT: dict[tuple[str, str], int] = {}  # (database, account) → last step whose code was given


def forget_handed_out_codes(database_url: str) -> None:
    """A database created anew (a test's fresh clone under a reused name) has used no code yet."""
    for key in [k for k in _HANDED_OUT if k[0] == database_url]:
        del _HANDED_OUT[key]


def unused_totp_code(totp: pyotp.TOTP, account: str, server: str = "") -> str:
    """For scripted logins (tests, benchmarks): codes are single-use (``accounts._accept_totp`` takes
    the steps now-1, now and now+1, each once), so each call gives the code of the current or the next
    step — whichever this process has not given for ``account`` of the configured database yet —
    waiting for a new step when both are. (Not now-1: it may expire before the server sees it.) The
    codes are counted per ``server`` when given: a browser test that points this process's settings
    elsewhere for a while still hands out increasing steps to the server it logs in to."""
    key = (server or get_settings().database_url, account)
    while True:
        now = int(time.time()) // totp.interval
        step = max(now, _HANDED_OUT.get(key, now - 1) + 1)
        if step <= now + 1:
            _HANDED_OUT[key] = step
            return totp.generate_otp(step)
        time.sleep(totp.interval - time.time() % totp.interval + 0.05)


def registry_unit(session: Session, administration_id: int) -> Unit | None:
    """The seeded registry unit (bureau d'ordre) of an administration, if any."""
    return session.execute(
        select(Unit).where(Unit.administration_id == administration_id, Unit.code == REGISTRY_UNIT_CODE)
    ).scalar_one_or_none()


def demo_accounts_markdown() -> str:
    """The demo accounts as a markdown table, for the README."""
    lines = [
        f"All demo accounts use the password `{DEMO_PASSWORD}` (demonstration only).",
        "",
        "| e-mail | password | role | roles | administration | unit |",
        "|---|---|---|---|---|---|",
    ]
    for acc in DEMO_ACCOUNTS:
        lines.append(
            f"| `{acc.email}` | `{acc.password}` | {acc.role} — {acc.full_name} | "
            f"{', '.join(f'`{r}`' for r in acc.roles)} | {acc.administration or 'all'} | {acc.unit or '—'} |"
        )
    lines += [
        "",
        "Delegation: `director.mef` → `head.mef` for the 30 days after seeding.",
        "",
        "Administrator rights need a second factor (TOTP). The demo administrators are enrolled with the",
        f"published secret `{DEMO_TOTP_SECRET}`: add it to an authenticator app, or print the current code",
        "with `.venv/bin/python -c \"import pyotp; print(pyotp.TOTP('" + DEMO_TOTP_SECRET + "').now())\"`.",
    ]
    return "\n".join(lines) + "\n"

"""The objects of the authorisation matrix and, for each kind of actor, the ones they must not reach.

On top of the demo seed: deposits to the Ministry (MEF) and the Commune of Rabat (CRB) — one routed to
the Division of Social Sectors (DB.DSS), one to the Treasury directorate (DTFE), one waiting at CRB's
registry — and signature-book folders at both. Every object carries marker strings (subject, sender,
identity number, title, file name) that must never reach an actor outside its scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import (
    CircuitTemplate,
    Delegation,
    Document,
    FolderDocument,
    Holiday,
    IdentityProvider,
    ProviderRoleRule,
    RoleMembership,
    User,
    WebhookEndpoint,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import dispatch, holidays
from mrasla_app.services.directory import users
from mrasla_app.services.directory.accounts import system_actor
from mrasla_app.services.parapheur import circuits, submission
from mrasla_app.services.platform import webhooks
from mrasla_app.services.portal import deposits
from mrasla_app.services.signin import providers
from tests.files import pdf_bytes

PASSWORD = "Mrasla@2026"


@dataclass
class Target:
    """Something an actor must not reach: ids to aim handlers and routes at, markers that must not leak."""

    name: str
    ids: dict[str, list[int]]  # kind of object (correspondence, document, folder, user, unit…) -> ids
    markers: list[str]
    route_args: dict[str, str] = field(default_factory=dict)  # route parameter -> value (mail_id, folder_id…)
    query: dict[str, str] = field(default_factory=dict)  # e.g. another deposit's tokens
    document_id: int = 0


@dataclass
class Actor:
    """A kind of caller: who they are (None: anonymous) and what they must not reach."""

    kind: str
    email: str | None
    targets: list[Target]


@dataclass
class World:
    actors: list[Actor]
    adm: dict[str, int]


def _deposit(seeded, adm: str, subject: str, name: str, cin: str) -> deposits.DepositResult:
    form = deposits.DepositForm(
        administration_id=seeded.adm_id(adm),
        full_name=name,
        id_kind="CIN",
        id_value=cin,
        email="",
        phone="0612345678",
        subject=subject,
        message=f"Message {subject}",
        files=[(f"piece-{cin}.pdf", pdf_bytes(text=subject))],
    )
    with db.write_session() as s:
        return deposits.submit(s, form)


def _route(seeded, cid: int, unit: str) -> None:
    clerk = seeded.actor("clerk.mef@mrasla.ma")
    with db.write_session() as s:
        dispatch.qualify(s, clerk, cid, type_code="request", priority="normal")
        dispatch.dispatch(s, clerk, cid, action_unit_id=seeded.unit_id("MEF", unit), instructions="Suite à donner")


def _folder(seeded, initiator: str, title: str, steps: list[tuple[str, str]]) -> int:
    actor = seeded.actor(initiator)
    with db.write_session() as s:
        folder = submission.create_folder(s, actor, title, [(f"{title}.pdf", pdf_bytes(text=title))])
        submission.start(
            s, actor, folder.id, steps=[{"kind": kind, "user_ids": [seeded.user_id(email)]} for kind, email in steps]
        )
        return folder.id  # type: ignore[return-value]


def _first_document(cid: int) -> int:
    with db.read_session() as s:
        return (
            s.execute(select(Document.id).where(Document.correspondence_id == cid).order_by(Document.id))
            .scalars()
            .first()
        )


def _folder_document(fid: int) -> int:
    with db.read_session() as s:
        return s.execute(select(FolderDocument.id).where(FolderDocument.folder_id == fid)).scalars().first()


def _correspondence(seeded, name: str, adm: str, unit: str | None, cin: str) -> tuple[Target, deposits.DepositResult]:
    subject, sender = f"Objet secret {name}", f"Déposant {name}"
    dep = _deposit(seeded, adm, subject, sender, cin)
    if unit:
        _route(seeded, dep.correspondence_id, unit)
    doc = _first_document(dep.correspondence_id)
    target = Target(
        name,
        {"correspondence": [dep.correspondence_id], "document": [doc], "administration": [seeded.adm_id(adm)]},
        [subject, sender, cin, f"piece-{cin}.pdf"],
        route_args={"mail_id": str(dep.correspondence_id), "reference": dep.reference},
        document_id=doc,
    )
    return target, dep


def _folder_target(seeded, name: str, initiator: str, steps: list[tuple[str, str]]) -> Target:
    title = f"Parapheur secret {name}"
    fid = _folder(seeded, initiator, title, steps)
    doc = _folder_document(fid)
    return Target(
        name, {"folder": [fid], "document": [doc]}, [title], route_args={"folder_id": str(fid)}, document_id=doc
    )


def _people(seeded, adm: str, exclude: set[str]) -> Target:
    """An administration's staff, memberships, units, delegations, holidays and circuit templates (the
    objects of the admin pages); gives the administration a holiday and a template of its own first."""
    adm_id = seeded.adm_id(adm)
    with db.write_session() as s:
        if not s.execute(select(Holiday.id).where(Holiday.administration_id == adm_id)).first():
            holidays.add_holiday(s, system_actor(), adm_id, date(2026, 12, 24), name_ar="عطلة", name_fr="Pont")
            webhooks.create_endpoint(
                s,
                system_actor(),
                adm_id,
                f"https://8.8.8.8/{adm.lower()}-hook-secret",
                ["deposit.received"],
                "Webhook secret",
            )
            circuits.save_template(
                s,
                system_actor(),
                administration_id=adm_id,
                name_fr="Circuit",
                name_ar="مسار",
                steps=[
                    {
                        "kind": "visa",
                        "user_ids": [
                            s.execute(select(User.id).where(User.administration_id == adm_id)).scalars().first()
                        ],
                    }
                ],
            )
            idp = providers.save_provider(
                s,
                system_actor(),
                adm_id,
                None,
                {  # nothing listens there: fails fast
                    "kind": "ldap",
                    "name": "Annuaire",
                    "enabled": "1",
                    "server_url": "ldap://127.0.0.1:1",
                    "search_base": "dc=example",
                    "search_filter": "(uid={login})",
                },
                secret="bind-secret",
            )
            providers.add_rule(s, system_actor(), idp.id, "cn=staff", seeded.unit_id(adm, "BO"), "agent")
    with db.read_session() as s:
        staff = s.execute(select(User).where(User.administration_id == adm_id).order_by(User.id)).scalars().all()
        memberships = (
            s.execute(
                select(RoleMembership.id)
                .join(User, User.id == RoleMembership.user_id)
                .where(User.administration_id == adm_id)
                .order_by(RoleMembership.id)
            )
            .scalars()
            .all()
        )
        delegations = (
            s.execute(
                select(Delegation.id)
                .join(User, User.id == Delegation.from_user_id)
                .where(User.administration_id == adm_id)
            )
            .scalars()
            .all()
        )
        days = s.execute(select(Holiday.id).where(Holiday.administration_id == adm_id)).scalars().all()
        templates = (
            s.execute(select(CircuitTemplate.id).where(CircuitTemplate.administration_id == adm_id)).scalars().all()
        )
        hooks = s.execute(select(WebhookEndpoint.id).where(WebhookEndpoint.administration_id == adm_id)).scalars().all()
        idps = (
            s.execute(select(IdentityProvider.id).where(IdentityProvider.administration_id == adm_id)).scalars().all()
        )
        rules = s.execute(select(ProviderRoleRule.id).where(ProviderRoleRule.provider_id.in_(idps))).scalars().all()
    return Target(
        f"people-{adm}",
        {
            "administration": [adm_id],
            "user": [staff[0].id, staff[-1].id],
            "membership": memberships[:1],
            "unit": [seeded.unit_id(adm, "BO")],
            "delegation": delegations[:1],
            "holiday": days[:1],
            "template": templates[:1],
            "webhook": hooks[:1],
            "provider": idps[:1],
            "rule": rules[:1],
        },
        [*(u.email for u in staff if u.email not in exclude), f"{adm.lower()}-hook-secret"],
    )


def build(seeded) -> World:
    """The demo seed plus the objects above; returns every actor kind with their forbidden targets."""
    with db.write_session() as s:
        other = users.create_user(
            s,
            system_actor(),
            administration_id=seeded.adm_id("MEF"),
            email="agent.dsp@mrasla.ma",
            full_name="Agent de la DSP",
            password=PASSWORD,
        )
        users.add_membership(s, system_actor(), other.id, seeded.unit_id("MEF", "DB.DSP"), "agent")
    dss, dss_dep = _correspondence(seeded, "DSS", "MEF", "DB.DSS", "ZX901234")
    dtfe, _ = _correspondence(seeded, "DTFE", "MEF", "DTFE", "ZY902345")
    crb, crb_dep = _correspondence(seeded, "CRB", "CRB", None, "ZW903456")
    # the depositor of CRB's letter trying MEF's letter with their own tokens
    cross = Target(
        "other-deposit-token",
        {"correspondence": [dss_dep.correspondence_id]},
        dss.markers,
        route_args={"reference": dss_dep.reference},
        query={"k": crb_dep.access_token, "t": crb_dep.verify_token},
        document_id=dss.document_id,
    )
    f_mef = _folder_target(
        seeded, "MEF", "agent.mef@mrasla.ma", [("visa", "head.mef@mrasla.ma"), ("signature", "director.mef@mrasla.ma")]
    )
    f_director = _folder_target(seeded, "DIR", "sg.mef@mrasla.ma", [("signature", "director.mef@mrasla.ma")])
    f_crb = _folder_target(seeded, "CRB", "agent.crb@mrasla.ma", [("visa", "clerk.crb@mrasla.ma")])
    # the director's delegation to the head of division has ended
    with db.write_session() as s:
        for d in s.execute(
            select(Delegation).where(Delegation.from_user_id == seeded.user_id("director.mef@mrasla.ma"))
        ).scalars():
            d.ends_at = utcnow() - timedelta(days=1)
            d.starts_at = min(d.starts_at, d.ends_at - timedelta(days=1))

    def people(adm: str, actor: str | None) -> Target:
        return _people(seeded, adm, {actor} if actor else set())

    actors = [
        Actor("anonymous", None, [dss, crb, f_mef, people("MEF", None)]),
        Actor("depositor with another deposit's token", None, [cross]),
        Actor("agent of another unit", "agent.dsp@mrasla.ma", [dss, dtfe, f_mef, people("MEF", "agent.dsp@mrasla.ma")]),
        Actor("agent of another administration", "agent.crb@mrasla.ma", [dss, f_mef, people("MEF", None)]),
        Actor("clerk", "clerk.mef@mrasla.ma", [f_mef, crb, people("MEF", "clerk.mef@mrasla.ma")]),
        Actor("clerk of another administration", "clerk.crb@mrasla.ma", [dss, f_mef, people("MEF", None)]),
        Actor("head", "head.mef@mrasla.ma", [dtfe, crb, f_crb, people("MEF", "head.mef@mrasla.ma")]),
        Actor("signatory", "director.mef@mrasla.ma", [dtfe, f_crb, people("MEF", "director.mef@mrasla.ma")]),
        Actor("delegate after the delegation ended", "head.mef@mrasla.ma", [f_director]),
        Actor("administrator", "admin.mef@mrasla.ma", [dss, crb, f_mef, people("CRB", None)]),
    ]
    return World(actors, {"MEF": seeded.adm_id("MEF"), "CRB": seeded.adm_id("CRB")})

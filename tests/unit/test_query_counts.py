"""List pages cost a fixed number of SQL statements, however many rows they show (no N+1 queries).

Each list a page shows is fetched through its service with few rows, then again after many more
rows were added through the services; the statements sent to the database (counted with
SQLAlchemy's ``before_cursor_execute`` event) must be the same number both times, while the lists
themselves grew.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import event, select

from mrasla_app import db
from mrasla_app.models import Correspondence, Direction
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import dashboard, dispatch, exports, holidays, inbox, paper
from mrasla_app.services.correspondence.inbox import InboxFilter, Queue, Sort
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory import users
from mrasla_app.services.directory.accounts import system_actor
from mrasla_app.services.parapheur import circuits, decisions, submission, views
from mrasla_app.services.portal import tracking
from tests.files import pdf_bytes

CLERK, AGENT, HEAD = "clerk.mef@mrasla.ma", "agent.mef@mrasla.ma", "head.mef@mrasla.ma"
DIRECTOR, ADMIN = "director.mef@mrasla.ma", "admin.mef@mrasla.ma"
SMALL, LARGE = 5, 50
FOLDERS_SMALL, FOLDERS_LARGE = 2, 8  # a folder costs a PDF preparation: fewer, still 4× more rows


@contextmanager
def counting() -> Iterator[list[str]]:
    """Every statement sent to either engine while inside the block."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    engines = {db.engine(), db.engine(write=True)}
    for e in engines:
        event.listen(e, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for e in engines:
            event.remove(e, "before_cursor_execute", count)


def measure(pages: dict[str, Callable]) -> tuple[dict[str, int], dict[str, int]]:
    """(statements, rows listed) per page, each page called in its own read session."""
    statements, sizes = {}, {}
    for name, call in pages.items():
        with counting() as seen, db.read_session() as s:
            result = call(s)
        statements[name] = len(seen)
        sizes[name] = sum(result.values()) if isinstance(result, dict) else len(result)
    return statements, sizes


def add_mail(demo, n: int, start: int) -> None:
    """``n`` incoming e-mails, qualified and dispatched to DB.DSS with copies to DB.DSP and DB, half taken by
    the agent, every fifth confidential for the agent; plus one outgoing and one internal letter each."""
    clerk, agent = demo.actor(CLERK), demo.actor(AGENT)
    adm = demo.adm_id("MEF")
    dss, dsp, db_ = demo.unit_id("MEF", "DB.DSS"), demo.unit_id("MEF", "DB.DSP"), demo.unit_id("MEF", "DB")
    for i in range(start, start + n):
        with db.write_session() as s:
            reg = paper.register_incoming(
                s,
                clerk,
                administration_id=adm,
                channel="email",
                subject=f"Demande d'attestation n° {i}",
                sender_name=f"Citoyen {i}",
                sender_email=f"citoyen{i}@exemple.ma",
                type_code="request",
            )
            cid = reg.correspondence.id
            dispatch.qualify(
                s,
                clerk,
                cid,
                type_code="request",
                deadline=date(2020, 1, 1) if i % 3 else None,
                confidential=i % 5 == 0,
                named_user_ids=[demo.user_id(AGENT)] if i % 5 == 0 else (),
            )
            dispatch.dispatch(s, clerk, cid, action_unit_id=dss, info_unit_ids=[dsp, db_])
            if i % 2:
                dispatch.take(s, agent, cid)
                dispatch.add_note(s, agent, cid, "Pièces reçues")
            paper.register_outgoing(
                s,
                agent,
                administration_id=adm,
                unit_id=dss,
                channel="email",
                subject=f"Réponse n° {i}",
                recipient_name=f"Citoyen {i}",
            )
            paper.register_internal(
                s, agent, administration_id=adm, subject=f"Note interne n° {i}", from_unit_id=dss, to_unit_id=dsp
            )
        with db.write_session() as s:  # waiting in the registry
            paper.register_incoming(
                s, clerk, administration_id=adm, channel="email", subject=f"Plainte n° {i}", sender_name=f"Société {i}"
            )


def add_folders(demo, n: int) -> None:
    """``n`` signature-book folders started by the agent: a visa by the head, then the director's signature."""
    agent = demo.actor(AGENT)
    steps = [
        {"kind": "visa", "user_ids": [demo.user_id(HEAD)]},
        {"kind": "signature", "user_ids": [demo.user_id(DIRECTOR)]},
    ]
    for i in range(n):
        with db.write_session() as s:
            folder = submission.create_folder(s, agent, f"Réponse n° {i}", [("reponse.pdf", pdf_bytes(1))])
            submission.start(s, agent, folder.id, steps=steps)
            if i % 2:  # the head's visa given: waits for the director's signature
                decisions.act(s, demo.actor(HEAD), folder.id, "approved", comment="Vu")


def add_staff(demo, n: int, start: int) -> None:
    """``n`` users of MEF with a role each, a delegation each, a unit and a circuit template each."""
    admin = demo.actor(ADMIN)
    adm = demo.adm_id("MEF")
    parent = demo.unit_id("MEF", "DB")
    director = demo.user_id(DIRECTOR)
    for i in range(start, start + n):
        with db.write_session() as s:
            unit = directory.save_unit(
                s,
                admin,
                administration_id=adm,
                parent_id=parent,
                code=f"DB.S{i}",
                name_ar=f"مصلحة {i}",
                name_fr=f"Service {i}",
            )
            user = users.create_user(
                s,
                system_actor(),
                administration_id=adm,
                email=f"staff{i}@mrasla.ma",
                full_name=f"Agent {i}",
                password="Mrasla@2026",
            )
            users.add_membership(s, admin, user.id, unit.id, "agent")
            users.create_delegation(
                s,
                admin,
                from_user_id=director,
                to_user_id=user.id,
                starts_at=utcnow(),
                ends_at=utcnow() + timedelta(days=i + 1),
            )
            circuits.save_template(
                s,
                admin,
                administration_id=adm,
                name_fr=f"Circuit {i}",
                name_ar=f"مسار {i}",
                steps=[{"kind": "visa", "user_ids": [user.id]}],
            )


def pages(demo) -> dict[str, Callable]:
    clerk, agent, head = demo.actor(CLERK), demo.actor(AGENT), demo.actor(HEAD)
    director, admin = demo.actor(DIRECTOR), demo.actor(ADMIN)
    adm = demo.adm_id("MEF")
    today = date.today()
    first = _first_incoming()
    out: dict[str, Callable] = {}
    for who, actor in (("clerk", clerk), ("agent", agent), ("head", head), ("director", director)):
        for q in Queue:
            out[f"inbox {q.value} ({who})"] = lambda s, a=actor, q=q: inbox.page(s, a, InboxFilter(queue=q), limit=100)[
                0
            ]
        out[f"inbox counts ({who})"] = lambda s, a=actor: inbox.counts(s, a)
    out["inbox by deadline (agent)"] = lambda s: inbox.page(s, agent, InboxFilter(sort=Sort.deadline), limit=100)[0]
    out["inbox search (agent)"] = lambda s: inbox.page(s, agent, InboxFilter(q="citoyen"), limit=100)[0]
    out["registry to qualify"] = lambda s: inbox.page(
        s, clerk, InboxFilter(queue=Queue.to_qualify, sort=Sort.oldest), limit=100
    )[0]
    for d in Direction:
        out[f"register {d.value}"] = lambda s, d=d: exports.register_rows(
            s, clerk, adm, d, today - timedelta(days=1), today + timedelta(days=1)
        )
    for q in views.QUEUES:
        for who, actor in (("agent", agent), ("head", head), ("director", director)):
            out[f"parapheur {q} ({who})"] = lambda s, a=actor, q=q: views.queue(s, a, q)
    out["admin users"] = lambda s: users.list_users(s, admin, adm)
    out["admin memberships"] = lambda s: users.memberships(s, admin, adm)
    out["admin units"] = lambda s: directory.units_for(s, admin, adm)
    out["admin delegations"] = lambda s: users.delegations(s, admin, adm)
    out["admin circuits"] = lambda s: circuits.list_templates(s, admin, adm)
    out["admin holidays"] = lambda s: holidays.list_holidays(s, admin, adm, today.year)
    out["dashboard (head)"] = lambda s: dashboard.dashboard(s, head).queues
    out["dashboard (admin)"] = lambda s: dashboard.dashboard(s, admin).queues
    out["timeline"] = lambda s: dispatch.history(s, clerk, first)
    out["tracking view"] = lambda s: tracking.view(s, s.get(Correspondence, first)).milestones
    return out


def _first_incoming() -> int:
    with db.read_session() as s:
        return (
            s.execute(
                select(Correspondence.id)
                .where(Correspondence.direction == Direction.incoming)
                .order_by(Correspondence.id)
            )
            .scalars()
            .first()
        )


def redispatch_first(demo, times: int) -> None:
    """More milestones on the first correspondence's timeline: re-dispatched back and forth."""
    clerk, cid = demo.actor(CLERK), _first_incoming()
    for i in range(times):
        with db.write_session() as s:
            dispatch.dispatch(s, clerk, cid, action_unit_id=demo.unit_id("MEF", "DB.DSP" if i % 2 else "DB.DSS"))


def test_list_pages_cost_the_same_statements_with_ten_times_more_rows(seeded):
    add_mail(seeded, SMALL, 0)
    add_folders(seeded, FOLDERS_SMALL)
    add_staff(seeded, SMALL, 0)
    redispatch_first(seeded, 1)
    small, small_sizes = measure(pages(seeded))

    add_mail(seeded, LARGE - SMALL, SMALL)
    add_folders(seeded, FOLDERS_LARGE - FOLDERS_SMALL)
    add_staff(seeded, LARGE - SMALL, SMALL)
    redispatch_first(seeded, 10)
    large, large_sizes = measure(pages(seeded))

    assert large == small
    grown = {name for name in small_sizes if large_sizes[name] > small_sizes[name]}
    assert grown >= {
        "inbox all (clerk)",
        "inbox assigned_to_me (agent)",
        "inbox my_unit (head)",
        "inbox for_information (director)",
        "inbox overdue (agent)",
        "inbox sent (agent)",
        "inbox to_qualify (clerk)",
        "inbox counts (agent)",
        "inbox by deadline (agent)",
        "inbox search (agent)",
        "registry to qualify",
        "register incoming",
        "register outgoing",
        "register internal",
        "parapheur to_visa (head)",
        "parapheur to_sign (director)",
        "parapheur my_folders (agent)",
        "parapheur done (head)",
        "admin users",
        "admin memberships",
        "admin units",
        "admin delegations",
        "admin circuits",
        "dashboard (head)",
        "dashboard (admin)",
        "timeline",
        "tracking view",
    }, sorted(set(small_sizes) - grown)

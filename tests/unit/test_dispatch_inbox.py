"""Qualification, dispatch, the inbox queues, search and scoping, as the registry and agents use them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import Correspondence, Dispatch, Status
from mrasla_app.services.correspondence import dispatch, inbox
from mrasla_app.services.correspondence.inbox import InboxFilter, Queue
from mrasla_app.services.directory import users
from mrasla_app.services.directory.accounts import system_actor
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.portal import deposits

DEADLINE = date(2030, 1, 15)


def deposit(seeded, subject="Demande d'attestation", adm="MEF", name="Salma Bennis", message="") -> int:
    form = deposits.DepositForm(
        administration_id=seeded.adm_id(adm),
        full_name=name,
        id_kind="CIN",
        id_value="AB123456",
        email="",
        phone="0612345678",
        subject=subject,
        message=message,
    )
    with db.write_session() as s:
        return deposits.submit(s, form).correspondence_id


def ids(seeded, email, **kw) -> list[int]:
    with db.read_session() as s:
        rows, _ = inbox.page(s, seeded.actor(email), InboxFilter(**kw), limit=100)
    return [r.id for r in rows]


def counts(seeded, email) -> dict[str, int]:
    with db.read_session() as s:
        return inbox.counts(s, seeded.actor(email))


def qualify_and_dispatch(seeded, cid, *, action="DB.DSS", info=(), user=None, confidential=False, named=()):
    clerk = seeded.actor("clerk.mef@mrasla.ma")
    with db.write_session() as s:
        dispatch.qualify(
            s,
            clerk,
            cid,
            type_code="request",
            priority="urgent",
            deadline=DEADLINE,
            confidential=confidential,
            named_user_ids=named,
        )
        dispatch.dispatch(
            s,
            clerk,
            cid,
            action_unit_id=seeded.unit_id("MEF", action),
            action_user_id=user,
            info_unit_ids=[seeded.unit_id("MEF", u) for u in info],
            instructions="Préparer une réponse",
        )


def test_a_new_deposit_waits_in_the_registry_only(seeded):
    cid = deposit(seeded)
    assert ids(seeded, "clerk.mef@mrasla.ma", queue=Queue.to_qualify) == [cid]
    assert counts(seeded, "clerk.mef@mrasla.ma")["to_qualify"] == 1
    for outsider in (
        "agent.mef@mrasla.ma",
        "head.mef@mrasla.ma",
        "clerk.crb@mrasla.ma",
        "agent.crb@mrasla.ma",
        "admin.mef@mrasla.ma",
    ):
        assert ids(seeded, outsider) == [], outsider
        assert sum(counts(seeded, outsider).values()) == 0, outsider


def test_dispatch_reaches_the_unit_its_heads_and_the_copies(seeded):
    cid = deposit(seeded)
    with db.write_session() as s:
        dsp_agent = users.create_user(
            s,
            system_actor(),
            administration_id=seeded.adm_id("MEF"),
            email="dsp@mrasla.ma",
            full_name="Agent DSP",
            password="Mrasla@2026",
        )
        users.add_membership(s, system_actor(), dsp_agent.id, seeded.unit_id("MEF", "DB.DSP"), "agent")
    qualify_and_dispatch(seeded, cid, info=("DB.DSP",))
    assert ids(seeded, "agent.mef@mrasla.ma", queue=Queue.my_unit) == [cid]
    assert ids(seeded, "head.mef@mrasla.ma", queue=Queue.my_unit) == [cid]
    assert ids(seeded, "director.mef@mrasla.ma") == [cid]  # head of the directorate above
    assert ids(seeded, "dsp@mrasla.ma", queue=Queue.for_information) == [cid]
    assert ids(seeded, "dsp@mrasla.ma", queue=Queue.my_unit) == []
    assert ids(seeded, "clerk.mef@mrasla.ma", queue=Queue.to_qualify) == []
    assert ids(seeded, "agent.crb@mrasla.ma") == []

    agent = seeded.actor("agent.mef@mrasla.ma")
    with db.write_session() as s:
        dispatch.take(s, agent, cid)
        dispatch.add_note(s, agent, cid, "Pièces complètes, réponse en préparation")
    assert ids(seeded, "agent.mef@mrasla.ma", queue=Queue.assigned_to_me) == [cid]
    with db.read_session() as s:
        corr = s.get(Correspondence, cid)
        events = [e.action for e in dispatch.history(s, agent, cid)]
    assert corr.status is Status.in_progress and corr.deadline == DEADLINE
    assert events == [
        "correspondence.deposited",
        "correspondence.qualified",
        "correspondence.dispatched",
        "correspondence.in_progress",
        "correspondence.note_added",
    ]


def test_other_administrations_and_units_cannot_act(seeded):
    cid = deposit(seeded)
    qualify_and_dispatch(seeded, cid)
    for email in ("agent.crb@mrasla.ma", "clerk.crb@mrasla.ma"):
        outsider = seeded.actor(email)
        for act in (
            lambda s: dispatch.take(s, outsider, cid),
            lambda s: dispatch.close(s, outsider, cid, "x"),
            lambda s: dispatch.add_note(s, outsider, cid, "x"),
            lambda s: dispatch.history(s, outsider, cid),
            lambda s: dispatch.dispatch(s, outsider, cid, action_unit_id=seeded.unit_id("CRB", "BO")),
        ):
            with pytest.raises(NotFound), db.write_session() as s:
                act(s)
    # an agent of MEF outside the action unit's branch sees nothing and cannot act
    with db.write_session() as s:
        other = users.create_user(
            s,
            system_actor(),
            administration_id=seeded.adm_id("MEF"),
            email="drh@mrasla.ma",
            full_name="Agent DRH",
            password="Mrasla@2026",
        )
        users.add_membership(s, system_actor(), other.id, seeded.unit_id("MEF", "DAAG.DRH"), "agent")
    assert ids(seeded, "drh@mrasla.ma") == []
    with pytest.raises(NotFound), db.write_session() as s:
        dispatch.take(s, seeded.actor("drh@mrasla.ma"), cid)
    with db.read_session() as s:
        assert s.get(Correspondence, cid).status is Status.dispatched


def test_only_the_registry_qualifies(seeded):
    cid = deposit(seeded)
    qualify_and_dispatch(seeded, cid)
    with pytest.raises(PermissionDenied), db.write_session() as s:
        dispatch.qualify(s, seeded.actor("agent.mef@mrasla.ma"), cid, type_code="request")


def test_confidential_items_only_for_named_people(seeded):
    cid = deposit(seeded, subject="Dossier disciplinaire")
    agent_id = seeded.user_id("agent.mef@mrasla.ma")
    qualify_and_dispatch(seeded, cid, confidential=True, named=[agent_id], user=agent_id)
    assert ids(seeded, "agent.mef@mrasla.ma") == [cid]
    assert ids(seeded, "head.mef@mrasla.ma") == []
    assert ids(seeded, "director.mef@mrasla.ma") == []
    assert counts(seeded, "head.mef@mrasla.ma")["all"] == 0


def test_confidential_needs_named_people(seeded):
    cid = deposit(seeded)
    with pytest.raises(DomainError) as err, db.write_session() as s:
        dispatch.qualify(s, seeded.actor("clerk.mef@mrasla.ma"), cid, type_code="request", confidential=True)
    assert err.value.code == "error.confidential_needs_names"


def test_return_to_registry_needs_a_reason_and_goes_back_to_qualification(seeded):
    cid = deposit(seeded)
    qualify_and_dispatch(seeded, cid)
    agent = seeded.actor("agent.mef@mrasla.ma")
    with pytest.raises(DomainError), db.write_session() as s:
        dispatch.return_to_registry(s, agent, cid, "  ")
    with db.write_session() as s:
        dispatch.return_to_registry(s, agent, cid, "Relève de la DRH")
    assert ids(seeded, "clerk.mef@mrasla.ma", queue=Queue.to_qualify) == [cid]
    assert ids(seeded, "agent.mef@mrasla.ma") == []
    with db.read_session() as s:
        assert not s.execute(
            select(Dispatch).where(Dispatch.correspondence_id == cid, Dispatch.active.is_(True))
        ).first()


def test_closed_items_cannot_be_dispatched_again(seeded):
    cid = deposit(seeded)
    qualify_and_dispatch(seeded, cid)
    clerk = seeded.actor("clerk.mef@mrasla.ma")
    with db.write_session() as s:
        dispatch.close(s, clerk, cid, "Sans suite")
    with pytest.raises(DomainError) as err, db.write_session() as s:
        dispatch.dispatch(s, clerk, cid, action_unit_id=seeded.unit_id("MEF", "DB"))
    assert err.value.code == "error.invalid_transition"


@pytest.mark.parametrize(
    "query", ["اعاده النظر", "إعادة", "الضريبه", "الضَّرِيبَة", "réclamation", "RECLAMATION", "bennis"]
)
def test_search_ignores_hamza_ta_marbuta_diacritics_and_accents(seeded, query):
    hit = deposit(seeded, subject="طلب إعادة النظر في الضريبة - Réclamation")
    deposit(seeded, subject="Demande de stage", name="Omar Tazi")
    assert ids(seeded, "clerk.mef@mrasla.ma", q=query) == [hit]


def test_search_by_registry_number_and_never_outside_scope(seeded):
    cid = deposit(seeded, subject="Attestation de salaire")
    with db.read_session() as s:
        number = s.get(Correspondence, cid).registry_number
    assert ids(seeded, "clerk.mef@mrasla.ma", q=number) == [cid]
    assert ids(seeded, "clerk.crb@mrasla.ma", q="attestation") == []
    assert ids(seeded, "clerk.crb@mrasla.ma", q=number) == []


def test_a_whole_number_is_found_however_it_is_typed(seeded):
    deposit(seeded, subject="Attestation de salaire")  # another letter, which no typed form must find
    cid = deposit(seeded, subject="Demande de stage")
    with db.read_session() as s:
        number = s.get(Correspondence, cid).registry_number  # e.g. MEF/2026/A/000002
    code, year, letter, seq = number.split("/")
    for typed in (
        number,
        f" {code.lower()}-{year}-{letter.lower()}-{int(seq)} ",
        f"{code} / {year} / {letter} / {seq}",
    ):
        assert ids(seeded, "clerk.mef@mrasla.ma", q=typed) == [cid], typed
    assert ids(seeded, "clerk.mef@mrasla.ma", q=f"{code}/{year}/{letter}/{int(seq) + 5}") == []
    assert ids(seeded, "clerk.crb@mrasla.ma", q=number.lower()) == []


def test_keyset_pages_cover_everything_once(seeded):
    created = [deposit(seeded, subject=f"Demande {i}") for i in range(23)]
    clerk = seeded.actor("clerk.mef@mrasla.ma")
    seen, cursor = [], ""
    with db.read_session() as s:
        while True:
            rows, cursor = inbox.page(s, clerk, InboxFilter(), after=cursor, limit=10)
            seen += [r.id for r in rows]
            if not cursor:
                break
    assert seen == sorted(created, reverse=True)


def test_deadline_sort_and_overdue_queue(seeded):
    a, b, c = (deposit(seeded, subject=s) for s in ("A", "B", "C"))
    clerk = seeded.actor("clerk.mef@mrasla.ma")
    with db.write_session() as s:
        dispatch.qualify(s, clerk, a, type_code="request", deadline=date.today() - timedelta(days=3))
        dispatch.qualify(s, clerk, b, type_code="request", deadline=date.today() + timedelta(days=30))
        dispatch.qualify(s, clerk, c, type_code="request", deadline=date.today() + timedelta(days=1))
    assert ids(seeded, "clerk.mef@mrasla.ma", sort=inbox.Sort.deadline) == [a, c, b]
    assert ids(seeded, "clerk.mef@mrasla.ma", queue=Queue.overdue) == [a]
    with db.read_session() as s:
        rows, cursor = inbox.page(s, clerk, InboxFilter(sort=inbox.Sort.deadline), limit=1)
        rest, _ = inbox.page(s, clerk, InboxFilter(sort=inbox.Sort.deadline), after=cursor, limit=5)
    assert [r.id for r in rows + rest] == [a, c, b]

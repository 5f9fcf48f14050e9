"""The read views the pages show (send panel, own account, portal deposit and tracking, batch numbers,
push devices, delegation status, closed lists): built in the services, for the actor who asks."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from mrasla_app import db
from mrasla_app.models import Administration, Delegation
from mrasla_app.models.base import utcnow
from mrasla_app.services import vocabulary
from mrasla_app.services.correspondence import batches, paper, sending
from mrasla_app.services.correspondence import views as letter_views
from mrasla_app.services.directory import users
from mrasla_app.services.directory import views as account_views
from mrasla_app.services.errors import NotFound, PermissionDenied
from mrasla_app.services.parapheur import push
from mrasla_app.services.platform import notifications
from mrasla_app.services.portal import views as portal_views
from tests.files import pdf_bytes

CLERK = "clerk.mef@mrasla.ma"


def _outgoing_to_send(seeded) -> int:
    """An outgoing letter the MEF registry registered for CRB (a platform administration): "to send"."""
    with db.write_session() as s:
        reg = paper.register_outgoing(
            s,
            seeded.actor(CLERK),
            administration_id=seeded.adm_id("MEF"),
            subject="Convention signée",
            unit_id=seeded.unit_id("MEF", "DB"),
            recipient_administration_id=seeded.adm_id("CRB"),
            files=[("convention.pdf", pdf_bytes(1, text="Convention"))],
        )
        return reg.correspondence.id


def test_the_send_panel_of_an_outgoing_letter_names_its_recipient_for_the_registry_only(seeded):
    out_id = _outgoing_to_send(seeded)
    with db.read_session() as s:
        crb = s.get(Administration, seeded.adm_id("CRB"))
        panel = letter_views.send_panel_for_letter(s, seeded.actor(CLERK), out_id)
        assert (panel.folder_id, panel.correspondence_id, panel.options) == (0, out_id, None)
        assert panel.reference.startswith("MEF/") and "/D/" in panel.reference
        assert (panel.fixed.ar, panel.fixed.fr) == (f"CRB — {crb.name_ar}", f"CRB — {crb.name_fr}")
        with pytest.raises(NotFound):  # another administration does not even see the letter
            letter_views.send_panel_for_letter(s, seeded.actor("agent.crb@mrasla.ma"), out_id)
    with db.write_session() as s:
        sending.send_outgoing(s, seeded.actor(CLERK), out_id)
    with pytest.raises(PermissionDenied), db.read_session() as s:  # sent: nothing left to send
        letter_views.send_panel_for_letter(s, seeded.actor(CLERK), out_id)


def test_the_send_panel_of_a_signed_folder_offers_the_other_administrations_to_its_sender(seeded):
    from tests.unit.test_sending import _signed_folder

    folder_id = _signed_folder(seeded)
    with db.read_session() as s:
        panel = letter_views.send_panel_for_folder(s, seeded.actor("agent.mef@mrasla.ma"), folder_id)
        assert panel.folder_id == folder_id and panel.correspondence_id == 0 and panel.options is not None
        codes = {a.code for a in panel.options.administrations}
        assert "CRB" in codes and "MEF" not in codes
        for outsider in ("agent.crb@mrasla.ma", CLERK):
            with pytest.raises(PermissionDenied):
                letter_views.send_panel_for_folder(s, seeded.actor(outsider), folder_id)
        with pytest.raises(PermissionDenied):  # no such folder: the same refusal
            letter_views.send_panel_for_folder(s, seeded.actor("agent.mef@mrasla.ma"), 987654)


def test_the_account_view_is_the_actors_own_roles_in_their_units(seeded):
    with db.read_session() as s:
        director = account_views.account_view(s, seeded.actor("director.mef@mrasla.ma"))
        agent = account_views.account_view(s, seeded.actor("agent.mef@mrasla.ma"))
    assert sorted((m.role, m.unit_code) for m in director.memberships) == [("head", "DB"), ("signatory", "DB")]
    assert [(m.role, m.unit_code) for m in agent.memberships] == [("agent", "DB.DSS")]
    assert all(m.unit_name_ar and m.unit_name_fr for m in agent.memberships)
    assert not agent.totp_enabled and not agent.totp_pending


def test_a_deposit_goes_only_to_an_active_administration_with_its_active_units(seeded):
    mef = seeded.adm_id("MEF")
    with db.read_session() as s:
        found = portal_views.deposit_destination(s, mef)
        assert found is not None and (found.id, found.code) == (mef, "MEF")
        assert found.units and all(n.unit.administration_id == mef and n.unit.active for n in found.units)
        assert portal_views.deposit_destination(s, 0) is None
        assert portal_views.deposit_destination(s, 987654) is None
    with db.write_session() as s:
        s.get(Administration, mef).active = False
    with db.read_session() as s:
        assert portal_views.deposit_destination(s, mef) is None


def test_the_tracking_view_of_a_deposited_letter(seeded):
    from tests.unit.test_sending import _incoming

    result = _incoming(seeded)
    with db.read_session() as s:
        view = portal_views.tracking_view(s, result.correspondence_id)
        assert view is not None and view.registry_number == result.registry_number
        assert view.subject == "Demande d'attestation" and not view.answers
        assert portal_views.tracking_view(s, 987654) is None


def test_batch_letters_show_the_registry_numbers_they_were_given(seeded):
    out_id = _outgoing_to_send(seeded)
    letters = [SimpleNamespace(id=7, correspondence_id=out_id), SimpleNamespace(id=8, correspondence_id=None)]
    with db.read_session() as s:
        numbers = batches.registry_numbers(s, letters)  # type: ignore[arg-type]
        assert list(numbers) == [7] and numbers[7].startswith("MEF/")
        assert batches.registry_numbers(s, []) == {}


def test_push_devices_counts_only_the_persons_own_browsers(seeded):
    sg, other = seeded.user_id("sg.mef@mrasla.ma"), seeded.user_id("agent.mef@mrasla.ma")
    keys = {"p256dh": "B" * 87, "auth": "A" * 22}
    with db.write_session() as s:
        assert notifications.push_devices(s, sg) == 0
        push.subscribe(s, sg, {"endpoint": "https://push.example/1", "keys": keys})
        push.subscribe(s, sg, {"endpoint": "https://push.example/2", "keys": keys})
    with db.read_session() as s:
        assert (notifications.push_devices(s, sg), notifications.push_devices(s, other)) == (2, 0)


def test_a_delegation_is_upcoming_current_expired_or_revoked():
    now = utcnow()

    def status(starts: timedelta, ends: timedelta, revoked: bool = False) -> str:
        d = Delegation(from_user_id=1, to_user_id=2, starts_at=now + starts, ends_at=now + ends, revoked=revoked)
        return users.delegation_status(d, now)

    day = timedelta(days=1)
    assert status(day, 2 * day) == "upcoming"
    assert status(-day, day) == "current"
    assert status(-2 * day, -day) == "expired"
    assert status(-day, day, revoked=True) == "revoked"


def test_the_interfaces_name_roles_and_statuses_by_plain_strings(seeded):
    assert set(vocabulary.ROLES) >= {"clerk", "agent", "head", "signatory", "admin", "archivist"}
    assert "to_qualify" in vocabulary.STATUSES and "urgent" in vocabulary.PRIORITIES
    assert all(isinstance(v, str) and type(v) is str for v in vocabulary.ROLES + vocabulary.BATCH_WORKING)
    clerk, agent = seeded.actor(CLERK), seeded.actor("agent.mef@mrasla.ma")
    assert clerk.has_role("clerk") and not agent.has_role("clerk") and agent.has_role("head", "agent")
    assert agent.unit_ids("agent") == frozenset({seeded.unit_id("MEF", "DB.DSS")}) and not agent.unit_ids("clerk")

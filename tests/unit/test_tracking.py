"""Depositors who lost their link: registry number + contact → one-time code → their tracking view."""

from __future__ import annotations

import re

from mrasla_app import db
from mrasla_app.models import Notification
from mrasla_app.services import deposits, tracking


def _deposit(seeded) -> deposits.DepositResult:
    form = deposits.DepositForm(administration_id=seeded.adm_id("CRB"), full_name="Hamid Naciri", id_kind="CIN",
                                id_value="BE445566", email="hamid@example.ma", phone="+212661234567",
                                subject="Demande d'extrait d'acte de naissance")
    with db.write_session() as s:
        return deposits.submit(s, form)


def _code(notification_id: int) -> str:
    with db.read_session() as s:
        body = s.get(Notification, notification_id).body
    return re.search(r"[:：]\s*(\d{6})\b", body).group(1)  # "… is: 123456" (the number has 6 digits too)


def test_code_sent_only_when_number_and_contact_match(seeded):
    dep = _deposit(seeded)
    with db.write_session() as s:
        assert tracking.request_code(s, dep.registry_number, "someone@else.ma") == []
        assert tracking.request_code(s, "CRB/2026/A/999999", "hamid@example.ma") == []
        by_phone = tracking.request_code(s, dep.registry_number.lower(), "+212 661 23 45 67")
        by_mail = tracking.request_code(s, dep.registry_number, " Hamid@Example.ma ")
    assert len(by_phone) == 1 and len(by_mail) == 1


def test_the_code_opens_the_tracking_view_once(seeded):
    dep = _deposit(seeded)
    with db.write_session() as s:
        (nid,) = tracking.request_code(s, dep.registry_number, "hamid@example.ma")
    code = _code(nid)
    with db.write_session() as s:
        corr = tracking.confirm_code(s, dep.registry_number, code)
        assert corr is not None and corr.id == dep.correspondence_id
        assert tracking.view(s, corr).milestones[0].key == "track.event.deposited"
    with db.write_session() as s:
        assert tracking.confirm_code(s, dep.registry_number, code) is None  # used


def test_five_wrong_codes_burn_the_code(seeded):
    dep = _deposit(seeded)
    with db.write_session() as s:
        (nid,) = tracking.request_code(s, dep.registry_number, "hamid@example.ma")
    code = _code(nid)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with db.write_session() as s:
            assert tracking.confirm_code(s, dep.registry_number, wrong) is None
    with db.write_session() as s:
        assert tracking.confirm_code(s, dep.registry_number, code) is None

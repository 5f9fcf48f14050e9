"""Depositors who lost their link: registry number + contact → one-time code → their tracking view."""

from __future__ import annotations

import re

from mrasla_app import db
from mrasla_app.models import Notification
from mrasla_app.services.platform import notifications
from mrasla_app.services.portal import deposits, tracking
from mrasla_app.settings import get_settings


def _deposit(seeded) -> deposits.DepositResult:
    form = deposits.DepositForm(
        administration_id=seeded.adm_id("CRB"),
        full_name="Hamid Naciri",
        id_kind="CIN",
        id_value="BE445566",
        email="hamid@example.ma",
        phone="+212661234567",
        subject="Demande d'extrait d'acte de naissance",
    )
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


def test_a_code_from_an_earlier_request_still_works_first_try(seeded):
    """The depositor asked twice (the page came back to step 1 while they read their mail): the
    code of the first message they open is accepted, once, and then none of them works any more."""
    dep = _deposit(seeded)
    with db.write_session() as s:
        (first,) = tracking.request_code(s, dep.registry_number, "hamid@example.ma")
    with db.write_session() as s:
        (second,) = tracking.request_code(s, dep.registry_number, "hamid@example.ma")
    with db.write_session() as s:
        assert tracking.confirm_code(s, dep.registry_number, _code(first)) is not None
    with db.write_session() as s:
        assert tracking.confirm_code(s, dep.registry_number, _code(second)) is None


def test_arabic_indic_digits_and_spaces_are_accepted(seeded):
    dep = _deposit(seeded)
    with db.write_session() as s:
        (nid,) = tracking.request_code(s, dep.registry_number, "hamid@example.ma")
    arabic = _code(nid).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    with db.write_session() as s:
        assert tracking.confirm_code(s, dep.registry_number, f" {arabic[:3]} {arabic[3:]} ") is not None


def test_five_wrong_tries_burn_every_live_code(seeded):
    dep = _deposit(seeded)
    with db.write_session() as s:
        ids = [tracking.request_code(s, dep.registry_number, "hamid@example.ma")[0] for _ in range(2)]
    codes = {_code(i) for i in ids}
    wrong = next(c for c in ("000000", "111111", "222222") if c not in codes)
    for _ in range(5):
        with db.write_session() as s:
            assert tracking.confirm_code(s, dep.registry_number, wrong) is None
    for code in codes:
        with db.write_session() as s:
            assert tracking.confirm_code(s, dep.registry_number, code) is None


def test_the_code_goes_to_the_stored_address_and_a_phone_gets_a_text_message(seeded):
    """Never an e-mail addressed to a phone number: the phone gets an SMS (an .sms file in the
    development outbox), and the e-mail goes to the address stored at deposit, not to what was typed."""
    dep = _deposit(seeded)
    with db.write_session() as s:
        (by_phone,) = tracking.request_code(s, dep.registry_number, "+212 661 23 45 67")
        (by_mail,) = tracking.request_code(s, dep.registry_number, " Hamid@Example.MA ")
    with db.read_session() as s:
        sms, mail = s.get(Notification, by_phone), s.get(Notification, by_mail)
        assert (sms.to_address, mail.to_address) == ("+212661234567", "hamid@example.ma")
    assert notifications.deliver([by_phone, by_mail]) == 2
    outbox = get_settings().outbox_dir
    (sms_file,) = outbox.glob("*.sms")
    text = sms_file.read_text()
    assert text.startswith("To: +212661234567\n") and _code(by_phone) in text
    assert [p.suffix for p in outbox.glob(f"*-{by_mail:08d}.*")] == [".eml"]
    assert not any("+212" in p.read_text(errors="ignore").split("\n\n")[0] for p in outbox.glob("*.eml"))
    with db.write_session() as s:
        assert tracking.confirm_code(s, dep.registry_number, _code(by_phone)) is not None


def test_a_moroccan_number_matches_however_it_is_written(seeded):
    dep = _deposit(seeded)  # given as +212661234567
    with db.write_session() as s:
        for written in ("0661234567", "06 61 23 45 67", "00212 661 23 45 67", "+212 6 61 23 45 67"):
            assert len(tracking.request_code(s, dep.registry_number, written)) == 1, written
        assert tracking.request_code(s, dep.registry_number, "0661234568") == []

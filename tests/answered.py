"""A citizen's deposit answered through the signature book (the director's signature, then the
platform seal) and sent back to them: shared by the tracking and verification tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fpdf import FPDF

from mrasla_app import db
from mrasla_app.services.correspondence import dispatch, sending
from mrasla_app.services.parapheur import decisions, signing_keys, submission
from mrasla_app.services.portal import deposits

PIN = "246813"  # the demo director's PIN in every test sharing a server (tests/e2e import it)
AGENT, CLERK, DIRECTOR = "agent.mef@mrasla.ma", "clerk.mef@mrasla.ma", "director.mef@mrasla.ma"


@dataclass(frozen=True)
class Answered:
    deposit: deposits.DepositResult
    folder_id: int
    folder_reference: str
    outgoing_number: str
    notification_ids: tuple[int, ...]  # the "your answer is ready" message, queued


def two_page_pdf(text: str = "Reponse") -> bytes:
    pdf = FPDF()
    for i in range(2):
        pdf.add_page()
        pdf.set_font("helvetica", size=14)
        pdf.cell(0, 10, f"{text} - page {i + 1}")
    return bytes(pdf.output())


def answered_deposit(demo, email: str = "salma@example.ma", phone: str = "") -> Answered:  # noqa: ANN001 - tests.conftest.Demo
    form = deposits.DepositForm(
        administration_id=demo.adm_id("MEF"),
        full_name="Salma Bennis",
        id_kind="CIN",
        id_value="AB123456",
        email=email,
        phone=phone,
        subject="Demande d'attestation",
    )
    with db.write_session() as s:
        dep = deposits.submit(s, form)
    clerk, agent = demo.actor(CLERK), demo.actor(AGENT)
    with db.write_session() as s:
        dispatch.qualify(s, clerk, dep.correspondence_id, type_code="request", deadline=date(2030, 1, 1))
        dispatch.dispatch(s, clerk, dep.correspondence_id, action_unit_id=demo.unit_id("MEF", "DB.DSS"))
        dispatch.take(s, agent, dep.correspondence_id)
    with db.write_session() as s:
        if signing_keys.active_key(s, demo.user_id(DIRECTOR)) is None:
            signing_keys.enroll(s, demo.actor(DIRECTOR), PIN)
    with db.write_session() as s:
        folder = submission.create_folder(
            s, agent, "Votre attestation", [("reponse.pdf", two_page_pdf())], correspondence_id=dep.correspondence_id
        )
        submission.start(
            s,
            agent,
            folder.id,
            steps=[
                {"kind": "signature", "user_ids": [demo.user_id(DIRECTOR)]},
                {"kind": "seal", "user_ids": [demo.user_id(CLERK)]},
            ],
        )
        folder_id, reference = folder.id, folder.reference
    with db.write_session() as s:
        decisions.act(s, demo.actor(DIRECTOR), folder_id, "signed", pin=PIN)
    with db.write_session() as s:
        decisions.act(s, demo.actor(CLERK), folder_id, "signed")
    with db.write_session() as s:
        result = sending.send_folder(s, agent, folder_id)
    return Answered(dep, folder_id, reference, result.outgoing_number, result.notification_ids)


if __name__ == "__main__":  # ``python -m tests.answered``: in a running server's data directory (browser tests)
    import json
    import os
    from pathlib import Path

    from mrasla_app.services.platform import notifications
    from tests.conftest import Demo

    done = answered_deposit(Demo(Path(os.environ["MRASLA_DATA_DIR"])), phone="+212600000000")
    notifications.deliver(done.notification_ids)  # now, not later in another test's outbox count
    print(
        json.dumps(
            {
                "number": done.deposit.registry_number,
                "tracking_url": done.deposit.tracking_url,
                "verify_url": done.deposit.verify_url,
                "folder": done.folder_reference,
            }
        )
    )

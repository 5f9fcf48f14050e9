"""GET /api/v1/deposits/{reference}/answers/{id}: the depositor's access token or a tracking ticket."""

from __future__ import annotations

from mrasla_app import db
from mrasla_app.services.portal import tracking
from tests.answered import answered_deposit


def test_the_answer_pdf_opens_with_the_access_token_or_a_ticket_only(client, seeded):
    done = answered_deposit(seeded)
    with db.read_session() as s:
        view = tracking.view(s, tracking.by_access_token(s, done.deposit.reference, done.deposit.access_token))
    (answer,) = view.answers
    url = f"/api/v1/deposits/{done.deposit.reference}/answers/{answer.document_id}"
    ticket = tracking.ticket(tracking.answer_subject(answer.document_id))

    by_token = client.get(url, params={"k": done.deposit.access_token})
    by_ticket = client.get(url, params={"d": ticket})
    assert by_token.status_code == by_ticket.status_code == 200
    assert by_ticket.content == by_token.content and by_ticket.content.startswith(b"%PDF-")
    assert by_ticket.headers["content-disposition"].startswith("attachment;")
    assert client.get(url).status_code == 404
    assert client.get(url, params={"d": ticket[:-1] + ("0" if ticket[-1] != "0" else "1")}).status_code == 404
    other = tracking.ticket(tracking.answer_subject(answer.document_id + 1))
    assert client.get(url, params={"d": other}).status_code == 404

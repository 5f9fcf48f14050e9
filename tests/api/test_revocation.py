"""``mrasla pki revoke``: the operator revokes a signatory's certificate (by serial or all of a user's);
the CRL served at ``/pki/crl.der`` lists it at once and documents signed with it stop verifying."""

from __future__ import annotations

from cryptography import x509
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.cli import main
from mrasla_app.models import AuditEvent, SigningKey
from mrasla_app.services.parapheur import signing_keys, submission
from tests.api.test_auth_and_directory import login
from tests.files import pdf_bytes

PIN = "246810"
HEAD, DIRECTOR, SG = "head.mef@mrasla.ma", "director.mef@mrasla.ma", "sg.mef@mrasla.ma"


def _signed_by_director(client, seeded) -> tuple[bytes, str]:
    """A folder the director signed through the API; (signed PDF, certificate serial)."""
    with db.write_session() as s:
        serial = signing_keys.enroll(s, seeded.actor(DIRECTOR), PIN).serial
    agent = seeded.actor("agent.mef@mrasla.ma")
    with db.write_session() as s:
        folder = submission.create_folder(s, agent, "Réponse", [("reponse.pdf", pdf_bytes())])
        submission.start(s, agent, folder.id, steps=[{"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]}])
        fid = folder.id
    login(client, DIRECTOR)
    r = client.post(f"/api/v1/folders/{fid}/actions", json={"action": "sign", "pin": PIN})
    assert r.status_code == 200 and r.json()["status"] == "completed", r.text
    signed = client.get(f"/api/v1/folders/{fid}/document.pdf").content
    client.post("/api/v1/auth/logout")
    return signed, serial


def _crl(client) -> x509.CertificateRevocationList:
    r = client.get("/pki/crl.der")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pkix-crl"
    return x509.load_der_x509_crl(r.content)


def _verify(client, pdf: bytes) -> dict:
    r = client.post("/api/v1/verify/pdf", files={"file": ("signed.pdf", pdf, "application/pdf")})
    assert r.status_code == 200
    return r.json()


def test_revoke_by_serial_lists_it_on_the_crl_and_the_signed_document_stops_verifying(client, seeded, capsys):
    signed, serial = _signed_by_director(client, seeded)
    assert _verify(client, signed)["authentic"] is True
    assert _crl(client).get_revoked_certificate_by_serial_number(int(serial, 16)) is None

    assert main(["pki", "revoke", serial.upper(), "--reason", "key_compromise"]) == 0
    assert f"certificate {serial} revoked" in capsys.readouterr().out

    entry = _crl(client).get_revoked_certificate_by_serial_number(int(serial, 16))
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    report = _verify(client, signed)
    assert report["authentic"] is False and report["reason"] == "certificate_revoked"
    with db.read_session() as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "signing_key.revoked")).scalar_one()
        assert event.actor_label == "system:cli" and serial in event.data
        assert s.execute(select(SigningKey.revoked).where(SigningKey.serial == serial)).scalar_one()

    assert main(["pki", "revoke", serial]) == 0  # again: nothing changes
    assert len(_crl(client)) == 1
    assert main(["pki", "show"]) == 0
    assert "CRL   1 revoked certificate(s)" in capsys.readouterr().out


def test_revoke_every_certificate_of_a_user(client, seeded, capsys):
    serials = []
    for _ in range(2):  # a re-enrolment leaves the old certificate unrevoked until now
        with db.write_session() as s:
            serials.append(signing_keys.enroll(s, seeded.actor(SG), PIN).serial)
    assert main(["pki", "revoke", "--user", SG.upper(), "--reason", "affiliation_changed"]) == 0
    assert f"2 certificate(s) of {SG} revoked" in capsys.readouterr().out
    crl = _crl(client)
    assert all(crl.get_revoked_certificate_by_serial_number(int(s, 16)) is not None for s in serials)
    with db.write_session() as s:
        assert signing_keys.key_status(s, seeded.actor(SG)) is None  # no active key left to sign with


def test_unknown_serial_or_user_is_refused(client, seeded, capsys):
    assert main(["pki", "revoke", "abcdef0123"]) == 2
    assert main(["pki", "revoke", "--user", "nobody@mrasla.ma"]) == 2
    assert "n'existe pas" in capsys.readouterr().err
    assert len(_crl(client)) == 0

"""POST /api/v1/deposits and the receipt/tracking endpoints, as a portal client would use them."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from mrasla_app import db
from mrasla_app.models import AuditEvent, Correspondence, Document, Notification, RegistryCounter
from mrasla_app.services.platform import audit, notifications
from mrasla_app.services.portal import deposits
from mrasla_app.services.portal.deposits import DepositForm
from tests.api.conftest import deposit_form
from tests.files import encrypted_pdf, jpeg_bytes, pdf_bytes, png_bytes

NUMBER = re.compile(r"^MEF/\d{4}/A/\d{6}$")


def _rows() -> dict[str, int]:
    with db.read_session() as s:
        return {
            name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for name, t in (
                ("corr", Correspondence),
                ("doc", Document),
                ("audit", AuditEvent),
                ("mail", Notification),
                ("counter", RegistryCounter),
            )
        }


def _blobs(data_dir) -> int:
    return sum(1 for p in (data_dir / "blobs").rglob("*") if p.is_file()) if (data_dir / "blobs").exists() else 0


def test_deposit_with_pdf_and_photo_returns_number_and_working_links(client, seeded):
    files = [
        ("files", ("lettre.pdf", pdf_bytes(2), "application/pdf")),
        ("files", ("photo.jpg", jpeg_bytes(), "image/jpeg")),
    ]
    r = client.post("/api/v1/deposits", data=deposit_form(), files=files)
    assert r.status_code == 201, r.text
    body = r.json()
    assert NUMBER.match(body["registry_number"])
    assert body["reference"] == body["registry_number"].replace("/", "-")
    for key in ("receipt_url", "verify_url", "tracking_url"):
        assert body[key].startswith("http://localhost:3000/")

    receipt = client.get(body["receipt_url"].removeprefix("http://localhost:3000"))
    assert receipt.status_code == 200
    assert receipt.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.content)).pages)
    assert body["registry_number"] in text
    assert "AB123456" not in text  # the CIN is masked on the receipt

    check = client.get(body["verify_url"].removeprefix("http://localhost:3000").replace("/verify/", "/api/v1/verify/"))
    assert check.status_code == 200
    info = check.json()
    assert info["authentic"] and info["registry_number"] == body["registry_number"]
    assert info["depositor_id"] == "CIN AB****56"
    assert sorted(d["kind"] for d in info["documents"]) == ["attachment", "attachment", "receipt"]
    pages = {d["filename"]: d["pages"] for d in info["documents"]}
    assert pages["lettre.pdf"] == 2 and pages["photo.jpg"] == 1

    track = client.get(
        f"/api/v1/deposits/{body['reference']}", headers={"X-Access-Token": body["tracking_url"].split("k=")[1]}
    )
    assert track.status_code == 200 and track.json()["status"] == "to_qualify"
    assert [m["key"] for m in track.json()["milestones"]] == ["track.event.deposited"]

    mails = list((seeded.data_dir / "outbox").glob("*.eml"))
    assert len(mails) == 1
    mail = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
    assert body["registry_number"] in str(mail["Subject"]) and body["registry_number"] in mail.get_content()
    assert mail["To"] == "salma@example.ma"
    notifications.write_back_pending()  # the request's outcome is written back within half a second
    with db.read_session() as s:
        assert audit.verify(s) == []
        message = s.execute(select(Notification)).scalar_one()
    assert (message.status.value, message.attempts) == ("sent", 1)  # recorded: the retry job never sends it again


def test_registry_status_is_to_qualify_in_incoming_register(client):
    r = client.post("/api/v1/deposits", data=deposit_form(unit=""), files=[])
    assert r.status_code == 201, r.text
    with db.read_session() as s:
        corr = s.execute(select(Correspondence)).scalars().one()
    assert (corr.direction.value, corr.channel.value, corr.status.value) == ("incoming", "portal", "to_qualify")


@pytest.mark.parametrize(
    "name,data,error",
    [
        ("lettre.pdf", b"MZ\x90\x00 this is an exe renamed", "error.file_type"),
        ("photo.png", b"<html><script>alert(1)</script></html>", "error.file_type"),
        ("vide.pdf", b"", "error.file_empty"),
        ("casse.pdf", b"%PDF-1.7\n1 0 obj <<>> garbage without xref", "error.pdf_broken"),
        ("secret.pdf", None, "error.pdf_encrypted"),
        ("casse.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", "error.image_broken"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(client, seeded, name, data, error):
    before, blobs = _rows(), _blobs(seeded.data_dir)
    content = encrypted_pdf() if data is None else data
    r = client.post(
        "/api/v1/deposits",
        data=deposit_form(),
        files=[("files", ("ok.pdf", pdf_bytes(), "application/pdf")), ("files", (name, content, "application/pdf"))],
    )
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"] == error
    assert body["message"]["ar"] and body["message"]["fr"] and body["message"]["ar"] != body["message"]["fr"]
    assert _rows() == before and _blobs(seeded.data_dir) == blobs


def test_oversized_file_is_refused(client, seeded, monkeypatch):
    monkeypatch.setenv("MRASLA_MAX_UPLOAD_MB", "1")
    from mrasla_app.settings import get_settings

    get_settings.cache_clear()
    before = _rows()
    r = client.post(
        "/api/v1/deposits",
        data=deposit_form(),
        files=[("files", ("gros.pdf", pdf_bytes(pad_to=1024 * 1024 + 10), "application/pdf"))],
    )
    assert r.status_code == 400 and r.json()["error"] == "error.file_too_large"
    assert _rows() == before


@pytest.mark.parametrize(
    "overrides,field,error",
    [
        ({"full_name": "  "}, "full_name", "error.required"),
        ({"id_value": "12AB"}, "id_value", "error.cin_format"),
        ({"id_kind": "ICE", "id_value": "1234"}, "id_value", "error.ice_format"),
        ({"email": "", "phone": ""}, "email", "error.contact_required"),
        ({"email": "not-an-email"}, "email", "error.invalid_email"),
        ({"phone": "06-12"}, "phone", "error.invalid_phone"),
        ({"subject": ""}, "subject", "error.required"),
        ({"administration": "NOPE"}, "administration", "error.unknown_administration"),
        ({"administration": "999999"}, "administration", "error.unknown_administration"),
    ],
)
def test_bad_identity_or_addressee_gives_field_errors_and_changes_nothing(client, overrides, field, error):
    before = _rows()
    r = client.post("/api/v1/deposits", data=deposit_form(**overrides))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "error.invalid_fields"
    assert body["fields"][field]["error"] == error
    assert body["fields"][field]["message"]["ar"] and body["fields"][field]["message"]["fr"]
    assert _rows() == before


def test_company_with_ice_and_phone_only(client):
    r = client.post(
        "/api/v1/deposits",
        data=deposit_form(
            id_kind="ICE",
            id_value="001234567000089",
            email="",
            phone="+212 6 12 34 56 78",
            full_name="Atlas Conseil SARL",
        ),
    )
    assert r.status_code == 201, r.text


def test_png_becomes_a_pdf_page(client, seeded):
    r = client.post("/api/v1/deposits", data=deposit_form(), files=[("files", ("scan.png", png_bytes(), "image/png"))])
    assert r.status_code == 201
    from mrasla_app.services.platform import storage

    with db.read_session() as s:
        doc = s.execute(select(Document).where(Document.filename == "scan.png")).scalar_one()
    rendition = PdfReader(io.BytesIO(storage.get(doc.pdf_sha256)))
    assert len(rendition.pages) == 1 and doc.sha256 != doc.pdf_sha256


def test_receipt_needs_the_access_token(client):
    body = client.post("/api/v1/deposits", data=deposit_form()).json()
    assert client.get(f"/api/v1/deposits/{body['reference']}/receipt.pdf").status_code == 404
    assert client.get(f"/api/v1/deposits/{body['reference']}/receipt.pdf?k=wrong").status_code == 404
    other = client.post("/api/v1/deposits", data=deposit_form()).json()
    other_key = other["receipt_url"].split("k=")[1]
    assert client.get(f"/api/v1/deposits/{body['reference']}/receipt.pdf?k={other_key}").status_code == 404


def test_verify_needs_the_qr_token_and_gives_no_oracle(client):
    body = client.post("/api/v1/deposits", data=deposit_form()).json()
    wrong = client.get(f"/api/v1/verify/{body['reference']}?t=guess")
    unknown = client.get("/api/v1/verify/MEF-2026-A-999999?t=guess")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert "registry_number" not in wrong.text


def test_idempotency_key_makes_a_retry_return_the_same_deposit(client):
    headers = {"Idempotency-Key": "3f0c1a52-8d0b-4c55-9e1e-0a9f6a1b2c3d"}
    first = client.post("/api/v1/deposits", data=deposit_form(), headers=headers)
    again = client.post("/api/v1/deposits", data=deposit_form(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert _rows()["corr"] == 1


def test_idempotency_key_replayed_with_another_request_is_a_409_that_reveals_nothing(client):
    """The pen test's replay: the same key with another administration, name and CIN used to answer 201
    with the FIRST depositor's reference, tracking and verification links."""
    key = {"Idempotency-Key": "3f0c1a52-8d0b-4c55-9e1e-0a9f6a1b2c3d"}
    letter = [("files", ("lettre.pdf", pdf_bytes(), "application/pdf"))]
    first = client.post("/api/v1/deposits", data=deposit_form(), files=letter, headers=key).json()
    secrets_of_first = [
        first["reference"],
        first["registry_number"],
        first["tracking_url"].split("k=")[1],
        first["verify_url"].split("t=")[1],
        "Salma",
        "AB123456",
    ]
    replays = [
        deposit_form(administration="CRB", full_name="Intrus", id_value="ZZ999999"),
        deposit_form(id_value="AB123457"),  # one field differs
        deposit_form(subject="Autre objet"),
    ]
    answers = [client.post("/api/v1/deposits", data=form, files=letter, headers=key) for form in replays]
    other_file = [("files", ("lettre.pdf", pdf_bytes(2), "application/pdf"))]
    answers.append(client.post("/api/v1/deposits", data=deposit_form(), files=other_file, headers=key))
    answers.append(client.post("/api/v1/deposits", data=deposit_form(), headers=key))  # the file left out
    for r in answers:
        assert r.status_code == 409, r.text
        body = r.json()
        assert body["error"] == "error.idempotency_key_reused" and body["message"]["ar"] and body["message"]["fr"]
        assert not [x for x in secrets_of_first if x in r.text]
    assert _rows()["corr"] == 1
    # the honest retry still gets its deposit back
    again = client.post("/api/v1/deposits", data=deposit_form(), files=letter, headers=key)
    assert again.status_code == 201 and again.json() == first


def test_idempotency_keys_are_stored_hashed(client):
    key = "cle-secrete-du-client-0001"
    r = client.post("/api/v1/deposits", data=deposit_form(), headers={"Idempotency-Key": key})
    assert r.status_code == 201
    with db.read_session() as s:
        stored, fingerprint = s.execute(
            select(Correspondence.idempotency_key, Correspondence.idempotency_fingerprint)
        ).one()
    assert key not in stored and stored == hashlib.sha256(key.encode()).hexdigest()
    assert len(fingerprint) == 64 and "AB123456" not in fingerprint


def test_unknown_unit_or_unit_of_another_administration_is_refused(client, seeded):
    crb_unit = seeded.unit_id("CRB", "BO")
    r = client.post("/api/v1/deposits", data=deposit_form(unit=str(crb_unit)))
    assert r.status_code == 422 and "unit" in r.json()["fields"]


def test_public_deposit_rate_limit_answers_429_bilingual(client, monkeypatch):
    from mrasla_app.api.deposits import deposit_limit

    monkeypatch.setattr(deposit_limit, "limit", 2)
    deposit_limit.reset()
    codes = [client.post("/api/v1/deposits", data=deposit_form(full_name="")).status_code for _ in range(3)]
    assert codes == [422, 422, 429]
    r = client.post("/api/v1/deposits", data=deposit_form())
    assert r.status_code == 429 and r.json()["message"]["ar"] and r.json()["message"]["fr"]


def test_200_concurrent_deposits_get_200_consecutive_numbers(seeded):
    """Parallel clients through the same atomic service: distinct, gap-free numbers."""
    adm = seeded.adm_id("MEF")

    def one(i: int) -> str:
        form = DepositForm(
            administration_id=adm,
            full_name=f"Citoyen {i}",
            id_kind="CIN",
            id_value=f"K{i:05d}",
            email="",
            phone="0612345678",
            subject=f"Demande {i}",
        )
        with db.write_session() as s:
            return deposits.submit(s, form).registry_number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(one, range(200)))
    seqs = sorted(int(n.rsplit("/", 1)[1]) for n in numbers)
    assert len(set(numbers)) == 200
    assert seqs == list(range(1, 201))
    with db.read_session() as s:
        assert audit.verify(s) == []


@pytest.mark.parametrize("same_request", [True, False])
def test_a_retry_racing_the_first_deposit_answers_it_or_409_and_leaves_no_gap(seeded, monkeypatch, same_request):
    """A retry whose key was still unregistered when it was checked, the first request committing just
    after: the retry answers the first deposit (or 409 for another request), one letter is registered,
    and the next deposit takes the next number."""
    from mrasla_app.services.errors import Conflict

    def form(subject: str, key: str | None = "k-7b1d") -> DepositForm:
        return DepositForm(
            administration_id=seeded.adm_id("MEF"),
            full_name="Salma Bennis",
            id_kind="CIN",
            id_value="AB123456",
            email="",
            phone="0612345678",
            subject=subject,
            idempotency_key=key,
        )

    prepare, first = deposits.prepare, []

    def first_commits_meanwhile(f: DepositForm) -> deposits.Prepared | None:
        checked = prepare(f)
        if not first:  # the first request commits between the retry's check and its insert
            first.append(True)
            monkeypatch.setattr(deposits, "prepare", prepare)
            first.append(deposits.submit_and_notify(form("Demande")))
        return checked

    monkeypatch.setattr(deposits, "prepare", first_commits_meanwhile)
    retry = form("Demande" if same_request else "Autre demande")
    if same_request:
        assert deposits.submit_and_notify(retry).registry_number == first[1].registry_number
    else:
        with pytest.raises(Conflict):
            deposits.submit_and_notify(retry)
    with db.read_session() as s:
        assert s.execute(select(func.count()).select_from(Correspondence)).scalar_one() == 1
        assert audit.verify(s) == []
    assert deposits.submit_and_notify(form("Suite", key=None)).registry_number.endswith("/000002")


def test_a_receipt_that_cannot_be_stored_registers_nothing(seeded, monkeypatch):
    """The receipt is stored beside the transaction's last rows: its failure (a full disk) still rolls
    the whole deposit back, number included, and the next deposit takes that number."""
    from mrasla_app.services.platform import storage

    put = storage.put

    def full_disk_for_receipts(data: bytes) -> str:
        if data.startswith(b"%PDF") and b"MraslaSeal" in data:
            raise OSError(28, "No space left on device")
        return put(data)

    form = DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Salma Bennis",
        id_kind="CIN",
        id_value="AB123456",
        email="salma@example.ma",
        phone="",
        subject="Demande",
        files=[("lettre.pdf", pdf_bytes())],
    )
    monkeypatch.setattr(storage, "put", full_disk_for_receipts)
    with pytest.raises(OSError):
        deposits.submit_and_notify(form)
    with db.read_session() as s:
        assert s.execute(select(func.count()).select_from(Correspondence)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Notification)).scalar_one() == 0
    monkeypatch.setattr(storage, "put", put)
    assert deposits.submit_and_notify(form).registry_number.endswith("/000001")
    with db.read_session() as s:
        assert audit.verify(s) == []

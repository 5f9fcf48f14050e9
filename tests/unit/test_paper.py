"""Registry registration of paper / e-mail mail (A), outgoing (D) and internal (I) correspondence."""

from __future__ import annotations

import io
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from mrasla_app import db
from mrasla_app.models import (
    AuditEvent,
    Channel,
    Correspondence,
    Direction,
    Dispatch,
    Document,
    DocumentKind,
    Party,
    RegistryCounter,
    Status,
)
from mrasla_app.services.correspondence import paper, registry
from mrasla_app.services.errors import DomainError, FieldErrors, PermissionDenied
from mrasla_app.services.platform import audit, storage
from mrasla_app.services.platform.text import normalize, search_document
from mrasla_app.services.portal import deposits, verification
from tests.files import encrypted_pdf, jpeg_bytes, pdf_bytes

CLERK = "clerk.mef@mrasla.ma"


def _rows() -> dict[str, int]:
    with db.read_session() as s:
        return {
            name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for name, t in (
                ("corr", Correspondence),
                ("doc", Document),
                ("party", Party),
                ("audit", AuditEvent),
                ("counter", RegistryCounter),
            )
        }


def _blobs(data_dir) -> int:
    root = data_dir / "blobs"
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def _incoming(seeded, email=CLERK, adm="MEF", **kw) -> paper.Registration:
    args = dict(
        administration_id=seeded.adm_id(adm),
        channel="paper",
        subject="Demande de mutation",
        sender_name="Ahmed Amrani",
        files=[("lettre.pdf", pdf_bytes())],
    )
    args.update(kw)
    with db.write_session() as s:
        return paper.register_incoming(s, seeded.actor(email), **args)


def _deposit(seeded, adm="MEF") -> str:
    form = deposits.DepositForm(
        administration_id=seeded.adm_id(adm),
        full_name="Salma Bennis",
        id_kind="CIN",
        id_value="AB123456",
        email="",
        phone="0612345678",
        subject="Attestation",
    )
    with db.write_session() as s:
        return deposits.submit(s, form).registry_number


def _seq(number: str) -> int:
    return int(number.rsplit("/", 1)[1])


def test_paper_numbers_continue_the_portal_sequence(seeded):
    first = _deposit(seeded)
    reg = _incoming(
        seeded,
        message="Veuillez trouver ci-joint ma demande.",
        sender_id_kind="cin",
        sender_id_value="bk 654321",
        sender_email="A.Amrani@example.ma",
        type_code="complaint",
    )
    third = _deposit(seeded)
    year = registry.local_year(reg.correspondence.registered_at)
    assert first == f"MEF/{year}/A/000001"
    assert reg.registry_number == f"MEF/{year}/A/000002"
    assert third == f"MEF/{year}/A/000003"
    with db.read_session() as s:
        corr = s.get(Correspondence, reg.correspondence.id)
        party = s.get(Party, corr.sender_party_id)
        docs = s.execute(select(Document).where(Document.correspondence_id == corr.id)).scalars().all()
        found = verification.find_by_token(s, reg.reference, reg.verify_token)
    assert corr.direction is Direction.incoming and corr.channel is Channel.paper
    assert corr.status is Status.to_qualify and corr.type_code == "complaint"
    assert corr.deadline is not None and corr.deadline > date(year, 1, 1)
    assert corr.created_by == seeded.user_id(CLERK)
    assert party.full_name == "Ahmed Amrani" and party.id_value == "BK654321" and party.email == "a.amrani@example.ma"
    assert [d.kind for d in docs] == [DocumentKind.scan] and docs[0].content_type == "application/pdf"
    assert found is not None and found.id == corr.id
    assert normalize("AHMED amrani") in corr.search_text and search_document(reg.registry_number) in corr.search_text
    assert "ci joint" in corr.search_text and "cijoint" in corr.search_text  # the message, hyphen or not
    assert reg.verify_url.endswith(f"/verify/{reg.reference}?t={reg.verify_token}")
    ev = audit_events("correspondence.registered")[-1]
    assert ev.actor_id == seeded.user_id(CLERK) and ev.object_id == str(corr.id)
    with db.read_session() as s:
        assert audit.verify(s) == []


def audit_events(action: str) -> list[AuditEvent]:
    with db.read_session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars())


def test_email_mail_needs_no_scan_and_other_administration_as_sender(seeded):
    reg = _incoming(
        seeded,
        channel="email",
        files=[],
        sender_name="",
        sender_administration_id=seeded.adm_id("CRB"),
        subject="مراسلة بخصوص التعمير",
        priority="urgent",
    )
    with db.read_session() as s:
        corr = s.get(Correspondence, reg.correspondence.id)
        party = s.get(Party, corr.sender_party_id)
    assert corr.channel is Channel.email and corr.sender_administration_id == seeded.adm_id("CRB")
    assert party.full_name == "Commune de Rabat" and party.administration_id == seeded.adm_id("CRB")
    assert "جماعه الرباط" in corr.search_text  # Arabic name, normalised (ة → ه)
    assert corr.priority.value == "urgent"


def test_d_and_i_numbers_are_separate_registers(seeded):
    inc = _incoming(seeded)
    mef = seeded.adm_id("MEF")
    clerk = seeded.actor(CLERK)
    with db.write_session() as s:
        out1 = paper.register_outgoing(
            s,
            clerk,
            administration_id=mef,
            subject="Réponse",
            unit_id=seeded.unit_id("MEF", "DB"),
            recipient_name="Ahmed Amrani",
            files=[("reponse.pdf", pdf_bytes())],
        )
        out2 = paper.register_outgoing(
            s,
            clerk,
            administration_id=mef,
            subject="Transmission",
            unit_id=seeded.unit_id("MEF", "SG"),
            recipient_administration_id=seeded.adm_id("CRB"),
        )
        int1 = paper.register_internal(
            s,
            clerk,
            administration_id=mef,
            subject="Note interne",
            from_unit_id=seeded.unit_id("MEF", "DB"),
            to_unit_id=seeded.unit_id("MEF", "DB.DSS"),
        )
    y = registry.local_year(inc.correspondence.registered_at)
    assert inc.registry_number == f"MEF/{y}/A/000001"
    assert (out1.registry_number, out2.registry_number) == (f"MEF/{y}/D/000001", f"MEF/{y}/D/000002")
    assert int1.registry_number == f"MEF/{y}/I/000001"
    assert _incoming(seeded).registry_number == f"MEF/{y}/A/000002"
    # another administration has its own counters
    assert _incoming(seeded, email="clerk.crb@mrasla.ma", adm="CRB").registry_number == f"CRB/{y}/A/000001"
    with db.read_session() as s:
        o1, o2 = s.get(Correspondence, out1.correspondence.id), s.get(Correspondence, out2.correspondence.id)
        i1 = s.get(Correspondence, int1.correspondence.id)
        disp = s.execute(select(Dispatch).where(Dispatch.correspondence_id == i1.id)).scalars().all()
    assert o1.direction is Direction.outgoing and o1.status is Status.closed and o1.recipient_party_id
    assert o2.recipient_administration_id == seeded.adm_id("CRB") and o2.recipient_party_id is None
    assert i1.direction is Direction.internal and i1.unit_id == seeded.unit_id("MEF", "DB")
    assert i1.action_unit_id == seeded.unit_id("MEF", "DB.DSS") and i1.status is Status.dispatched
    assert [(d.unit_id, d.purpose.value) for d in disp] == [(seeded.unit_id("MEF", "DB.DSS"), "action")]


def test_rights(seeded):
    mef = seeded.adm_id("MEF")
    before = _rows()
    for email in (
        "agent.mef@mrasla.ma",
        "head.mef@mrasla.ma",
        "admin.mef@mrasla.ma",
        "clerk.crb@mrasla.ma",
        "admin@mrasla.ma",
    ):
        with pytest.raises(PermissionDenied):
            _incoming(seeded, email=email)
    agent = seeded.actor("agent.mef@mrasla.ma")
    dss, bo = seeded.unit_id("MEF", "DB.DSS"), seeded.unit_id("MEF", "BO")
    with pytest.raises(PermissionDenied), db.write_session() as s:  # not the agent's unit
        paper.register_outgoing(s, agent, administration_id=mef, subject="X", unit_id=bo, recipient_name="Y")
    with pytest.raises(PermissionDenied), db.write_session() as s:
        paper.register_internal(s, agent, administration_id=mef, subject="X", from_unit_id=bo, to_unit_id=dss)
    with pytest.raises(PermissionDenied), db.write_session() as s:  # staff of another administration
        paper.register_internal(
            s, seeded.actor("agent.crb@mrasla.ma"), administration_id=mef, subject="X", from_unit_id=dss, to_unit_id=bo
        )
    with pytest.raises(PermissionDenied), db.write_session() as s:
        paper.register_outgoing(
            s, seeded.actor("clerk.crb@mrasla.ma"), administration_id=mef, subject="X", unit_id=bo, recipient_name="Y"
        )
    assert _rows() == before
    with db.write_session() as s:  # an agent registers from their own unit
        out = paper.register_outgoing(
            s, agent, administration_id=mef, subject="Réponse", unit_id=dss, recipient_name="Ahmed Amrani"
        )
        note = paper.register_internal(s, agent, administration_id=mef, subject="Note", from_unit_id=dss, to_unit_id=bo)
    assert "/D/" in out.registry_number and "/I/" in note.registry_number


def test_image_scan_becomes_a_pdf_page(seeded):
    reg = _incoming(seeded, files=[("scan.jpg", jpeg_bytes()), ("suite.pdf", pdf_bytes(3))])
    with db.read_session() as s:
        docs = (
            s.execute(
                select(Document).where(Document.correspondence_id == reg.correspondence.id).order_by(Document.position)
            )
            .scalars()
            .all()
        )
    assert [d.kind for d in docs] == [DocumentKind.scan, DocumentKind.scan]
    jpg, pdf = docs
    assert jpg.content_type == "image/jpeg" and jpg.pages == 1 and jpg.pdf_sha256 != jpg.sha256
    rendition = storage.get(jpg.pdf_sha256)
    assert rendition.startswith(b"%PDF") and len(PdfReader(io.BytesIO(rendition)).pages) == 1
    assert storage.exists(jpg.sha256)
    assert pdf.pages == 3 and pdf.pdf_sha256 == pdf.sha256


@pytest.mark.parametrize(
    "bad, code",
    [
        (b"MZ\x90\x00 not a scan", "error.file_type"),
        (b"%PDF-1.4 broken", "error.pdf_broken"),
        (None, "error.pdf_encrypted"),
        (b"", "error.file_empty"),
    ],
)
def test_bad_files_refused_with_nothing_stored(seeded, bad, code):
    _incoming(seeded)  # the counter row exists: a refusal must not move it
    before, blobs = _rows(), _blobs(seeded.data_dir)
    bad = encrypted_pdf() if bad is None else bad
    with pytest.raises(DomainError) as e:
        _incoming(seeded, files=[("ok.jpg", jpeg_bytes(color="navy")), ("bad.pdf", bad)])
    assert e.value.code == code
    assert _rows() == before and _blobs(seeded.data_dir) == blobs
    assert _incoming(seeded).registry_number.endswith("/A/000002")  # no gap


def test_field_errors(seeded):
    before = _rows()
    with pytest.raises(FieldErrors) as e:
        _incoming(
            seeded,
            subject=" ",
            sender_name="",
            files=[],
            channel="paper",
            sender_id_kind="CIN",
            sender_id_value="12",
            sender_email="nope",
            priority="asap",
            type_code="Bad Type!",
        )
    assert e.value.fields == {
        "subject": "error.required",
        "sender_name": "error.required",
        "files": "error.scan_required",
        "sender_id_value": "error.cin_format",
        "sender_email": "error.invalid_email",
        "priority": "error.invalid_priority",
        "type_code": "error.invalid_code",
    }
    with pytest.raises(FieldErrors) as e:
        _incoming(seeded, channel="portal")
    assert e.value.fields == {"channel": "error.invalid_channel"}
    with pytest.raises(FieldErrors) as e:
        _incoming(seeded, unit_id=seeded.unit_id("CRB", "SEC"))
    assert e.value.fields == {"unit": "error.unknown_unit"}
    clerk, mef = seeded.actor(CLERK), seeded.adm_id("MEF")
    with pytest.raises(FieldErrors) as e, db.write_session() as s:
        paper.register_internal(
            s,
            clerk,
            administration_id=mef,
            subject="X",
            from_unit_id=seeded.unit_id("MEF", "DB"),
            to_unit_id=seeded.unit_id("MEF", "DB"),
        )
    assert e.value.fields == {"to_unit": "error.same_unit"}
    with pytest.raises(FieldErrors) as e, db.write_session() as s:
        paper.register_outgoing(s, clerk, administration_id=mef, subject="X", unit_id=seeded.unit_id("MEF", "DB"))
    assert e.value.fields == {"recipient_name": "error.required"}
    with pytest.raises(DomainError) as e, db.write_session() as s:
        paper.register_outgoing(
            s,
            clerk,
            administration_id=mef,
            subject="X",
            unit_id=seeded.unit_id("MEF", "DB"),
            recipient_administration_id=999_999,
        )
    assert e.value.code == "error.unknown_administration"
    assert _rows() == before


def test_concurrent_numbering_in_three_registers(seeded):
    mef = seeded.adm_id("MEF")
    clerk = seeded.actor(CLERK)
    db_unit, dss = seeded.unit_id("MEF", "DB"), seeded.unit_id("MEF", "DB.DSS")
    scan = pdf_bytes()

    def one(i: int) -> str:
        with db.write_session() as s:
            if i % 3 == 0:
                return paper.register_incoming(
                    s,
                    clerk,
                    administration_id=mef,
                    channel="paper",
                    subject=f"Courrier {i}",
                    sender_name=f"Citoyen {i}",
                    files=[("scan.pdf", scan)],
                ).registry_number
            if i % 3 == 1:
                return paper.register_outgoing(
                    s,
                    clerk,
                    administration_id=mef,
                    subject=f"Départ {i}",
                    unit_id=db_unit,
                    recipient_name=f"Destinataire {i}",
                ).registry_number
            return paper.register_internal(
                s, clerk, administration_id=mef, subject=f"Note {i}", from_unit_id=db_unit, to_unit_id=dss
            ).registry_number

    with ThreadPoolExecutor(max_workers=10) as pool:
        numbers = list(pool.map(one, range(30)))
    assert len(set(numbers)) == 30
    for letter in "ADI":
        seqs = sorted(_seq(n) for n in numbers if f"/{letter}/" in n)
        assert seqs == list(range(1, 11)), letter
    with db.read_session() as s:
        assert audit.verify(s) == []


def _scan_qr(pdf: bytes, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(path), str(tmp_path / name)], check=True)
    out = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / f"{name}.png")], capture_output=True, text=True)
    return out.stdout.strip()


@pytest.mark.parametrize("sheet, size_mm", [("label", (100, 50)), ("a4", (210, 297))])
def test_label_pdf_carries_number_and_a_scannable_verify_link(seeded, tmp_path, sheet, size_mm):
    reg = _incoming(seeded, subject="شكاية بخصوص تأخر معالجة ملف رخصة البناء وما يتصل بها من وثائق إدارية")
    with db.read_session() as s:
        pdf = paper.label_pdf(s, reg, sheet=sheet)
    assert _scan_qr(pdf, tmp_path, sheet) == reg.verify_url
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width) * 25.4 / 72), round(float(page.mediabox.height) * 25.4 / 72)) == size_mm
    text = subprocess.run(
        ["pdftotext", str(tmp_path / f"{sheet}.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    local = reg.correspondence.registered_at.astimezone(ZoneInfo("Africa/Casablanca"))
    assert reg.registry_number in text and f"{local:%d/%m/%Y} à {local:%H:%M}" in text
    assert "Ministère de l'Économie et des Finances" in text
    with db.read_session() as s:  # the QR link really verifies this correspondence
        assert verification.find_by_token(s, reg.reference, reg.verify_url.rsplit("t=", 1)[1]) is not None


def test_label_number_shrinks_to_fit():
    from mrasla_app.documents.labels import render_label

    pdf = render_label(
        "ANCFCC/2026/A/000123",
        "الوكالة الوطنية للمحافظة العقارية والمسح العقاري والخرائطية",
        "Agence Nationale de la Conservation Foncière, du Cadastre et de la Cartographie",
        datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc),
        "Objet",
        "https://x.ma/verify/A?t=abc",
    )
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    with pytest.raises(ValueError):
        render_label("N", "ا", "A", datetime(2026, 3, 1, 8, 0), "Objet", "https://x.ma")

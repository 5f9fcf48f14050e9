"""The parapheur: folders, circuits, visas, signatures (PAdES), delegation, concurrency."""

from __future__ import annotations

import io
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path
from shutil import which

import pytest
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from mrasla_app import db
from mrasla_app.models import (
    AuditEvent,
    Delegation,
    Folder,
    FolderDocument,
    FolderStatus,
    FolderStep,
    StepAction,
    StepStatus,
)
from mrasla_app.models.base import utcnow
from mrasla_app.pki.validation import validate_pdf
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.parapheur import annotations, decisions, signing_keys, submission, summary, views
from mrasla_app.services.platform import storage
from tests.answered import two_page_pdf

PIN = "135790"
HEAD, DIRECTOR, SG = "head.mef@mrasla.ma", "director.mef@mrasla.ma", "sg.mef@mrasla.ma"
AGENT, CLERK = "agent.mef@mrasla.ma", "clerk.mef@mrasla.ma"


def enroll(demo, *emails: str) -> None:
    for email in emails:
        with db.write_session() as s:
            signing_keys.enroll(s, demo.actor(email), PIN)


def new_folder(demo, steps: list[dict], initiator: str = AGENT, files=None) -> int:
    with db.write_session() as s:
        folder = submission.create_folder(
            s, demo.actor(initiator), "Réponse à la demande de subvention", files or [("reponse.pdf", two_page_pdf())]
        )
        submission.start(s, demo.actor(initiator), folder.id, steps=steps)
        return folder.id


def act(demo, email: str, folder_id: int, decision: str, **kw):
    with db.write_session() as s:
        return decisions.act(s, demo.actor(email), folder_id, decision, **kw)


def get(folder_id: int) -> Folder:
    with db.read_session() as s:
        return s.get(Folder, folder_id)


def counts() -> dict[str, int]:
    with db.read_session() as s:
        return {
            t.__name__: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (StepAction, AuditEvent, FolderStep, Folder)
        }


def pdfsig(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


def visa_then_signature(demo) -> list[dict]:
    return [
        {"kind": "visa", "user_ids": [demo.user_id(HEAD)]},
        {"kind": "signature", "user_ids": [demo.user_id(DIRECTOR)]},
    ]


def test_two_step_circuit(seeded, tmp_path):
    enroll(seeded, DIRECTOR)
    fid = new_folder(seeded, visa_then_signature(seeded))
    with db.read_session() as s:
        to_visa = views.queue(s, seeded.actor(HEAD), "to_visa")
        assert [i.folder.id for i in to_visa] == [fid]
        assert views.queue(s, seeded.actor(DIRECTOR), "to_sign") == []
    act(seeded, HEAD, fid, "approved", comment="Vu")
    with db.read_session() as s:
        assert [i.folder.id for i in views.queue(s, seeded.actor(DIRECTOR), "to_sign")] == [fid]
        detail = views.folder_detail(s, seeded.actor(DIRECTOR), fid)
        assert detail.can_act and detail.needs_pin and "signed" in detail.decisions
    started = time.perf_counter()
    act(seeded, DIRECTOR, fid, "signed", pin=PIN)
    elapsed = time.perf_counter() - started
    print(f"\nsignature (unlock + stamp + PAdES B-LT + commit): {elapsed * 1000:.0f} ms")
    folder = get(fid)
    assert folder.status == FolderStatus.completed
    signed = views.signed_document(folder)
    report = validate_pdf(signed)
    assert report.authentic, report.reasons
    assert [s.signer_common_name for s in report.signatures] == ["Mohammed Berrada"]
    assert report.signatures[0].certified and report.signatures[0].timestamped
    with db.read_session() as s:
        assert views.report(s, seeded.actor(AGENT), fid).authentic
        assert [i.folder.id for i in views.queue(s, seeded.actor(DIRECTOR), "done")] == [fid]
        assert summary.bordereau(s, seeded.actor(AGENT), fid).startswith(b"%PDF-")
        # 2 pages + the signature page
        assert len(PdfReader(io.BytesIO(signed)).pages) == 3
        events = list(s.execute(select(AuditEvent.action).where(AuditEvent.object_type == "folder")).scalars())
    assert events == [
        "folder.created",
        "folder.started",
        "folder.approved",
        "folder.step_completed",
        "folder.signed",
        "folder.completed",
    ]
    if which("pdfsig"):
        out = pdfsig(signed, tmp_path)
        assert "Signature is Valid." in out and "Total document signed" in out


def test_three_signatures_stay_valid(seeded, tmp_path):
    enroll(seeded, DIRECTOR, SG)
    fid = new_folder(
        seeded,
        [
            {"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]},
            {"kind": "signature", "user_ids": [seeded.user_id(SG)]},
            {"kind": "seal", "user_ids": [seeded.user_id(CLERK)]},
        ],
    )
    act(seeded, DIRECTOR, fid, "signed", pin=PIN)
    act(seeded, SG, fid, "signed", pin=PIN)
    act(seeded, CLERK, fid, "signed")
    signed = views.signed_document(get(fid))
    report = validate_pdf(signed)
    assert report.authentic, report.reasons
    assert [s.signer_common_name for s in report.signatures] == [
        "Mohammed Berrada",
        "Abdelkader Chraïbi",
        "Mrasla — cachet de la plateforme",
    ]
    assert all(s.ok for s in report.signatures)
    if which("pdfsig"):
        out = pdfsig(signed, tmp_path)
        assert out.count("Signature is Valid.") == 3 and "Total document signed" in out


def test_all_mode_needs_everyone(seeded):
    enroll(seeded, DIRECTOR, SG)
    fid = new_folder(
        seeded, [{"kind": "signature", "mode": "all", "user_ids": [seeded.user_id(DIRECTOR), seeded.user_id(SG)]}]
    )
    act(seeded, SG, fid, "signed", pin=PIN)
    assert get(fid).status == FolderStatus.in_progress
    with pytest.raises(DomainError) as exc:
        act(seeded, SG, fid, "signed", pin=PIN)  # acting twice
    assert exc.value.code == "error.step_already_done"
    act(seeded, DIRECTOR, fid, "signed", pin=PIN)
    folder = get(fid)
    assert folder.status == FolderStatus.completed
    assert validate_pdf(views.signed_document(folder)).authentic


def test_wrong_pin_refused_and_counted(seeded):
    enroll(seeded, DIRECTOR)
    fid = new_folder(seeded, [{"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]}])
    before = get(fid).current_sha256
    with pytest.raises(DomainError) as exc:
        act(seeded, DIRECTOR, fid, "signed", pin="000000")
    assert exc.value.code == "error.pin_invalid"
    with db.read_session() as s:
        assert signing_keys.active_key(s, seeded.user_id(DIRECTOR)).failed_attempts == 1
        assert s.execute(select(func.count()).select_from(StepAction)).scalar_one() == 0
    assert get(fid).current_sha256 == before and get(fid).status == FolderStatus.in_progress
    act(seeded, DIRECTOR, fid, "signed", pin=PIN)
    assert get(fid).status == FolderStatus.completed


def test_outsider_refused_nothing_changed(seeded):
    enroll(seeded, DIRECTOR, SG)
    fid = new_folder(seeded, visa_then_signature(seeded))
    before = counts()
    with pytest.raises(NotFound):  # cannot even see it
        act(seeded, "agent.crb@mrasla.ma", fid, "approved")
    with pytest.raises(NotFound):  # same administration, not involved
        act(seeded, CLERK, fid, "approved")
    with pytest.raises(PermissionDenied):  # the initiator sees it but is not on the step
        act(seeded, AGENT, fid, "approved")
    with pytest.raises(PermissionDenied):  # the secretary-general (head above) sees it, is not on the step
        act(seeded, SG, fid, "approved")
    with pytest.raises(DomainError):  # the signatory of step 2 cannot skip step 1
        act(seeded, DIRECTOR, fid, "signed", pin=PIN)
    assert counts() == before
    with db.read_session() as s:
        with pytest.raises(NotFound):
            views.folder_detail(s, seeded.actor(CLERK), fid)
        # heads of the initiator's unit see it
        assert views.folder_detail(s, seeded.actor(HEAD), fid).folder.id == fid


def test_acting_twice_refused(seeded):
    fid = new_folder(
        seeded,
        [{"kind": "visa", "user_ids": [seeded.user_id(HEAD)]}, {"kind": "visa", "user_ids": [seeded.user_id(SG)]}],
    )
    act(seeded, HEAD, fid, "approved")
    before = counts()
    with pytest.raises(DomainError) as exc:
        act(seeded, HEAD, fid, "approved")
    assert exc.value.code == "error.step_already_done"
    assert counts() == before


def test_any_one_step_concurrent(seeded):
    fid = new_folder(
        seeded,
        [
            {"kind": "visa", "mode": "any", "user_ids": [seeded.user_id(HEAD), seeded.user_id(SG)]},
            {"kind": "visa", "user_ids": [seeded.user_id(DIRECTOR)]},
        ],
    )
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def worker(email: str) -> None:
        actor = seeded.actor(email)
        barrier.wait()
        try:
            with db.write_session() as s:
                decisions.act(s, actor, fid, "approved")
            results[email] = "ok"
        except DomainError as exc:
            results[email] = exc.code

    threads = [threading.Thread(target=worker, args=(e,)) for e in (HEAD, SG)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, results.values())) == ["error.step_already_done", "ok"]
    with db.read_session() as s:
        first = s.execute(select(FolderStep).where(FolderStep.folder_id == fid, FolderStep.position == 1)).scalar_one()
        assert first.status == StepStatus.completed
        assert (
            s.execute(select(func.count()).select_from(StepAction).where(StepAction.step_id == first.id)).scalar_one()
            == 1
        )
        assert (
            s.execute(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "folder.step_completed")
            ).scalar_one()
            == 1
        )
    assert get(fid).current_step == 2


def test_rejection_needs_reason_and_returns_to_initiator(seeded):
    enroll(seeded, DIRECTOR)
    fid = new_folder(seeded, visa_then_signature(seeded))
    with pytest.raises(DomainError) as exc:
        act(seeded, HEAD, fid, "rejected", comment="  ")
    assert exc.value.code == "error.required"
    act(seeded, HEAD, fid, "rejected", comment="Chiffres à revoir")
    folder = get(fid)
    assert folder.status == FolderStatus.rejected and folder.reject_reason == "Chiffres à revoir"
    with db.read_session() as s:
        mine = views.queue(s, seeded.actor(AGENT), "my_folders")
        assert [(i.folder.id, i.folder.status) for i in mine] == [(fid, FolderStatus.rejected)]
        assert views.queue(s, seeded.actor(DIRECTOR), "to_sign") == []
    with pytest.raises(DomainError):
        act(seeded, HEAD, fid, "approved")
    # a new version restarts the circuit from step 1
    with db.write_session() as s:
        submission.new_version(s, seeded.actor(AGENT), fid, [("v2.pdf", two_page_pdf("Version 2"))])
    folder = get(fid)
    assert folder.status == FolderStatus.in_progress and folder.version == 2 and folder.current_step == 1
    act(seeded, HEAD, fid, "approved")
    act(seeded, DIRECTOR, fid, "signed", pin=PIN)
    folder = get(fid)
    assert folder.status == FolderStatus.completed
    assert b"Version 2" in PdfReader(io.BytesIO(views.signed_document(folder))).pages[0].extract_text().encode()


def test_return_to_previous_step(seeded):
    enroll(seeded, DIRECTOR, SG)
    fid = new_folder(
        seeded,
        [
            {"kind": "signature", "user_ids": [seeded.user_id(SG)]},
            {"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]},
        ],
    )
    prepared = get(fid).current_sha256
    act(seeded, SG, fid, "signed", pin=PIN)
    with pytest.raises(DomainError):
        act(seeded, DIRECTOR, fid, "returned")  # reason required
    act(seeded, DIRECTOR, fid, "returned", comment="Ajouter la référence")
    folder = get(fid)
    assert folder.current_step == 1 and folder.current_sha256 == prepared  # SG's signature undone
    act(seeded, SG, fid, "signed", pin=PIN)  # a new round: SG acts again
    act(seeded, DIRECTOR, fid, "signed", pin=PIN)
    report = validate_pdf(views.signed_document(get(fid)))
    assert report.authentic and len(report.signatures) == 2


def _reason(pdf: bytes) -> list[str]:
    return [str(sig.sig_object.get("/Reason", "")) for sig in PdfFileReader(io.BytesIO(pdf)).embedded_signatures]


def test_delegation(seeded):
    enroll(seeded, HEAD, DIRECTOR)
    fid = new_folder(seeded, [{"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]}], initiator=AGENT)
    with db.read_session() as s:
        items = views.queue(s, seeded.actor(HEAD), "to_sign")
        assert [(i.folder.id, i.on_behalf_of) for i in items] == [(fid, seeded.user_id(DIRECTOR))]
    with pytest.raises(PermissionDenied):  # acting for someone is never implicit without the step shown
        act(seeded, HEAD, fid, "signed", pin=PIN)
    step_id = items[0].step.id
    act(seeded, HEAD, fid, "signed", pin=PIN, step_id=step_id)  # head.mef's own PIN and certificate
    folder = get(fid)
    assert folder.status == FolderStatus.completed
    signed = views.signed_document(folder)
    report = validate_pdf(signed)
    assert report.authentic and report.signatures[0].signer_common_name == "Khadija Tazi"
    assert "par délégation de Mohammed Berrada" in _reason(signed)[0]
    with db.read_session() as s:
        action = s.execute(select(StepAction)).scalar_one()
        assert (action.actor_id, action.on_behalf_of_id) == (seeded.user_id(HEAD), seeded.user_id(DIRECTOR))
        detail = views.folder_detail(s, seeded.actor(AGENT), fid)
        assert detail.history[0].on_behalf_of_name == "Mohammed Berrada"
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "folder.signed")).scalar_one()
        assert f'"on_behalf_of": {seeded.user_id(DIRECTOR)}' in ev.data


def test_delegation_ended_refused(seeded):
    enroll(seeded, HEAD, DIRECTOR)
    fid = new_folder(seeded, [{"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]}])
    with db.write_session() as s:
        d = s.execute(select(Delegation)).scalar_one()
        d.ends_at = utcnow() - timedelta(minutes=1)
        s.add(d)
    before = counts()
    with db.read_session() as s:
        step_id = s.execute(select(FolderStep.id).where(FolderStep.folder_id == fid)).scalar_one()
    with pytest.raises((PermissionDenied, NotFound)):
        act(seeded, HEAD, fid, "signed", pin=PIN, step_id=step_id)
    with pytest.raises((PermissionDenied, NotFound)):
        act(seeded, HEAD, fid, "signed", pin=PIN, on_behalf_of=seeded.user_id(DIRECTOR))
    assert counts() == before
    with db.read_session() as s:
        assert views.queue(s, seeded.actor(HEAD), "to_sign") == []


def test_revoked_certificate_reported(seeded):
    enroll(seeded, DIRECTOR)
    fid = new_folder(seeded, [{"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]}])
    act(seeded, DIRECTOR, fid, "signed", pin=PIN)
    with db.read_session() as s:
        assert views.report(s, seeded.actor(AGENT), fid).authentic
    with db.write_session() as s:
        signing_keys.revoke_for_user(s, seeded.actor("admin.mef@mrasla.ma"), seeded.user_id(DIRECTOR))
    with db.read_session() as s:
        report = views.report(s, seeded.actor(AGENT), fid)
    assert not report.authentic
    assert report.signatures[0].revoked and "certificate_revoked" in report.reasons


def test_encrypted_pdf_refused(seeded):
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(two_page_pdf())))
    writer.encrypt("secret")
    buf = io.BytesIO()
    writer.write(buf)
    before = counts()
    with pytest.raises(DomainError) as exc, db.write_session() as s:
        submission.create_folder(s, seeded.actor(AGENT), "Chiffré", [("locked.pdf", buf.getvalue())])
    assert exc.value.code == "error.pdf_encrypted"
    assert counts() == before


def _image(size: tuple[int, int], color: tuple[int, int, int], fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format=fmt)
    return buf.getvalue()


def test_images_become_one_pdf_in_order(seeded):
    images = [
        ("p1.jpg", _image((600, 800), (255, 0, 0), "JPEG")),
        ("p2.png", _image((900, 600), (0, 255, 0), "PNG")),  # landscape stays landscape
        ("p3.jpg", _image((500, 700), (0, 0, 255), "JPEG")),
    ]
    with db.write_session() as s:
        folder = submission.create_folder(s, seeded.actor(AGENT), "Scan", images)
        docs = list(s.execute(select(FolderDocument).where(FolderDocument.folder_id == folder.id)).scalars())
    assert len(docs) == 1 and docs[0].pages == 3
    pages = PdfReader(io.BytesIO(storage.get(docs[0].pdf_sha256))).pages
    ratios = [float(p.mediabox.width) / float(p.mediabox.height) for p in pages]
    assert ratios == pytest.approx([600 / 800, 900 / 600, 500 / 700], rel=0.01)


def test_pdf_main_and_image_annex(seeded):
    files = [
        ("scan.jpg", _image((600, 800), (9, 9, 9), "JPEG")),
        ("lettre.pdf", two_page_pdf()),
        ("annexe.pdf", two_page_pdf("Annexe")),
    ]
    with db.write_session() as s:
        folder = submission.create_folder(s, seeded.actor(AGENT), "Mixte", files)
        docs = sorted(
            s.execute(select(FolderDocument).where(FolderDocument.folder_id == folder.id)).scalars(),
            key=lambda d: (d.role.value != "main", d.position),
        )
    assert [(d.role.value, d.filename) for d in docs] == [
        ("main", "lettre.pdf"),
        ("annex", "annexe.pdf"),
        ("annex", "scan.pdf"),
    ]


def test_annotations_and_detail_rights(seeded):
    fid = new_folder(seeded, visa_then_signature(seeded))
    with db.write_session() as s:
        annotations.add(s, seeded.actor(HEAD), fid, "Voir le paragraphe 2", page=1, x=0.2, y=0.4)
        annotations.add(s, seeded.actor(AGENT), fid, "Merci")
        with pytest.raises(DomainError):
            annotations.add(s, seeded.actor(AGENT), fid, "hors page", page=9)
    with pytest.raises(NotFound), db.write_session() as s:
        annotations.add(s, seeded.actor("agent.crb@mrasla.ma"), fid, "intrus")
    with db.read_session() as s:
        detail = views.folder_detail(s, seeded.actor(DIRECTOR), fid)
    assert [n.body for n in detail.annotations] == ["Voir le paragraphe 2", "Merci"]
    assert not detail.can_act  # step 2 is not active yet


def test_completion_hook(seeded, monkeypatch):
    seen: list[tuple[int, bytes]] = []
    monkeypatch.setattr(decisions, "_completion_hooks", [])
    decisions.on_completed(lambda s, f: seen.append((f.id, views.signed_document(f)[:5])))
    fid = new_folder(seeded, [{"kind": "visa", "user_ids": [seeded.user_id(HEAD)]}])
    act(seeded, HEAD, fid, "approved")
    assert seen == [(fid, b"%PDF-")]


def test_circuit_from_role_in_unit(seeded):
    enroll(seeded, DIRECTOR)
    steps = [
        {"kind": "visa", "role": "head", "unit_id": seeded.unit_id("MEF", "DB.DSS")},
        {"kind": "signature", "role": "signatory", "unit_id": seeded.unit_id("MEF", "DB")},
    ]
    from mrasla_app.services.parapheur import circuits

    with db.write_session() as s:
        with pytest.raises(PermissionDenied):
            circuits.save_template(
                s,
                seeded.actor(AGENT),
                administration_id=seeded.adm_id("MEF"),
                name_fr="Réponse",
                name_ar="جواب",
                steps=steps,
            )
        tpl = circuits.save_template(
            s,
            seeded.actor("admin.mef@mrasla.ma"),
            administration_id=seeded.adm_id("MEF"),
            name_fr="Réponse standard",
            name_ar="جواب عادي",
            steps=steps,
        )
        folder = submission.create_folder(s, seeded.actor(AGENT), "Via modèle", [("r.pdf", two_page_pdf())])
        submission.start(s, seeded.actor(AGENT), folder.id, template_id=tpl.id)
        fid = folder.id
    act(seeded, HEAD, fid, "approved")
    act(seeded, DIRECTOR, fid, "signed", pin=PIN)
    assert get(fid).status == FolderStatus.completed

"""Records management: file plan rights, classification at qualification and the inbox filters,
the retention job, transfer packages (SEDA 2.2 + BagIt) and destruction certificates."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import (
    AuditEvent,
    Correspondence,
    Disposal,
    DisposalStatus,
    Document,
    RecordInfo,
    Status,
)
from mrasla_app.models.base import utcnow
from mrasla_app.pki.validation import validate_pdf
from mrasla_app.services.correspondence import dispatch, inbox
from mrasla_app.services.errors import DomainError, PermissionDenied
from mrasla_app.services.platform import audit, fsck, storage
from mrasla_app.services.records import bag, file_plan, retention, seda
from mrasla_app.services.records.file_plan import Classification
from tests.answered import CLERK, answered_deposit

ADMIN, ARCHIVIST, ADMIN_CRB, AGENT = (
    "admin.mef@mrasla.ma",
    "archives.mef@mrasla.ma",
    "admin.crb@mrasla.ma",
    "agent.mef@mrasla.ma",
)


def _plan(seeded):
    with db.read_session() as s:
        return file_plan.plan(s, seeded.actor(CLERK), seeded.adm_id("MEF"))


def _by_code(rows, code):
    return next(r for r in rows if getattr(r, "code", getattr(r, "label", None)) == code)


def test_file_plan_is_edited_by_the_administrations_managers_only(seeded):
    mef = seeded.adm_id("MEF")
    with db.write_session() as s:
        node = file_plan.save_node(s, seeded.actor(ADMIN), mef, code="04", name_ar="الأرشيف", name_fr="Archives")
        child = file_plan.save_node(
            s, seeded.actor(ARCHIVIST), mef, code="04.01", name_ar="تحويلات", name_fr="Versements", parent_id=node.id
        )
        node_id, child_id = node.id, child.id
    before = seeded.counts()
    for who in (CLERK, AGENT, ADMIN_CRB):  # not a manager of MEF's plan
        with pytest.raises(PermissionDenied), db.write_session() as s:
            file_plan.save_node(s, seeded.actor(who), mef, code="05", name_ar="س", name_fr="X")
    with pytest.raises(DomainError) as dup, db.write_session() as s:
        file_plan.save_node(s, seeded.actor(ADMIN), mef, code="04", name_ar="س", name_fr="X")
    assert dup.value.code == "error.duplicate_code"
    with pytest.raises(DomainError), db.write_session() as s:  # a node under its own child: a cycle
        file_plan.save_node(
            s,
            seeded.actor(ADMIN),
            mef,
            code="04",
            name_ar="الأرشيف",
            name_fr="Archives",
            node_id=node_id,
            parent_id=child_id,
        )
    with pytest.raises(DomainError) as bad, db.write_session() as s:
        file_plan.save_document_type(
            s, seeded.actor(ADMIN), mef, code="X", name_ar="س", name_fr="X", retention_years=0, retention_months=0
        )
    assert bad.value.code == "error.invalid_retention"
    with pytest.raises(DomainError), db.write_session() as s:
        file_plan.save_custom_field(s, seeded.actor(ADMIN), mef, code="C", name_ar="س", name_fr="C", kind="choice")
    assert seeded.counts() == before  # every refusal left nothing behind
    with db.read_session() as s:
        assert s.execute(
            select(AuditEvent).where(
                AuditEvent.action == "file_plan_node.created", AuditEvent.object_id == str(child_id)
            )
        ).scalar_one()
    # Members read the plan; another administration's staff do not.
    assert [n.code for n in _plan(seeded).nodes][:3] == ["01", "01.01", "02"]
    with pytest.raises(PermissionDenied), db.read_session() as s:
        file_plan.plan(s, seeded.actor(ADMIN_CRB), mef)


def _qualified(seeded, subject: str, c: Classification) -> int:
    from mrasla_app.services.portal import deposits

    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Driss Alami",
        id_kind="CIN",
        id_value="C123456",
        email="",
        phone="0611223344",
        subject=subject,
    )
    with db.write_session() as s:
        cid = deposits.submit(s, form).correspondence_id
    with db.write_session() as s:
        dispatch.qualify(s, seeded.actor(CLERK), cid, type_code="request", classification=c)
    return cid


def test_letters_are_classified_at_qualification_and_found_by_the_filters(seeded):
    plan = _plan(seeded)
    node, dtype = _by_code(plan.nodes, "01.01"), _by_code(plan.types, "DEM")
    tag, amount, region = (
        _by_code(plan.tags, "Attestations"),
        _by_code(plan.fields, "MONTANT"),
        _by_code(plan.fields, "REGION"),
    )
    filed = _qualified(
        seeded,
        "Attestation de salaire",
        Classification(node.id, dtype.id, (tag.id,), {amount.id: "1 200,50".replace(" ", ""), region.id: "Fès-Meknès"}),
    )
    other = _qualified(seeded, "Autre demande", Classification())
    with db.read_session() as s:
        ev = s.execute(
            select(AuditEvent).where(
                AuditEvent.action == "correspondence.qualified", AuditEvent.object_id == str(filed)
            )
        ).scalar_one()
        data = json.loads(ev.data)
        assert data["file_plan"] == "01.01" and data["document_type"] == "DEM"
        assert data["fields"] == {"MONTANT": "1200.5", "REGION": "Fès-Meknès"}
        clerk = seeded.actor(CLERK)
        for f in (
            inbox.InboxFilter(file_plan_node_id=node.id),
            inbox.InboxFilter(document_type_id=dtype.id),
            inbox.InboxFilter(tag_id=tag.id),
        ):
            ids = [r.id for r in inbox.page(s, clerk, f)[0]]
            assert ids == [filed], f
        assert other in [r.id for r in inbox.page(s, clerk, inbox.InboxFilter())[0]]
    # Bad values are refused in the user's terms, and nothing changes.
    for values in ({amount.id: "douze"}, {region.id: "Tanger"}):
        with pytest.raises(DomainError) as err, db.write_session() as s:
            dispatch.qualify(
                s, seeded.actor(CLERK), other, type_code="request", classification=Classification(values=values)
            )
        assert err.value.code == "error.invalid_field_value"
    with db.read_session() as s:
        assert s.get(RecordInfo, other).file_plan_node_id is None


def test_retention_job_picks_exactly_the_letters_whose_retention_ended(seeded):
    plan = _plan(seeded)
    dem, dec = (
        _by_code(plan.types, "DEM"),
        _by_code(plan.types, "DEC"),
    )  # 5 y from closing / 18 months from registration
    open_dem = _qualified(seeded, "Ouverte", Classification(document_type_id=dem.id))
    closed_dem = _qualified(seeded, "Close", Classification(document_type_id=dem.id))
    dec_letter = _qualified(seeded, "Décision", Classification(document_type_id=dec.id))
    _qualified(seeded, "Sans type", Classification())
    with db.write_session() as s:
        dispatch.close(s, seeded.actor(CLERK), closed_dem, "Traité")
    today = utcnow().date()
    with db.write_session() as s:
        assert retention.mark_due(s, today) == []
        assert s.get(RecordInfo, open_dem).retention_due_on is None  # not closed: the clock has not started
        assert s.get(RecordInfo, closed_dem).retention_due_on == retention.add_months(today, 60)
    with db.write_session() as s:
        assert retention.mark_due(s, retention.add_months(today, 18)) == [dec_letter]
    with db.write_session() as s:
        assert retention.mark_due(s, retention.add_months(today, 60)) == [closed_dem]
        assert retention.mark_due(s, retention.add_months(today, 60)) == []  # once
    with db.read_session() as s:
        listed = retention.letters(s, seeded.actor(ARCHIVIST))
        assert {x.correspondence_id for x in listed} == {dec_letter, closed_dem}
        with pytest.raises(PermissionDenied):
            retention.letters(s, seeded.actor(ADMIN))
    assert retention.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)


def _due_answered_letters(seeded) -> list[int]:
    """A real deposit answered through the signature book: the incoming letter and the signed
    outgoing answer, both classified as decisions (transfer) and made due."""
    done = answered_deposit(seeded)
    plan = _plan(seeded)
    dec, node = _by_code(plan.types, "DEC"), _by_code(plan.nodes, "01.01")
    with db.write_session() as s:
        out_id = s.execute(
            select(Correspondence.id).where(Correspondence.registry_number == done.outgoing_number)
        ).scalar_one()
        ids = [done.deposit.correspondence_id, out_id]
        for cid in ids:
            file_plan.classify(
                s,
                seeded.actor(CLERK),
                s.get(Correspondence, cid),
                Classification(node.id, dec.id, (_by_code(plan.tags, "Attestations").id,)),
            )
    with db.write_session() as s:
        assert sorted(retention.mark_due(s, utcnow().date() + timedelta(days=600))) == sorted(ids)
    return ids


def test_transfer_package_validates_against_seda_and_bagit_and_its_signatures_still_validate(seeded, tmp_path):
    ids = _due_answered_letters(seeded)
    archivist = seeded.actor(ARCHIVIST)
    with db.write_session() as s:
        disposal = retention.transfer(s, archivist, ids)
        disposal_id, reference = disposal.id, disposal.reference
    with db.read_session() as s:
        package = retention.package(s, archivist, disposal_id)
        originals = {
            d.sha256: d for d in s.execute(select(Document).where(Document.correspondence_id.in_(ids))).scalars()
        }
        assert {
            i.disposal_status
            for i in s.execute(select(RecordInfo).where(RecordInfo.correspondence_id.in_(ids))).scalars()
        } == {DisposalStatus.transfer_pending}

    restored = bag.open_bag(package, tmp_path / "restored")  # bagit: every checksum, nothing missing or extra
    assert "sha256" in restored.algorithms and restored.info["External-Identifier"] == reference
    data = Path(restored.path) / "data"
    manifest = (data / "manifest.xml").read_bytes()
    seda.validate(manifest)  # the SEDA 2.2 schemas, again, on what the archives receive
    root = etree.fromstring(manifest)
    ns = {"s": seda.NS}
    objects = root.findall(".//s:BinaryDataObject", ns)
    assert (
        len(
            root.findall("s:DescriptiveMetadata/s:ArchiveUnit", {"s": seda.NS})
            or root.findall(".//s:DescriptiveMetadata/s:ArchiveUnit", ns)
        )
        == 2
    )
    assert root.find(".//s:FilePlanPosition", ns).text.startswith("01.01")
    assert root.find(".//s:AppraisalRule/s:Rule", ns).text == "DEC"
    for obj in objects:  # each file is where the manifest says, with the digest it gives
        file = data / obj.find("s:Uri", ns).text
        assert hashlib.sha256(file.read_bytes()).hexdigest() == obj.find("s:MessageDigest", ns).text
    names = [o.find("s:FileInfo/s:Filename", ns).text for o in objects]
    assert sum(n.endswith("validation-etsi.xml") for n in names) >= 2 and names.count("audit.json") == 2
    # The restored PDFs: every original is there, and every signed one still validates.
    pdfs = [p for p in data.rglob("*.pdf")]
    restored_hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in pdfs}
    assert set(originals) <= restored_hashes
    reports = {p.name: validate_pdf(p.read_bytes()) for p in pdfs}
    signed = {name: r for name, r in reports.items() if r.signatures}
    assert len(signed) >= 2  # the receipt and the signed answer at least
    for name, report in signed.items():
        assert report.authentic, (name, report.reasons)
    # A byte changed in the bag: bagit's validation says so.
    victim = pdfs[0]
    victim.write_bytes(victim.read_bytes() + b"x")
    with pytest.raises(Exception):
        restored.validate(processes=1)

    # The archives acknowledge: letters transferred and archived, originals out of live storage,
    # the trail (hashes, package) kept, fsck clean.
    with db.write_session() as s:
        retention.acknowledge(s, archivist, disposal_id, "AN-ACK-2026-0042")
    with db.write_session() as s:
        assert retention.purge_disposed(s) >= 1
    with db.read_session() as s:
        for cid in ids:
            assert s.get(RecordInfo, cid).disposal_status is DisposalStatus.transferred
        assert s.get(Correspondence, ids[0]).status is Status.archived
        assert not any(storage.exists(sha) for sha, d in originals.items() if d.kind.value == "attachment")
        assert storage.exists(s.get(Disposal, disposal_id).package_sha256)
        assert audit.verify(s) == []
        report = fsck.check(s)
        assert not report.problems and s.get(Disposal, disposal_id).package_sha256 not in report.orphans
        fsck.collect_garbage(s, grace_seconds=0)  # the package is referenced: never collected
        assert storage.exists(s.get(Disposal, disposal_id).package_sha256)
        ev = s.execute(
            select(AuditEvent).where(AuditEvent.action == "record.transferred", AuditEvent.object_id == str(ids[0]))
        ).scalar_one()
        assert json.loads(ev.data)["acknowledgement"] == "AN-ACK-2026-0042"


def test_destruction_is_confirmed_by_the_archivist_with_a_sealed_certificate(seeded):
    plan = _plan(seeded)
    dem = _by_code(plan.types, "DEM")
    cid = _qualified(seeded, "Attestation à détruire", Classification(document_type_id=dem.id))
    keep = _qualified(seeded, "Encore due", Classification(document_type_id=dem.id))
    for c in (cid, keep):
        with db.write_session() as s:
            dispatch.close(s, seeded.actor(CLERK), c, "Traité")
    with db.write_session() as s:
        retention.mark_due(s, retention.add_months(utcnow().date(), 61))
    with db.read_session() as s:
        files = {d.sha256 for d in s.execute(select(Document).where(Document.correspondence_id == cid)).scalars()}
    assert files and all(storage.exists(f) for f in files)
    with pytest.raises(PermissionDenied), db.write_session() as s:  # an administrator is not an archivist
        retention.destroy(s, seeded.actor(ADMIN), [cid])
    with pytest.raises(DomainError) as mismatch, db.write_session() as s:  # DEM's final action is destroy
        retention.transfer(s, seeded.actor(ARCHIVIST), [cid])
    assert mismatch.value.code == "error.final_action_mismatch"
    with db.write_session() as s:
        disposal_id = retention.destroy(s, seeded.actor(ARCHIVIST), [cid]).id
    with db.write_session() as s:
        retention.purge_disposed(s)
    with db.read_session() as s:
        cert = retention.certificate(s, seeded.actor(ARCHIVIST), disposal_id)
        row = s.get(Disposal, disposal_id)
        assert hashlib.sha256(cert).hexdigest() == row.certificate_sha256
        ev = s.execute(
            select(AuditEvent).where(AuditEvent.action == "record.destroyed", AuditEvent.object_id == str(cid))
        ).scalar_one()
        data = json.loads(ev.data)
        assert data["certificate_sha256"] == row.certificate_sha256
        assert {h.split(":")[-1] for h in data["documents"]} == files
        assert audit.verify(s) == []
        assert s.get(RecordInfo, keep).disposal_status is DisposalStatus.due  # only what was confirmed
        assert s.get(Correspondence, cid).registry_number  # the register entry stays
        fsck.collect_garbage(s, grace_seconds=0)
        assert storage.exists(row.certificate_sha256) and not fsck.check(s).problems
    report = validate_pdf(cert)
    assert report.authentic, report.reasons
    text = "".join(page.extract_text() for page in __import__("pypdf").PdfReader(BytesIO(cert)).pages)
    assert all(f in text.replace("\n", "") for f in files)
    assert not any(storage.exists(f) for f in files)
    with pytest.raises(DomainError), db.write_session() as s:  # destroyed is final
        retention.destroy(s, seeded.actor(ARCHIVIST), [cid])
    # Review outcome "keep": back to active with a new end, due again only then.
    with db.write_session() as s:
        assert retention.keep_longer(s, seeded.actor(ARCHIVIST), [keep], 2, "Contentieux en cours") == 1
    today = utcnow().date()
    with db.write_session() as s:
        assert s.get(RecordInfo, keep).retention_due_on == retention.add_months(today, 24)
        assert retention.mark_due(s, retention.add_months(today, 23)) == []
        assert retention.mark_due(s, retention.add_months(today, 24)) == [keep]


def test_seda_schema_refuses_a_broken_message():
    xml = seda.build(seda.Transfer("M1", "t", utcnow(), "AN", "MEF", ()))
    seda.validate(xml)
    with pytest.raises(seda.SchemaError):
        seda.validate(xml.replace(b"<MessageIdentifier>M1</MessageIdentifier>", b""))
    with pytest.raises(bag.BagError):
        out = BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("../evil", b"x")
        bag.open_bag(out.getvalue(), Path("/tmp/never"))

"""Every signature, timestamp and certificate the platform makes, judged by outside validators."""

from __future__ import annotations

import base64
import hashlib
import sys
import urllib.request
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.interop.conftest import Files, run
from tests.interop.pyhanko_lta import validate_lta


def _root_asn1():
    from mrasla_app.pki import ca

    return ca.load_or_create_pki().root_asn1


def _embedded(path: Path):
    return list(PdfFileReader(BytesIO(path.read_bytes()), strict=False).embedded_signatures)


# ------------------------------------------------------------------------------ certificates


@pytest.mark.parametrize(
    "name,purpose", [("seal", "any"), ("tsa", "timestampsign"), ("ocsp", "ocsphelper"), ("personal", "any")]
)
def test_openssl_strict_verify(files: Files, name: str, purpose: str):
    pem = files.work / f"{name}.pem"
    if name == "personal":
        run("openssl", "x509", "-inform", "DER", "-in", files.work / "personal.crt", "-out", pem, check=True)
    else:
        pem = files.pki_dir / f"{name}.pem"
    out = run("openssl", "verify", "-x509_strict", "-purpose", purpose, "-CAfile", files.root_pem, pem)
    assert out.returncode == 0 and out.stdout.strip() == f"{pem}: OK", out.stdout + out.stderr


# ---------------------------------------------------------------------------------- timestamps


def test_openssl_ts_verify_on_a_reply_of_the_tsa_route(files: Files):
    doc = files.work / "doc.txt"
    doc.write_text("Lettre au ministère")
    run("openssl", "ts", "-query", "-data", doc, "-sha256", "-cert", "-out", files.work / "req.tsq", check=True)
    request = urllib.request.Request(
        f"{files.url}/pki/tsa",
        data=(files.work / "req.tsq").read_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.headers["Content-Type"] == "application/timestamp-reply"
        (files.work / "resp.tsr").write_bytes(resp.read())
    out = run(
        "openssl",
        "ts",
        "-verify",
        "-in",
        files.work / "resp.tsr",
        "-queryfile",
        files.work / "req.tsq",
        "-CAfile",
        files.root_pem,
    )
    assert "Verification: OK" in out.stdout, out.stdout + out.stderr
    out = run("openssl", "ts", "-verify", "-in", files.work / "resp.tsr", "-data", doc, "-CAfile", files.root_pem)
    assert "Verification: OK" in out.stdout, out.stdout + out.stderr


def _ts_verify_token(files: Files, token_der: bytes, *data_args: str) -> str:
    path = files.work / f"token-{hashlib.sha256(token_der).hexdigest()[:12]}.der"
    path.write_bytes(token_der)
    out = run("openssl", "ts", "-verify", "-token_in", "-in", path, *data_args, "-CAfile", files.root_pem)
    return out.stdout + out.stderr


@pytest.mark.parametrize("name", ["receipt_blta", "parapheur_blta"])
def test_openssl_ts_verify_on_the_tokens_inside_the_files(files: Files, name: str):
    """Every signature timestamp (imprint: the signature value) and every document timestamp
    (imprint: its signed byte ranges); a document timestamp fails on a tampered copy."""
    path = getattr(files, name)
    data = path.read_bytes()
    tampered = files.tampered(path).read_bytes()
    signatures = _embedded(path)
    for sig in signatures:
        if sig.sig_object_type == "/DocTimeStamp":
            a, b, c, d = (int(x) for x in sig.byte_range)
            signed = files.work / f"{name}-{sig.field_name}.bin"
            signed.write_bytes(data[a : a + b] + data[c : c + d])
            out = _ts_verify_token(files, sig.pkcs7_content, "-data", str(signed))
            assert "Verification: OK" in out, (sig.field_name, out)
            signed.write_bytes(tampered[a : a + b] + tampered[c : c + d])
            assert "Verification: FAILED" in _ts_verify_token(files, sig.pkcs7_content, "-data", str(signed))
        else:
            token = sig.signer_info["unsigned_attrs"][0]["values"][0]
            digest = hashlib.sha256(sig.signer_info["signature"].native).hexdigest()
            out = _ts_verify_token(files, token.dump(), "-digest", digest)
            assert "Verification: OK" in out, (sig.field_name, out)
    assert (
        sum(s.sig_object_type == "/DocTimeStamp" for s in signatures) == {"receipt_blta": 1, "parapheur_blta": 2}[name]
    )
    token = next(s for s in signatures if s.sig_object_type == "/DocTimeStamp").pkcs7_content
    (files.work / "docts.der").write_bytes(token)
    text = run("openssl", "ts", "-reply", "-token_in", "-in", files.work / "docts.der", "-token_out", "-text").stdout
    assert "Policy OID: 0.4.0.2023.1.1" in text


# ------------------------------------------------------------------------------------ OCSP


def test_openssl_ocsp_against_the_responder(files: Files):
    from mrasla_app.pki import ca

    out = run(
        "openssl",
        "ocsp",
        "-issuer",
        files.root_pem,
        "-cert",
        files.pki_dir / "seal.pem",
        "-cert",
        files.pki_dir / "tsa.pem",
        "-url",
        f"{files.url}/pki/ocsp",
        "-CAfile",
        files.root_pem,
    )
    assert "Response verify OK" in out.stderr + out.stdout, out.stdout + out.stderr
    assert f"{files.pki_dir / 'seal.pem'}: good" in out.stdout and f"{files.pki_dir / 'tsa.pem'}: good" in out.stdout

    platform = ca.load_or_create_pki()
    cert_der, _ = ca.issue_personal_certificate(platform, "Revoked Probe", "r@x.ma", "Org")
    pem = files.work / "revoked.pem"
    (files.work / "revoked.der").write_bytes(cert_der)
    run("openssl", "x509", "-inform", "DER", "-in", files.work / "revoked.der", "-out", pem, check=True)
    ask = (
        "openssl",
        "ocsp",
        "-issuer",
        files.root_pem,
        "-cert",
        pem,
        "-url",
        f"{files.url}/pki/ocsp",
        "-CAfile",
        files.root_pem,
    )
    assert f"{pem}: good" in run(*ask).stdout
    from cryptography import x509

    ca.revoke(x509.load_der_x509_certificate(cert_der).serial_number, "key_compromise", platform=platform)
    out = run(*ask)
    assert f"{pem}: revoked" in out.stdout and "Reason: keyCompromise" in out.stdout, out.stdout


def test_ocsp_over_get(files: Files):
    req = files.work / "get.ocspreq"
    run(
        "openssl",
        "ocsp",
        "-issuer",
        files.root_pem,
        "-cert",
        files.pki_dir / "seal.pem",
        "-no_nonce",
        "-reqout",
        req,
        check=True,
    )
    encoded = base64.b64encode(req.read_bytes()).decode()
    with urllib.request.urlopen(f"{files.url}/pki/ocsp/{urllib.request.quote(encoded, safe='')}", timeout=10) as resp:
        assert resp.headers["Content-Type"] == "application/ocsp-response"
        (files.work / "get.ocspresp").write_bytes(resp.read())
    out = run(
        "openssl",
        "ocsp",
        "-respin",
        files.work / "get.ocspresp",
        "-issuer",
        files.root_pem,
        "-cert",
        files.pki_dir / "seal.pem",
        "-no_nonce",
        "-CAfile",
        files.root_pem,
    )
    assert "Response verify OK" in out.stderr + out.stdout and ": good" in out.stdout, out.stdout + out.stderr


# ------------------------------------------------------------------------------- PDF checkers


@pytest.mark.parametrize("name", ["receipt_bt", "receipt_blta", "parapheur_blta"])
def test_pdfsig_with_the_root_trusted_in_nss(files: Files, name: str):
    """poppler/NSS: every signature valid and its certificate trusted (checked live through the
    certificates' AIA OCSP). pdfsig cannot judge document timestamps; they are skipped."""
    path = getattr(files, name)
    out = run("pdfsig", "-nssdir", files.nss, path).stdout
    blocks = [b for b in out.split("Signature #")[1:] if "ETSI.RFC3161" not in b and "Type: unknown" not in b]
    assert blocks, out
    for block in blocks:
        assert "Signature is Valid." in block and "Certificate is Trusted." in block, out
    tampered = run("pdfsig", "-nssdir", files.nss, files.tampered(path)).stdout
    assert "Signature is Valid." not in tampered.split("Signature #")[1], tampered


@pytest.mark.parametrize("name", ["receipt_bt", "receipt_blta", "parapheur_blta"])
def test_pdfsignerpy(files: Files, name: str):
    import pdfsigner

    path = getattr(files, name)
    report = pdfsigner.verify_pdf_report(str(path), str(files.root_pem))
    assert report["document_intact"] and report["all_valid"] and report["all_trusted"], report
    sigs = report["signatures"]
    assert sigs[-1]["covers_whole_document"], report
    for sig in sigs:
        assert "[trusted timestamp]" in sig["detail"] or sig["is_timestamp"], sig["detail"]
    assert [s["is_timestamp"] for s in sigs].count(True) == {"receipt_bt": 0, "receipt_blta": 1, "parapheur_blta": 2}[
        name
    ]
    bad = pdfsigner.verify_pdf_report(str(files.tampered(path)), str(files.root_pem))
    assert not (bad["document_intact"] and bad["all_valid"]), bad


def _fiverify(files: Files, path: Path, *extra) -> str:
    profile = Path(__file__).with_name("fiverify_mrasla.toml")
    return run(
        Path(sys.executable).with_name("fi-verify"), "--profile", profile, "--anchor", files.root_pem, *extra, path
    ).stdout


def test_fiverify_strict_revocation_on_the_receipt_as_issued(files: Files):
    """B-T receipt with a CRL issued after its timestamp: PASSED; with the CRL from before:
    INDETERMINATE (the strict rule); fetched live from the CRL distribution point: PASSED."""
    ok = _fiverify(files, files.receipt_bt, "--crl", files.crl_after, "--strict-revocation")
    assert "result: PASSED" in ok, ok
    old = _fiverify(files, files.receipt_bt, "--crl", files.crl_before, "--strict-revocation")
    assert "result: INDETERMINATE" in old, old
    live = _fiverify(files, files.receipt_bt, "--fetch-revocation", "--strict-revocation")
    assert "result: PASSED" in live, live
    bad = _fiverify(files, files.tampered(files.receipt_bt), "--crl", files.crl_after, "--strict-revocation")
    assert "result: FAILED" in bad, bad


@pytest.mark.parametrize("name,index", [("receipt_blta", 0), ("parapheur_blta", 0), ("parapheur_blta", 2)])
def test_pyhanko_ades_lta_validation_offline(files: Files, name: str, index: int):
    path = getattr(files, name)
    result = validate_lta(path.read_bytes(), _root_asn1(), index=index)
    assert (result.indication, result.sub_indication) == ("TOTAL_PASSED", "OK"), result
    bad = validate_lta(files.tampered(path).read_bytes(), _root_asn1(), index=index)
    assert bad.indication == "TOTAL_FAILED", bad


@pytest.mark.parametrize("name", ["receipt_bt", "receipt_blta", "parapheur_blta"])
def test_qpdf_check(files: Files, name: str):
    out = run("qpdf", "--check", getattr(files, name))
    assert out.returncode == 0 and "No syntax or stream encoding errors found" in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize("name", ["receipt_bt", "receipt_blta"])
def test_pdffonts_every_font_embedded(files: Files, name: str):
    out = run("pdffonts", getattr(files, name))
    assert out.returncode == 0 and "Error" not in out.stderr + out.stdout, out.stdout + out.stderr
    rows = out.stdout.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), out.stdout
    subset_tags = [row.split()[0].split("+")[0] for row in rows]
    assert len(set(subset_tags)) == len(subset_tags), out.stdout  # distinct subset tags


@pytest.mark.parametrize("name", ["receipt_blta", "parapheur_blta"])
def test_etsi_ts_119_102_2_report(files: Files, name: str):
    """The XML report the platform serves (``/api/v1/verify/pdf/etsi``): TOTAL-PASSED for every
    signature of a B-LTA file, TOTAL-FAILED (hash failure) for a tampered copy."""
    from xml.etree import ElementTree

    from mrasla_app.pki.etsi import etsi_report

    path = getattr(files, name)
    report = etsi_report(path.read_bytes())
    assert report.passed, report.indications
    root = ElementTree.fromstring(report.xml.encode())
    ns = {"vr": "http://uri.etsi.org/19102/v1.2.1#"}
    mains = [e.text for e in root.iterfind(".//vr:SignatureValidationStatus/vr:MainIndication", ns)]
    assert mains == ["urn:etsi:019102:mainindication:total-passed"] * len(report.indications), mains
    bad = etsi_report(files.tampered(path).read_bytes())
    assert [i.indication for i in bad.indications][0] == "TOTAL_FAILED"
    assert "mainindication:total-failed" in bad.xml


@pytest.mark.parametrize("name", ["receipt_bt", "receipt_blta"])
def test_pdfa3_metadata_output_intent_and_evidence(files: Files, name: str):
    """PDF/A-3b declarations, piece by piece with poppler (no veraPDF here): XMP pdfaid part 3 / B agreeing with
    /Info, an sRGB output intent, and the deposit's
    registration data attached as evidence.json (AFRelationship Data), readable with pdfdetach."""
    import json
    import re

    path = getattr(files, name)
    meta = run("pdfinfo", "-meta", path).stdout
    assert re.search(r'pdfaid:part(="|>)3', meta) and re.search(r'pdfaid:conformance(="|>)B', meta), meta
    producer = run("pdfinfo", path).stdout.split("Producer:")[1].splitlines()[0].strip()
    assert re.search(rf'pdf:Producer(="|>){re.escape(producer)}', meta), (producer, meta)
    assert run("pdfdetach", "-list", path).stdout.splitlines()[1:] == ["1: evidence.json"]
    out = files.work / f"{name}-evidence.json"
    run("pdfdetach", "-save", "1", "-o", out, path, check=True)
    evidence = json.loads(out.read_text())
    assert evidence["registry_number"] == "MEF/2026/A/000777"
    assert evidence["depositor"]["id_masked"] == "JK****54"
    assert evidence["attachments"][0]["sha256"] == "a" * 64
    data = path.read_bytes()
    assert b"/OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1" in data and b"/AFRelationship /Data" in data

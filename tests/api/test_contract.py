"""The OpenAPI document is a contract integrators can rely on: outside tools read it without error
(Redocly CLI lint), and a client generated from it by ``openapi-python-client``, used unmodified,
deposits a letter, downloads the receipt, verifies it and reads a clerk's inbox."""

from __future__ import annotations

import importlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from mrasla_app.api import api_app
from mrasla_app.api.deps import SESSION_COOKIE
from mrasla_app.services.platform.seed import DEMO_PASSWORD, demo_totp
from tests.files import jpeg_bytes, pdf_bytes

ROOT = Path(__file__).resolve().parents[2]
REDOCLY = ROOT / ".tools" / "node_modules" / ".bin" / "redocly"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def operations(document: dict) -> list[tuple[str, str, dict]]:
    return [
        (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_schema_names_operation_ids_security_and_responses():
    document = api_app.openapi()
    names = list(document["components"]["schemas"])
    assert not [n for n in names if "__" in n], "two models share a name: FastAPI qualified them by module"
    assert {"ReceiptOut", "ReceiptDocumentOut", "DocumentOut", "DepositOut"} <= set(names)
    ops = operations(document)
    ids = Counter(op["operationId"] for _, _, op in ops)
    assert not [i for i, n in ids.items() if n > 1]
    assert all(re.fullmatch(r"[a-z][a-z_]{1,30}", i) for i in ids), ids
    schemes = document["components"]["securitySchemes"]
    assert {"session", "accessToken", "accessTokenQuery", "verifyToken", "verifyTokenQuery"} <= set(schemes)
    for method, path, op in ops:
        assert "security" in op, (method, path)
        assert any(str(status).startswith("4") for status in op["responses"]), (method, path)
        assert op.get("description"), (method, path)
        for status, response in op["responses"].items():
            for media_type, content in response.get("content", {}).items():
                assert content.get("schema"), (method, path, status, media_type)  # no untyped `{}` bodies
    assert document["servers"] and document["info"]["license"]


def test_uploads_binary_responses_enums_and_links():
    document = api_app.openapi()
    schemas = document["components"]["schemas"]
    deposit = schemas["Body_create_deposit"]["properties"]
    assert deposit["files"]["items"]["format"] == "binary"
    assert deposit["administration"]["minLength"] == 1
    assert set(schemas["IdKind"]["enum"]) == {"CIN", "ICE"} and "ar" in schemas["Lang"]["enum"]
    assert schemas["Body_verify_pdf"]["properties"]["file"]["format"] == "binary"
    assert schemas["DepositOut"]["properties"]["registered_at"]["format"] == "date-time"
    paths = document["paths"]
    receipt = paths["/api/v1/deposits/{reference}/receipt.pdf"]["get"]
    assert receipt["responses"]["200"]["content"]["application/pdf"]["schema"]["format"] == "binary"
    assert receipt["security"] == [{"accessTokenQuery": []}, {"accessToken": []}]
    assert paths["/api/v1/verify/{reference}"]["get"]["security"] == [{"verifyTokenQuery": []}, {"verifyToken": []}]
    assert paths["/api/v1/correspondence"]["get"]["security"] == [{"session": []}]
    assert paths["/api/v1/deposits"]["post"]["security"] == []
    assert "application/x-x509-ca-cert" in paths["/pki/root.crt"]["get"]["responses"]["200"]["content"]
    assert "application/pkix-crl" in paths["/pki/crl.der"]["get"]["responses"]["200"]["content"]
    assert "application/timestamp-query" in paths["/pki/tsa"]["post"]["requestBody"]["content"]
    assert "application/json" in paths["/healthz"]["get"]["responses"]["503"]["content"]
    links = paths["/api/v1/deposits"]["post"]["responses"]["201"]["links"]
    targets = {link["operationId"] for link in links.values()}
    assert targets == {"receipt_pdf", "track", "verify_receipt"} and targets <= {
        op["operationId"] for _, _, op in operations(document)
    }


@pytest.mark.skipif(not REDOCLY.exists(), reason="Redocly CLI: run `make test-deps`")
def test_redocly_lint_finds_no_error(tmp_path):
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(api_app.openapi()))
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
    run = subprocess.run(
        [str(REDOCLY), "lint", "--format=json", str(spec)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(run.stdout[run.stdout.index("{") :])
    errors = [(p["ruleId"], p["message"]) for p in report["problems"] if p["severity"] == "error"]
    assert errors == [] and run.returncode == 0, errors or run.stderr
    warnings = {p["ruleId"] for p in report["problems"]}
    assert warnings <= {"no-server-example.com"}, warnings  # the test server's own URL is localhost


#: openapi-python-client leaves out bodies of media types it does not know; these are bytes to it.
GENERATOR_CONFIG = """\
project_name_override: mrasla-client
package_name_override: mrasla_client
post_hooks: []
content_type_overrides:
""" + "".join(
    f"  {t}: application/octet-stream\n"
    for t in (
        "application/pdf",
        "image/jpeg",
        "image/png",
        "text/csv",
        "application/x-x509-ca-cert",
        "application/pkix-crl",
        "application/timestamp-reply",
        "application/timestamp-query",
        "application/ocsp-request",
        "application/ocsp-response",
        "application/xml",
        "application/zip",
    )
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The client package generated from the document, imported from its temp dir."""
    if not GENERATOR.exists():
        pytest.fail("openapi-python-client missing: `pip install -e '.[test]'`")
    work = tmp_path_factory.mktemp("client")
    (work / "openapi.json").write_text(json.dumps(api_app.openapi()))
    (work / "config.yaml").write_text(GENERATOR_CONFIG)
    run = subprocess.run(
        [str(GENERATOR), "generate", "--path", "openapi.json", "--config", "config.yaml", "--output-path", "out"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr  # nothing it could not generate
    sys.path.insert(0, str(work / "out"))
    try:
        yield importlib.import_module("mrasla_client")
    finally:
        sys.path.remove(str(work / "out"))
        for name in [m for m in sys.modules if m == "mrasla_client" or m.startswith("mrasla_client.")]:
            del sys.modules[name]


@pytest.fixture
def api_server(seeded, tmp_path) -> Iterator[str]:
    """The API app served over real HTTP (granian) on the seeded database; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "mrasla_app.api:api_app",
        ],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the API server did not start in 60 s"
                time.sleep(0.3)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def test_generated_client_deposits_downloads_verifies_and_reads_the_inbox(generated, api_server):
    """Only the generated package talks to the server, configured the documented way: the tokens of the
    deposit answer as the headers their security schemes name, the clerk's session as its cookie."""

    def api(tag: str, operation_id: str):  # one module per operation, under its tag
        return importlib.import_module(f"mrasla_client.api.{tag}.{operation_id}")

    m = importlib.import_module("mrasla_client.models")
    types = importlib.import_module("mrasla_client.types")

    anonymous = generated.Client(base_url=api_server)
    letter, photo = pdf_bytes(2), jpeg_bytes()
    body = m.BodyCreateDeposit(
        administration="MEF",
        full_name="Salma Bennis",
        id_kind=m.IdKind.CIN,
        id_value="AB123456",
        email="salma@example.ma",
        subject="طلب شهادة إدارية",
        lang=m.Lang.AR,
        files=[
            types.File(payload=BytesIO(letter), file_name="lettre.pdf", mime_type="application/pdf"),
            types.File(payload=BytesIO(photo), file_name="photo.jpg", mime_type="image/jpeg"),
        ],
    )
    deposit = api("portal", "create_deposit").sync(client=anonymous, body=body)
    assert isinstance(deposit, m.DepositOut), deposit
    assert deposit.registry_number.startswith("MEF/") and deposit.registered_at.tzinfo is not None
    assert deposit.access_token and deposit.verification_token
    assert deposit.verify_api_url.endswith(f"/api/v1/verify/{deposit.reference}?t={deposit.verification_token}")

    holder = generated.AuthenticatedClient(
        base_url=api_server, token=deposit.access_token, prefix="", auth_header_name="X-Access-Token"
    )
    receipt = api("portal", "receipt_pdf").sync(deposit.reference, client=holder)
    assert isinstance(receipt, types.File), receipt
    receipt_bytes = receipt.payload.read()
    assert deposit.registry_number in PdfReader(BytesIO(receipt_bytes)).pages[0].extract_text()
    assert api("portal", "track").sync(deposit.reference, client=holder).registry_number == deposit.registry_number

    verifier = generated.AuthenticatedClient(
        base_url=api_server, token=deposit.verification_token, prefix="", auth_header_name="X-Verify-Token"
    )
    certified = api("verification", "verify_receipt").sync(deposit.reference, client=verifier)
    assert isinstance(certified, m.ReceiptOut) and certified.authentic, certified
    assert [d.filename for d in certified.documents][:2] == ["lettre.pdf", "photo.jpg"]
    forger = generated.AuthenticatedClient(
        base_url=api_server, token="forged", prefix="", auth_header_name="X-Verify-Token"
    )
    refused = api("verification", "verify_receipt").sync(deposit.reference, client=forger)
    assert isinstance(refused, m.ErrorOut) and refused.error == "error.not_authentic"

    upload = m.BodyVerifyPdf(
        file=types.File(payload=BytesIO(receipt_bytes), file_name="recu.pdf", mime_type="application/pdf")
    )
    report = api("verification", "verify_pdf").sync(client=anonymous, body=upload)
    assert isinstance(report, m.ReportOut) and report.authentic and report.signatures[0].intact, report

    email = "clerk.mef@mrasla.ma"
    ticket = api("auth", "login").sync(
        client=anonymous, body=m.Credentials(email=email, password=DEMO_PASSWORD, totp=demo_totp(email))
    )
    opened = api("auth", "open_session").sync_detailed(client=anonymous, body=ticket)
    assert opened.status_code == 204
    session = opened.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    clerk = generated.AuthenticatedClient(
        base_url=api_server, token=f"{SESSION_COOKIE}={session}", prefix="", auth_header_name="Cookie"
    )  # an API key in a cookie
    inbox = api("correspondence", "list_correspondence").sync(client=clerk, queue=m.Queue.TO_QUALIFY)
    assert isinstance(inbox, m.Page), inbox
    assert deposit.registry_number in [row.registry_number for row in inbox.items]


def test_head_and_conditional_requests_over_real_http(api_server):
    """What load balancers and caches see through a real HTTP server (bodiless HEAD and 304 framing)."""
    for path in ("/healthz", "/pki/root.crt"):
        got, head = httpx.get(api_server + path), httpx.head(api_server + path)
        assert head.status_code == 200 and head.content == b"", path
        assert head.headers["content-length"] == str(len(got.content)), path
    root = httpx.get(api_server + "/pki/root.crt")
    again = httpx.get(api_server + "/pki/root.crt", headers={"If-None-Match": root.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == root.headers["etag"]
    wrong = httpx.put(api_server + "/pki/root.crt")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD" and wrong.json()["error"]

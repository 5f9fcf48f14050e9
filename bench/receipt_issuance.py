"""Benchmark 1 — receipt issuance: the project's path vs plain pyHanko, measured in one run.

- project: ``issue_receipt`` = lay out the bilingual receipt with its QR code (fpdf2, text runs
  memoised per process) and its seal stamp, then write it in one pass with the platform seal:
  PAdES B-T, RFC 3161 timestamp from the in-process TSA, DocMDP certification, signer checked by
  the cached pre-signing validation (``mrasla_app/pki/receipt_pdf.py``);
- baseline: pyHanko's documented ``signers.sign_pdf`` with ``DummyTimeStamper`` (RSA TSA) on the same,
  already rendered PDF, building its signer the way a straightforward integration does.

Both run alternately in the main thread, then again in a worker thread (where deposits run; there
``asyncio.run``, which pyHanko's ``sign_pdf`` uses, costs less than in the main thread).
Prints median / p95 / throughput and the machine load, writes ``bench/out/receipt_issuance.json``.
Then the background extension to B-LTA (``pki.ltv``: DSS with OCSP responses made after the
timestamps + document timestamp), per receipt, in batches of 100 sharing one OCSP response per
certificate (issue #14 target: ≤ 15 ms per receipt).
Target (issues #7, #14): project median ≤ 20 ms and ≥ 4× faster than the baseline.
Usage: ``python bench/receipt_issuance.py [runs]`` (default 40).
"""

from __future__ import annotations

import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MRASLA_DATA_DIR", tempfile.mkdtemp(prefix="mrasla-bench-"))

from asn1crypto import keys as asn1_keys  # noqa: E402
from asn1crypto import x509 as asn1_x509  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import fields, signers, timestamps  # noqa: E402
from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: E402

from bench.receipt_render import receipt  # noqa: E402
from mrasla_app.documents.receipts import _render, issue_receipt  # noqa: E402
from mrasla_app.pki import ltv  # noqa: E402
from mrasla_app.pki.ca import key_to_asn1, load_or_create_pki  # noqa: E402


def _dummy_tsa() -> timestamps.DummyTimeStamper:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench TSA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return timestamps.DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(der_key),
    )


def baseline_sign(pdf: bytes, tsa: timestamps.DummyTimeStamper) -> bytes:
    platform_ = load_or_create_pki()
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(platform_.seal_cert.public_bytes(serialization.Encoding.DER)),
        signing_key=key_to_asn1(platform_.seal_key),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(platform_.root_cert.public_bytes(serialization.Encoding.DER))]
        ),
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        signers.PdfSignatureMetadata(field_name="Seal", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES),
        signer=signer,
        timestamper=tsa,
    )
    return out.getvalue()


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000,
        "per_second": len(ordered) / sum(ordered),
    }


def measure(runs: int, first: int, tsa: timestamps.DummyTimeStamper, pdf: bytes) -> dict:
    project, baseline = [], []
    for i in range(first, first + runs):
        t0 = time.perf_counter()
        issue_receipt(receipt(i))
        t1 = time.perf_counter()
        baseline_sign(pdf, tsa)
        t2 = time.perf_counter()
        project.append(t1 - t0)
        baseline.append(t2 - t1)
    result = {"project": stats(project), "baseline_pyhanko_dummy_tsa": stats(baseline)}
    result["speedup"] = result["baseline_pyhanko_dummy_tsa"]["median_ms"] / result["project"]["median_ms"]
    return result


def measure_extension(batch: int = 100) -> dict:
    """B-T → B-LTA per receipt, one ``RevinfoBatch`` (OCSP responses) for the whole batch."""
    issued = [issue_receipt(receipt(10_000 + i)) for i in range(batch)]
    t0 = time.perf_counter()
    revinfo = ltv.RevinfoBatch()
    samples = []
    for data in issued:
        t1 = time.perf_counter()
        ltv.extend(data, revinfo)
        samples.append(time.perf_counter() - t1)
    total = time.perf_counter() - t0
    return {"batch": batch, **stats(samples), "per_receipt_incl_batch_setup_ms": total / batch * 1000}


def print_table(title: str, result: dict) -> None:
    print(f"{title}\n{'path':<40}{'median ms':>10}{'p95 ms':>10}{'per s':>8}")
    for name in ("project", "baseline_pyhanko_dummy_tsa"):
        s = result[name]
        print(f"{name:<40}{s['median_ms']:>10.1f}{s['p95_ms']:>10.1f}{s['per_second']:>8.1f}")
    print(f"speedup ×{result['speedup']:.2f}")


def main(runs: int = 40) -> dict:
    tsa = _dummy_tsa()
    pdf, _ = _render(receipt(0))
    issue_receipt(receipt(0))
    baseline_sign(pdf, tsa)  # warm both paths
    load_before = os.getloadavg()
    result = {
        "benchmark": "receipt_issuance",
        "runs": runs,
        "machine": f"{platform.node()} {os.cpu_count()} CPU",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    result.update(measure(runs, 1, tsa, pdf))
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(issue_receipt, receipt(0)).result()  # the thread's own scratch page
        result["worker_thread"] = worker.submit(measure, runs, runs + 1, tsa, pdf).result()
    result["blta_extension"] = measure_extension()
    result["load_average_1_5_15"] = {"before": load_before, "after": os.getloadavg()}
    result["targets"] = {
        "median_le_20ms": result["project"]["median_ms"] <= 20,
        "speedup_ge_4": result["speedup"] >= 4,
        "extension_le_15ms": result["blta_extension"]["median_ms"] <= 15,
    }
    print_table("main thread", result)
    print_table("worker thread", result["worker_thread"])
    ext = result["blta_extension"]
    print(
        f"B-T → B-LTA extension, batch of {ext['batch']}: median {ext['median_ms']:.1f} ms, p95 "
        f"{ext['p95_ms']:.1f} ms per receipt ({ext['per_receipt_incl_batch_setup_ms']:.1f} ms with the batch's OCSP)"
    )
    print(
        f"targets (main thread): {result['targets']}   load average before {load_before[0]:.2f}, "
        f"after {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPU)"
    )
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "receipt_issuance.json").write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)

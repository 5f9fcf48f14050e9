"""The legal registers of a period: rows, CSV (Excel-ready) and PDF (bilingual, paginated)."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date, datetime, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from mrasla_app import db
from mrasla_app.models import Correspondence
from mrasla_app.services.correspondence import exports, paper
from mrasla_app.services.errors import DomainError, PermissionDenied
from tests.files import pdf_bytes

CLERK = "clerk.mef@mrasla.ma"
JULY = (date(2026, 7, 1), date(2026, 7, 31))


def _at(number: str, when: datetime) -> None:
    with db.write_session() as s:
        s.execute(update(Correspondence).where(Correspondence.registry_number == number).values(registered_at=when))


def _incoming(seeded, adm="MEF", email=CLERK, **kw) -> str:
    args = dict(
        administration_id=seeded.adm_id(adm),
        channel="paper",
        subject="Demande",
        sender_name="Ahmed Amrani",
        files=[("scan.pdf", pdf_bytes())],
    )
    args.update(kw)
    with db.write_session() as s:
        return paper.register_incoming(s, seeded.actor(email), **args).registry_number


@pytest.fixture
def registers(seeded):
    """MEF incoming: two in July (one at 00:30 Morocco time on 1 July), one in June, one in August;
    one MEF outgoing in July; one CRB incoming in July."""
    n = {}
    n["july_a"] = _incoming(seeded, subject='=HYPERLINK("http://evil")', sender_name="مريم الفاسي")
    n["july_b"] = _incoming(seeded, subject="طلب شهادة إدارية", unit_id=seeded.unit_id("MEF", "DB.DSS"))
    n["june"] = _incoming(seeded, subject="Courrier de juin")
    n["august"] = _incoming(seeded, subject="Courrier d'août")
    with db.write_session() as s:
        n["out"] = paper.register_outgoing(
            s,
            seeded.actor(CLERK),
            administration_id=seeded.adm_id("MEF"),
            subject="Réponse de juillet",
            unit_id=seeded.unit_id("MEF", "DB"),
            recipient_administration_id=seeded.adm_id("CRB"),
        ).registry_number
    n["crb"] = _incoming(seeded, adm="CRB", email="clerk.crb@mrasla.ma", subject="Courrier CRB")
    _at(n["july_a"], datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc))  # 1 July 00:30 in Morocco
    _at(n["july_b"], datetime(2026, 7, 31, 22, 0, tzinfo=timezone.utc))  # 31 July 23:00 in Morocco
    _at(n["june"], datetime(2026, 6, 30, 22, 59, tzinfo=timezone.utc))  # 30 June 23:59 in Morocco
    _at(n["august"], datetime(2026, 7, 31, 23, 0, tzinfo=timezone.utc))  # 1 August 00:00 in Morocco
    _at(n["out"], datetime(2026, 7, 15, 10, 0, tzinfo=timezone.utc))
    _at(n["crb"], datetime(2026, 7, 15, 10, 0, tzinfo=timezone.utc))
    return n


def test_rows_of_the_period_administration_and_direction_only(seeded, registers):
    mef = seeded.adm_id("MEF")
    with db.read_session() as s:
        rows = exports.register_rows(s, seeded.actor(CLERK), mef, "incoming", *JULY)
        out = exports.register_rows(s, seeded.actor(CLERK), mef, "outgoing", *JULY)
        internal = exports.register_rows(s, seeded.actor(CLERK), mef, "internal", *JULY)
    assert [r.number for r in rows] == [registers["july_a"], registers["july_b"]]
    assert rows[0].registered_at.strftime("%d/%m/%Y %H:%M") == "01/07/2026 00:30"
    assert rows[0].correspondent == "مريم الفاسي" and rows[1].unit_fr == "Division des Secteurs Sociaux"
    assert [r.number for r in out] == [registers["out"]]
    assert out[0].correspondent == "Commune de Rabat" and out[0].unit_fr == "Direction du Budget"
    assert internal == []


def test_rights_and_period_checks(seeded, registers):
    mef = seeded.adm_id("MEF")
    with db.read_session() as s:
        # administrators manage the directory; the register (citizens' names, subjects) is the registry's
        for email in (
            "agent.mef@mrasla.ma",
            "head.mef@mrasla.ma",
            "admin.crb@mrasla.ma",
            "clerk.crb@mrasla.ma",
            "admin.mef@mrasla.ma",
            "admin@mrasla.ma",
        ):
            with pytest.raises(PermissionDenied):
                exports.register_csv(s, seeded.actor(email), mef, "incoming", *JULY)
        with pytest.raises(DomainError) as e:
            exports.register_rows(s, seeded.actor(CLERK), mef, "incoming", date(2026, 7, 31), date(2026, 7, 1))
        assert e.value.code == "error.invalid_period"
        with pytest.raises(DomainError) as e:
            exports.register_rows(s, seeded.actor(CLERK), mef, "incoming", date(2026, 1, 1), date(2027, 1, 2))
        assert e.value.code == "error.period_too_long"
        assert exports.register_rows(s, seeded.actor(CLERK), mef, "incoming", date(2026, 1, 1), date(2026, 12, 31))


def test_csv_has_bom_bilingual_header_and_safe_cells(seeded, registers):
    mef = seeded.adm_id("MEF")
    with db.write_session() as s:  # a confidential letter: its subject is not printed in the register
        s.execute(
            update(Correspondence)
            .where(Correspondence.registry_number == registers["july_b"])
            .values(confidential=True)
        )
    with db.read_session() as s:
        data = exports.register_csv(s, seeded.actor(CLERK), mef, "incoming", *JULY)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == [
        "N° / الرقم",
        "Date et heure / التاريخ والساعة",
        "Canal / القناة",
        "Expéditeur / المرسل",
        "Objet / الموضوع",
        "Statut / الحالة",
        "Entité d'imputation / الوحدة المحال إليها",
    ]
    assert [r[0] for r in rows[1:]] == [registers["july_a"], registers["july_b"]]
    a, b = rows[1], rows[2]
    assert a[1] == "01/07/2026 00:30" and a[2] == "Papier / ورقي" and a[3] == "مريم الفاسي"
    assert a[4] == '\'=HYPERLINK("http://evil")'  # no formula
    assert a[5] == "À qualifier / للتكييف"
    assert b[4] == "Confidentiel / سري" and "طلب" not in data.decode("utf-8-sig")
    assert b[6] == "Division des Secteurs Sociaux / قسم القطاعات الاجتماعية"
    assert registers["june"] not in data.decode() and registers["crb"] not in data.decode()


def _pdftext(data: bytes, tmp_path) -> str:
    path = tmp_path / "register.pdf"
    path.write_bytes(data)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_pdf_register_is_paginated_and_limited_to_the_period(seeded, registers, tmp_path):
    mef = seeded.adm_id("MEF")
    for i in range(40):  # enough rows for a second page
        number = _incoming(
            seeded,
            subject=f"Demande numéro {i} relative au dossier administratif de mutation "
            f"et aux pièces justificatives annexées à la requête initiale",
        )
        _at(number, datetime(2026, 7, 10, 9, i, tzinfo=timezone.utc))
    with db.read_session() as s:
        data = exports.register_pdf(s, seeded.actor(CLERK), mef, "incoming", *JULY)
        empty = exports.register_pdf(s, seeded.actor(CLERK), mef, "internal", *JULY)
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert pages >= 2
    text = _pdftext(data, tmp_path)
    assert registers["july_a"] in text and registers["july_b"] in text
    assert registers["june"] not in text and registers["august"] not in text and registers["crb"] not in text
    assert "Registre du courrier arrivée" in text and "01/07/2026" in text and "31/07/2026" in text
    assert f"Page 1 / {pages}" in text and f"Page {pages} / {pages}" in text
    assert "42 enregistrement(s)" in text
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    (tmp_path / "out.pdf").write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(tmp_path / "out.pdf"), str(tmp_path / "page")],
        check=True,
    )
    assert "Aucun enregistrement" in _pdftext(empty, tmp_path)

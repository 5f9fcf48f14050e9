"""The receipt's QR codes are qrcode's own symbols (same version, codewords and modules) made faster."""

from __future__ import annotations

import random

import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_8BIT_BYTE, QRData

from mrasla_app.documents.receipt_layout import QR_MASK, qr_matrix


def _qrcode_matrix(data: str) -> list[list[bool]]:
    """qrcode encoding the data by itself: smallest version, its Reed–Solomon, the same fixed mask."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, mask_pattern=QR_MASK)
    qr.add_data(QRData(data.encode(), mode=MODE_8BIT_BYTE))
    qr.make(fit=True)
    return qr.get_matrix()


@pytest.mark.parametrize(
    "length", [1, 2, 13, 14, 15, 16, 26, 42, 62, 84, 85, 106, 122, 153, 180, 213, 250, 251, 400, 600]
)
def test_the_matrix_is_qrcodes_own_for_every_length_class(length):
    rng = random.Random(length)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:?=&%"
    data = "".join(rng.choice(alphabet) for _ in range(length))
    assert qr_matrix(data) == _qrcode_matrix(data)


def test_a_verification_url_with_non_ascii_bytes_matches_too():
    url = "https://mrasla.example.ma/verify/2026-A-000123?t=Zx9_k-Q7&lang=ar&n=مراسلة"
    assert qr_matrix(url) == _qrcode_matrix(url)


def test_two_urls_differing_in_one_character_give_different_symbols():
    a = qr_matrix("https://mrasla.example.ma/verify/2026-A-000123?t=AAAAAAAA")
    b = qr_matrix("https://mrasla.example.ma/verify/2026-A-000123?t=AAAAAAAB")
    assert len(a) == len(b) and a != b

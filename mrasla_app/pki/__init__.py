"""Platform PKI: certification authority, timestamping, OCSP, PAdES signing and validation (no web framework).

Import the submodules directly (``from mrasla_app.pki import ca, signing``); this package module stays
empty so importing one service does not load pyHanko for all. PDF layout lives in ``mrasla_app.documents``.
"""

"""Platform PKI, timestamping, PAdES signing/validation and sealed receipts (no web framework).

Import the submodules directly (``from mrasla_app.pki import ca, receipts``); this package
module stays empty so importing one service does not load pyHanko, fpdf2 and fonts for all.
"""

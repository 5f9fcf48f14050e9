"""PDF rendering: receipts, labels, bordereau, validation reports, fonts and text runs (sealing lives in pki)."""

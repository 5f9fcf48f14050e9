"""Correspondence services: reading the text of stored documents (PDF text layer or OCR) and searching it."""

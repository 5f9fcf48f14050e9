"""Correspondence services: reading scans, batch scanning with separator sheets, indexing proposals."""

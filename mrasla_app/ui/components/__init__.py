"""Shared UI components: the page layout and small form/table helpers."""

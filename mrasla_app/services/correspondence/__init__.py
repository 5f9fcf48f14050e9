"""Correspondence services: how letters arrive, are registered and who they are from or to."""

"""Citizen portal pages: deposit, verification, tracking (no login)."""

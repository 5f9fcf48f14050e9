"""What a directory says about a person at sign-in, whichever protocol it came through."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """A person as the provider knows them: ``external_id`` is stable there (LDAP entry DN, OIDC
    ``sub``); ``groups`` are matched against the provider's role rules (case-insensitively)."""

    external_id: str
    email: str
    full_name: str
    groups: frozenset[str]

"""Who is who: administrations and units, staff accounts and sessions, role memberships, permissions."""

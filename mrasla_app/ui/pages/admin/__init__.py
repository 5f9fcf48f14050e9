"""Directory administration pages (administrations, units, users, delegations)."""

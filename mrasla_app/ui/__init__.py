"""The Reflex web UI: thin adapters over ``mrasla_app.services`` (no business rules here)."""

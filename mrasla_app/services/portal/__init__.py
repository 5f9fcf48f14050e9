"""The citizen portal: atomic deposit, tracking without an account, public verification (flows 1, 6)."""

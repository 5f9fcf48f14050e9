"""The signatory's day in the parapheur: batch visas and signatures, and undoing one's own last decision."""

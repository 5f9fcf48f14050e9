"""The parapheur: folders, circuits of visas/opinions/signatures, signatories' personal keys."""

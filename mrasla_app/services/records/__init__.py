"""Records management: file plan and metadata, retention, archive transfers (SEDA 2.2 + BagIt), destruction."""

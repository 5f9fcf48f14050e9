"""The electronic signature book (parapheur): annotations on the document, the signatory's
reminders (daily digest, e-mail per new folder, Web Push)."""

"""E-correspondence: registers, qualification and dispatch, inbox, paper intake, drafting, sending, deadlines."""

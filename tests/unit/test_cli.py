"""The operator CLI as an operator runs it."""

from __future__ import annotations

from sqlalchemy import text

from mrasla_app import db
from mrasla_app.cli import build_parser, main


def test_help_lists_the_commands(capsys):
    help_text = build_parser().format_help()
    for command in ("migrate", "seed", "create-user", "audit", "pki"):
        assert command in help_text


def test_audit_verify_passes_on_the_demo_and_fails_after_an_sql_edit(seeded, capsys):
    assert main(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    with db.write_session() as s:  # an edit behind the application's back
        s.execute(text("UPDATE audit_event SET actor_label = 'someone else' WHERE seq = 3 AND chain = 'adm:1'"))
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "BROKEN" in out and "adm:1#3" in out


def test_create_user_with_a_role_then_log_in(seeded, capsys):
    from mrasla_app import db
    from mrasla_app.services.directory import accounts

    code = main(
        [
            "create-user",
            "--email",
            "nouveau@mrasla.ma",
            "--name",
            "Amina Nouvelle",
            "--administration",
            "MEF",
            "--role",
            "BO:clerk",
            "--password",
            "Tres-Long-Mot2Passe",
        ]
    )
    assert code == 0
    with db.write_session() as s:
        ticket = accounts.authenticate(s, "nouveau@mrasla.ma", "Tres-Long-Mot2Passe")
        actor = accounts.actor_from_token(s, accounts.exchange_ticket(s, ticket))
    assert actor is not None and [r.value for r in actor.roles] == ["clerk"]
    assert (
        main(["create-user", "--email", "x@mrasla.ma", "--name", "X", "--administration", "MEF", "--password", "short"])
        == 2
    )

"""LDAP / Active Directory: the password is checked by a bind as the person's own entry (ldap3).

Two ways to find the entry: a search (as the service account, or anonymously) with the provider's
filter, then a bind as the DN found; or a *direct bind* with a DN template (``uid={login},ou=…``)
when the directory allows no search before authentication. The search filter is also where a
directory says who is disabled: Active Directory's
``(&(sAMAccountName={login})(!(userAccountControl:1.2.840.113556.1.4.803:=2)))`` finds no disabled
account, and the ``userAccountControl`` flag is checked again on the entry read.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from ldap3 import BASE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from mrasla_app.crypto import unseal
from mrasla_app.models import IdentityProvider
from mrasla_app.services.errors import DomainError
from mrasla_app.services.signin.identity import Identity

TIMEOUT = 5  # seconds: a directory that does not answer must not hold the login form
_AD_DISABLED = 0x2  # userAccountControl: ACCOUNTDISABLE
_INVALID_CREDENTIALS = 49  # the bind's result code for a wrong password (or an unknown DN)


class BadCredentials(Exception):
    """The directory refused the password (or has no such, or no enabled, person)."""


class Disabled(BadCredentials):
    """The password is right but the directory no longer has the person enabled (filtered out, or
    Active Directory's disabled flag): refused, and the account here is disabled too."""


class Unreachable(DomainError):
    """The directory did not answer or refused the service account: nobody is signed in."""

    def __init__(self) -> None:
        super().__init__("error.directory_unreachable")


def secret_purpose(provider_id: int) -> str:
    """The sealing purpose of an LDAP service account's password (``crypto.seal``)."""
    return f"ldap-bind:{provider_id}"


def _server(provider: IdentityProvider) -> Server:
    url = provider.server_url.strip()
    tls = Tls(validate=ssl.CERT_REQUIRED) if url.lower().startswith("ldaps://") or provider.start_tls else None
    return Server(url, tls=tls, connect_timeout=TIMEOUT, get_info="NO_INFO")


@contextmanager
def _bound(provider: IdentityProvider, dn: str | None = None, password: str | None = None) -> Iterator[Connection]:
    """A connection bound as ``dn`` (default: the service account, or anonymous without one).
    A refused bind raises ``BadCredentials``; anything else the directory does wrong, ``Unreachable``."""
    if dn is None and provider.bind_dn:
        dn = provider.bind_dn
        password = unseal(provider.bind_secret, secret_purpose(provider.id)).decode() if provider.bind_secret else ""
    conn = Connection(_server(provider), user=dn, password=password, receive_timeout=TIMEOUT, read_only=True)
    try:
        conn.open()
        if provider.start_tls and not conn.start_tls():
            raise Unreachable()
        if not conn.bind():
            if conn.result.get("result") == _INVALID_CREDENTIALS:
                raise BadCredentials()
            raise Unreachable()
        yield conn
    except LDAPException:
        raise Unreachable() from None
    finally:
        conn.unbind()


def _attrs(provider: IdentityProvider) -> list[str]:
    return [
        a
        for a in (provider.name_attribute, provider.email_attribute, provider.group_attribute, "userAccountControl")
        if a
    ]


def _filter(provider: IdentityProvider, login: str | None) -> str:
    """The provider's filter for ``login`` (escaped), or for anyone (``None``: a presence match)."""
    return (provider.search_filter or "(objectClass=*)").replace(
        "{login}", "*" if login is None else escape_filter_chars(login)
    )


def _identity(provider: IdentityProvider, entry) -> Identity | None:
    """The identity of a search result entry, None when the directory marks it disabled."""
    attrs = entry["attributes"]

    def first(name: str) -> str:
        value = attrs.get(name) if name else None
        if isinstance(value, list):
            value = value[0] if value else ""
        return str(value or "").strip()

    uac = first("userAccountControl")
    if uac.isdigit() and int(uac) & _AD_DISABLED:
        return None
    groups = attrs.get(provider.group_attribute, []) if provider.group_attribute else []
    return Identity(
        external_id=entry["dn"].lower(),
        email=first(provider.email_attribute).lower(),
        full_name=first(provider.name_attribute) or first("cn"),
        groups=frozenset(str(g).lower() for g in (groups if isinstance(groups, list) else [groups])),
    )


def _search(conn: Connection, provider: IdentityProvider, base: str, scope: str, login: str) -> list:
    conn.search(base, _filter(provider, login), search_scope=scope, attributes=_attrs(provider), size_limit=2)
    return [e for e in conn.response if e.get("type") == "searchResEntry"]


def authenticate(provider: IdentityProvider, login: str, password: str) -> Identity:
    """The identity of ``login`` when ``password`` is theirs and the directory has them enabled.

    Raises ``BadCredentials`` (also for an empty password: an LDAP bind without one is an
    *unauthenticated* bind that succeeds), ``Disabled`` or ``Unreachable``. ``login`` never reaches a filter or a
    DN unescaped."""
    if not password or not login:
        raise BadCredentials()
    if provider.user_dn_template:
        dn = provider.user_dn_template.replace("{login}", escape_rdn(login))
        with _bound(provider, dn, password) as conn:
            found = _search(conn, provider, dn, BASE, login)
    else:
        with _bound(provider) as conn:
            found = _search(conn, provider, provider.search_base, SUBTREE, login)
        if len(found) != 1:
            raise BadCredentials()
        with _bound(provider, found[0]["dn"], password):
            pass
    identity = _identity(provider, found[0]) if len(found) == 1 else None
    if identity is None:
        raise Disabled()
    return identity


def find_dn(provider: IdentityProvider, login: str) -> str | None:
    """The DN a password for ``login`` would be checked against (None when the directory has no
    such enabled person), without checking any password: the account it names is locked out after
    repeated failures like a local one."""
    if provider.user_dn_template:
        return provider.user_dn_template.replace("{login}", escape_rdn(login)).lower()
    with _bound(provider) as conn:
        found = _search(conn, provider, provider.search_base, SUBTREE, login)
    return found[0]["dn"].lower() if len(found) == 1 else None


def lookup(provider: IdentityProvider, dn: str) -> Identity | None:
    """The entry at ``dn`` as the service account sees it through the provider's filter (any login
    matches), None when absent or disabled (the sync job disables the account here)."""
    with _bound(provider) as conn:
        conn.search(dn, _filter(provider, None), search_scope=BASE, attributes=_attrs(provider))
        found = [e for e in conn.response if e.get("type") == "searchResEntry"]
    return _identity(provider, found[0]) if len(found) == 1 else None


def check(provider: IdentityProvider) -> int:
    """The connection test of the admin page: binds as the service account and searches the base;
    the number of entries the filter finds (at most 1000)."""
    with _bound(provider) as conn:
        conn.search(provider.search_base, _filter(provider, None), search_scope=SUBTREE, attributes=[], size_limit=1000)
        return sum(1 for e in conn.response if e.get("type") == "searchResEntry")

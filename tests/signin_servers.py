"""Real directory servers for the sign-in tests: OpenLDAP's ``slapd`` (Debian, started in a
temporary directory) and a small OpenID Connect provider built on Authlib's server classes
(authorisation code + PKCE S256 required + nonce, RS256 ID tokens, a login form with passwords).

Nothing of the application's client side is mocked: the app talks to these over TCP.
"""

from __future__ import annotations

import base64
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SUFFIX = "dc=mef,dc=gov,dc=ma"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PW = "adminpw"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
PASSWORD = "Passw0rd!directory"
#: The filter an administrator of this directory would configure: disabled people are not found.
FILTER = "(&(objectClass=inetOrgPerson)(uid={login})(!(employeeType=disabled)))"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@dataclass
class Slapd:
    url: str
    directory: Path

    def admin(self):
        from ldap3 import Connection, Server

        return Connection(Server(self.url), ADMIN_DN, ADMIN_PW, auto_bind=True)

    def add_person(self, uid: str, name: str, *, mail: str | None = None, groups: tuple[str, ...] = ()) -> str:
        """An inetOrgPerson with ``PASSWORD``, member of ``groups`` (cn under ou=groups, created as needed)."""
        from ldap3 import MODIFY_ADD

        dn = f"uid={uid},{PEOPLE}"
        with self.admin() as conn:
            assert conn.add(
                dn,
                ["inetOrgPerson"],
                {
                    "cn": name,
                    "sn": name.split()[-1],
                    "displayName": name,
                    "mail": mail or f"{uid}@mef.gov.ma",
                    "userPassword": PASSWORD,
                    "uid": uid,
                },
            ), conn.result
            for group in groups:
                gdn = f"cn={group},{GROUPS}"
                if not conn.add(gdn, ["groupOfNames"], {"cn": group, "member": dn}):
                    assert conn.modify(gdn, {"member": [(MODIFY_ADD, [dn])]}), conn.result
        return dn

    def set_disabled(self, uid: str) -> None:
        from ldap3 import MODIFY_REPLACE

        with self.admin() as conn:
            assert conn.modify(f"uid={uid},{PEOPLE}", {"employeeType": [(MODIFY_REPLACE, ["disabled"])]}), conn.result

    def remove_from_group(self, uid: str, group: str) -> None:
        from ldap3 import MODIFY_DELETE

        with self.admin() as conn:
            assert conn.modify(f"cn={group},{GROUPS}", {"member": [(MODIFY_DELETE, [f"uid={uid},{PEOPLE}"])]}), (
                conn.result
            )


_CONF = """include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile {d}/slapd.pid
argsfile {d}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
database mdb
maxsize 104857600
suffix "{suffix}"
rootdn "{admin}"
rootpw {pw}
directory {d}/db
index objectClass,uid,member eq
overlay memberof
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
"""


@contextmanager
def slapd() -> Iterator[Slapd]:
    """A private slapd on a free loopback port, its database in a temporary directory (≈0.5 s)."""
    binary = shutil.which("slapd") or "/usr/sbin/slapd"
    if not Path(binary).exists():
        raise RuntimeError("slapd is missing: run `make test-deps` (Debian packages slapd, ldap-utils)")
    d = Path(tempfile.mkdtemp(prefix="mrasla-slapd-"))
    (d / "db").mkdir()
    (d / "slapd.conf").write_text(_CONF.format(d=d, suffix=SUFFIX, admin=ADMIN_DN, pw=ADMIN_PW))
    (d / "base.ldif").write_text(
        f"dn: {SUFFIX}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\no: MEF\ndc: mef\n\n"
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n"
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n"
    )
    slapadd = shutil.which("slapadd") or "/usr/sbin/slapadd"
    subprocess.run(
        [slapadd, "-q", "-f", str(d / "slapd.conf"), "-l", str(d / "base.ldif")], check=True, capture_output=True
    )
    port = free_port()
    proc = subprocess.Popen(
        [binary, "-d", "0", "-f", str(d / "slapd.conf"), "-h", f"ldap://127.0.0.1:{port}/"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, proc)
        yield Slapd(f"ldap://127.0.0.1:{port}", d)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(d, ignore_errors=True)


# --- OpenID Connect provider ----------------------------------------------------------------------


@dataclass
class OidcAccount:
    password: str
    claims: dict


@dataclass
class OidcProvider:
    issuer: str
    client_id: str
    client_secret: str
    accounts: dict[str, OidcAccount] = field(default_factory=dict)  # login → account
    token_requests: list[dict] = field(default_factory=list)  # what the app sent to /token


def _provider_app(provider: OidcProvider):
    """The Flask app of ``provider`` (Authlib's AuthorizationServer with code grant, OpenIDCode, PKCE)."""
    import flask
    from authlib.integrations.flask_oauth2 import AuthorizationServer
    from authlib.oauth2.rfc6749 import ClientMixin, grants
    from authlib.oauth2.rfc7636 import CodeChallenge
    from authlib.oidc.core import UserInfo
    from authlib.oidc.core.grants import OpenIDCode
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
    codes: dict[str, dict] = {}
    tokens: dict[str, str] = {}  # access token → login

    class Client(ClientMixin):
        def get_client_id(self):
            return provider.client_id

        def get_default_redirect_uri(self):
            return None

        def get_allowed_scope(self, scope):
            return " ".join(s for s in (scope or "").split() if s in ("openid", "email", "profile"))

        def check_redirect_uri(self, redirect_uri):
            return redirect_uri.endswith("/api/v1/auth/oidc/callback")

        def check_client_secret(self, client_secret):
            return secrets.compare_digest(client_secret, provider.client_secret)

        def check_endpoint_auth_method(self, method, endpoint):
            return method == "client_secret_basic" if endpoint == "token" else True

        def check_response_type(self, response_type):
            return response_type == "code"

        def check_grant_type(self, grant_type):
            return grant_type == "authorization_code"

    client = Client()

    class Code(dict):
        def get_redirect_uri(self):
            return self["redirect_uri"]

        def get_scope(self):
            return self["scope"]

        def get_nonce(self):
            return self["nonce"]

        def get_auth_time(self):
            return self["auth_time"]

        def get_acr(self):
            return None

        def get_amr(self):
            return None

        @property
        def code_challenge(self):
            return self["code_challenge"]

        @property
        def code_challenge_method(self):
            return self["code_challenge_method"]

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]

        def save_authorization_code(self, code, request):
            data = request.payload.data
            codes[code] = Code(
                redirect_uri=request.payload.redirect_uri,
                scope=request.payload.scope,
                nonce=data.get("nonce"),
                auth_time=int(time.time()),
                login=request.user,
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
            )

        def query_authorization_code(self, code, client):
            return codes.get(code)

        def delete_authorization_code(self, authorization_code):
            codes.pop(next(k for k, v in codes.items() if v is authorization_code), None)

        def authenticate_user(self, authorization_code):
            return authorization_code["login"]

    class OpenID(OpenIDCode):
        def exists_nonce(self, nonce, request):
            return any(c["nonce"] == nonce for c in codes.values())

        def resolve_client_private_key(self, client):
            return key

        def get_client_algorithm(self, client):
            return "RS256"

        def get_encode_header(self, client):
            return {"alg": "RS256", "kid": "k1"}

        def get_client_claims(self, client):
            return {"iss": provider.issuer, "aud": [provider.client_id]}

        def generate_user_info(self, user, scope):
            return UserInfo(sub=f"sub-{user}", **provider.accounts[user].claims)

    app = flask.Flask("oidc-test-provider")

    def save_token(token, request):
        tokens[token["access_token"]] = request.user

    server = AuthorizationServer(
        app, query_client=lambda cid: client if cid == provider.client_id else None, save_token=save_token
    )
    server.register_grant(CodeGrant, [OpenID(require_nonce=True), CodeChallenge(required=True)])

    @app.get("/.well-known/openid-configuration")
    def discovery():
        return {
            "issuer": provider.issuer,
            "authorization_endpoint": f"{provider.issuer}/authorize",
            "token_endpoint": f"{provider.issuer}/token",
            "jwks_uri": f"{provider.issuer}/jwks",
            "userinfo_endpoint": f"{provider.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/jwks")
    def jwks():
        return {"keys": [key.as_dict(private=False)]}

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():
        if not flask.request.args.get("code_challenge"):
            return "PKCE required", 400
        if flask.request.method == "GET":
            server.get_consent_grant(end_user=None)  # validates client, redirect URI, scope
            return (
                '<!doctype html><title>IdP</title><form method="post"><label>Login <input name="login" '
                'id="idp-login"></label><label>Password <input name="password" type="password" '
                'id="idp-password"></label><button id="idp-submit">Sign in</button></form>'
            )
        login, password = flask.request.form.get("login", ""), flask.request.form.get("password", "")
        account = provider.accounts.get(login)
        if account is None or not secrets.compare_digest(account.password, password):
            return "wrong password", 401
        return server.create_authorization_response(grant_user=login)

    @app.post("/token")
    def token():
        provider.token_requests.append(dict(flask.request.form))
        return server.create_token_response()

    @app.get("/userinfo")
    def userinfo():
        login = tokens.get(flask.request.headers.get("Authorization", "").removeprefix("Bearer "))
        if login is None:
            return {"error": "invalid_token"}, 401
        return dict(UserInfo(sub=f"sub-{login}", **provider.accounts[login].claims))

    return app


@contextmanager
def oidc_provider() -> Iterator[OidcProvider]:
    """The provider on a free loopback port, in a thread of the test process."""
    from werkzeug.serving import make_server

    port = free_port()
    provider = OidcProvider(
        issuer=f"http://127.0.0.1:{port}",
        client_id="mrasla",
        client_secret=base64.urlsafe_b64encode(secrets.token_bytes(24)).decode(),
    )
    server = make_server("127.0.0.1", port, _provider_app(provider), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _wait_port(port)
        yield provider
    finally:
        server.shutdown()
        thread.join(5)

"""`Gateway`: typed helpers over the gateway's admin API for test suites: fixtures and reset,
users with credentials for every surface (a tiered project and session included), fault rules,
the request journal with its verification API (`count`, `find`, `assert_requested`), and the
outbox of mail the gateway sent (`outbox`, `wait_for_mail`).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

import httpx

from . import verify
from .server import GatewayServer

# The surfaces whose credentials come from `POST /admin/users/{id}/tokens`; the tiered `users`
# surface signs its own project-bound tokens (`create_session`).
TOKEN_SURFACES = ("platform", "users-me", "account-profile", "me")
_UNSET: Any = object()


class GatewayError(RuntimeError):
    """An admin call answered with an unexpected status; `body` is its parsed JSON (or text)."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        self.status, self.body = status, body
        super().__init__(f"{method} {path} -> {status}: {verify._short(body, 2000)}")


@dataclass(frozen=True)
class User:
    """A user as the admin API shows it (`raw` holds every field)."""

    id: str
    username: str
    email: Optional[str]
    raw: Dict[str, Any] = field(repr=False)

    @classmethod
    def of(cls, raw: Dict[str, Any]) -> "User":
        return cls(id=raw["id"], username=raw["username"], email=raw.get("email"), raw=raw)


@dataclass(frozen=True)
class SurfaceCredentials:
    """An access token (with its session) and, when issued, an API key for one surface."""

    surface: str
    access_token: str
    expires_at: str
    api_key: Optional[str] = None


@dataclass(frozen=True)
class ApiKey:
    """An API key; `key` is its full text, shown only once by the gateway."""

    id: str
    surface: str
    user_id: str
    key: str


@dataclass(frozen=True)
class Project:
    """A tiered-surface (Stack Auth) project with both keys."""

    id: str
    display_name: str
    publishable_client_key: str
    secret_server_key: str
    raw: Dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class TieredSession:
    """A refresh session of a user in a project and an access token minted from it."""

    project_id: str
    user_id: str
    refresh_token_id: str
    access_token: str
    refresh_token: str
    access_token_expires_at: str


@dataclass(frozen=True)
class Credentials:
    """A user with credentials for every surface: `creds["me"].access_token`,
    `creds.platform.api_key`, `creds.project` and `creds.session` for the tiered surface."""

    user: User
    surfaces: Dict[str, SurfaceCredentials]
    project: Project
    session: TieredSession

    def __getitem__(self, surface: str) -> SurfaceCredentials:
        return self.surfaces[surface]

    platform = property(lambda self: self.surfaces["platform"])
    users_me = property(lambda self: self.surfaces["users-me"])
    account_profile = property(lambda self: self.surfaces["account-profile"])
    me = property(lambda self: self.surfaces["me"])


@dataclass(frozen=True)
class Fault:
    """A fault rule as `GET /admin/faults` shows it (`remaining`, `fired` at that moment)."""

    id: str
    raw: Dict[str, Any] = field(repr=False)


def _id(thing: Union[str, User, Project, Fault, ApiKey]) -> str:
    return thing if isinstance(thing, str) else thing.id


class Gateway:
    """The admin API of one gateway. `settle_secs`: how long `assert_requested` keeps asking
    before it fails (a request is journaled when its response body has been sent)."""

    def __init__(self, server: GatewayServer, settle_secs: float = 1.0) -> None:
        self.server = server
        self.url = server.url
        self.admin_token = server.admin_token
        self.settle_secs = settle_secs
        self._default_project: Optional[Project] = None
        self._http = httpx.Client(base_url=server.url, trust_env=False, timeout=30.0,
                                  headers={"Authorization": f"Bearer {server.admin_token}"})

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, *, expect: tuple = (200, 201, 204), **kw: Any) -> Any:
        """`method /admin{path}`; the parsed JSON answer (None when empty)."""
        res = self._http.request(method, f"/admin{path}", **kw)
        try:
            body = res.json() if res.content else None
        except ValueError:
            body = res.text
        if res.status_code not in expect:
            raise GatewayError(method, f"/admin{path}", res.status_code, body)
        return body

    # -- state ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the loaded fixtures (or empty): users, keys, tokens, fault rules; clears the
        journal. Projects outlive a reset."""
        self.call("POST", "/reset")

    def load_fixtures(self, source: Union[str, Path, Mapping[str, Any]]) -> Dict[str, Any]:
        """Loads a fixture file (YAML or JSON path) or a dict, replacing the state; `reset` comes
        back to it. Returns what the fixtures wrote."""
        if isinstance(source, Mapping):
            return self.call("POST", "/fixtures", json=dict(source))
        path = Path(source)
        return self.call("POST", "/fixtures", params={"name": path.name},
                         content=path.read_bytes())

    # -- users and credentials -----------------------------------------------------------------

    def create_user(self, username: Optional[str] = None, *, email: Optional[str] = _UNSET,
                    status: str = "active", **fields: Any) -> User:
        """A user (`active` like fixture users; a random username; `<username>@example.com`
        unless `email` is given, `None` for none). `fields`: `password`, `display_name`,
        `first_name`, `last_name`, `kind`, ... as `POST /admin/users` takes them."""
        username = username or f"user-{secrets.token_hex(4)}"
        if email is _UNSET:
            email = f"{username}@example.com"
        body = {"username": username, "email": email, "status": status, **fields}
        return User.of(self.call("POST", "/users", json={k: v for k, v in body.items()
                                                          if v is not None}))

    def user(self, user: Union[str, User]) -> User:
        return User.of(self.call("GET", f"/users/{_id(user)}"))

    def delete_user(self, user: Union[str, User]) -> None:
        self.call("DELETE", f"/users/{_id(user)}")

    def issue_credentials(self, user: Union[str, User], *, ttl_secs: Optional[int] = None
                          ) -> Dict[str, SurfaceCredentials]:
        """An access token and an API key for each of `TOKEN_SURFACES`."""
        body = {"ttl_secs": ttl_secs} if ttl_secs is not None else {}
        issued = self.call("POST", f"/users/{_id(user)}/tokens", json=body)["credentials"]
        return {c["surface"]: SurfaceCredentials(c["surface"], c["access_token"],
                                                 c["expires_at"], c.get("api_key"))
                for c in issued if c["surface"] in TOKEN_SURFACES}

    def create_api_key(self, user: Union[str, User], surface: str,
                       label: Optional[str] = None) -> ApiKey:
        body = {"surface": surface, **({"label": label} if label else {})}
        k = self.call("POST", f"/users/{_id(user)}/keys", json=body)
        return ApiKey(id=k["id"], surface=k["surface"], user_id=k["user_id"], key=k["key"])

    def revoke_api_key(self, key: Union[str, ApiKey]) -> None:
        self.call("DELETE", f"/keys/{_id(key)}")

    def create_project(self, display_name: str = "testkit", *,
                       require_publishable_client_key: bool = False,
                       allow_client_user_deletion: bool = False) -> Project:
        """A tiered-surface project; its keys are shown only in this answer."""
        p = self.call("POST", "/projects", json={
            "display_name": display_name,
            "require_publishable_client_key": require_publishable_client_key,
            "allow_client_user_deletion": allow_client_user_deletion})
        return Project(id=p["id"], display_name=p["display_name"],
                       publishable_client_key=p["publishable_client_key"],
                       secret_server_key=p["secret_server_key"], raw=p)

    def default_project(self) -> Project:
        """One project made on first use and kept (projects outlive resets)."""
        if self._default_project is None:
            self._default_project = self.create_project("gateway-testkit")
        return self._default_project

    def create_session(self, project: Union[str, Project], user: Union[str, User], *,
                       access_token_ttl_secs: Optional[int] = None,
                       refresh_token_ttl_secs: Optional[int] = None) -> TieredSession:
        """A tiered refresh session and access token (a negative access TTL: already expired)."""
        body = {k: v for k, v in {"access_token_ttl_secs": access_token_ttl_secs,
                                  "refresh_token_ttl_secs": refresh_token_ttl_secs}.items()
                if v is not None}
        s = self.call("POST", f"/projects/{_id(project)}/users/{_id(user)}/sessions", json=body)
        return TieredSession(**{k: s[k] for k in TieredSession.__dataclass_fields__})

    def create_user_with_credentials(self, username: Optional[str] = None, *,
                                     project: Optional[Project] = None,
                                     **fields: Any) -> Credentials:
        """`create_user`, then credentials for every surface: token and API key of each token
        surface, and a session in `project` (default: `default_project()`) for the tiered one."""
        user = self.create_user(username, **fields)
        project = project or self.default_project()
        return Credentials(user=user, surfaces=self.issue_credentials(user), project=project,
                           session=self.create_session(project, user))

    # -- faults --------------------------------------------------------------------------------

    def inject_fault(self, **rule: Any) -> Fault:
        """A fault rule: `surface`, `method`, `path`, `user`, `status`, `retry_after`, `message`,
        `latency_ms`, `drop_connection`, `count`, `probability` (see `POST /admin/faults`)."""
        raw = self.call("POST", "/faults", json={k: v for k, v in rule.items() if v is not None})
        return Fault(id=raw["id"], raw=raw)

    def faults(self) -> List[Fault]:
        return [Fault(id=r["id"], raw=r) for r in self.call("GET", "/faults")]

    def remove_fault(self, fault: Union[str, Fault]) -> None:
        self.call("DELETE", f"/faults/{_id(fault)}")

    def clear_faults(self) -> None:
        self.call("DELETE", "/faults")

    # -- journal and verification --------------------------------------------------------------

    def journal(self, surface: Optional[str] = None, limit: int = 50,
                since: Optional[int] = None) -> List[Dict[str, Any]]:
        """Journaled requests with their responses, newest first."""
        params = {k: v for k, v in {"surface": surface, "limit": limit, "since": since}.items()
                  if v is not None}
        return self.call("GET", "/journal", params=params)

    def clear_journal(self, surface: Optional[str] = None) -> None:
        self.call("DELETE", "/journal", params={"surface": surface} if surface else None)

    def journal_mark(self) -> int:
        """The newest journal id (0 when empty): pass it as `since=` to look only at later
        requests."""
        newest = self.journal(limit=1)
        return newest[0]["id"] if newest else 0

    def count(self, **pattern: Any) -> int:
        """How many journaled requests match (keywords: see `verify.build_pattern`)."""
        return self.call("POST", "/journal/count", json=verify.build_pattern(**pattern))["count"]

    def find(self, limit: int = 50, **pattern: Any) -> List[Dict[str, Any]]:
        """The journaled requests that match, newest first, at most `limit`."""
        return self._find(verify.build_pattern(**pattern), limit)[1]

    def _find(self, pattern: Dict[str, Any], limit: int) -> tuple:
        found = self.call("POST", "/journal/find", params={"limit": limit}, json=pattern)
        return found["count"], found["requests"]

    def assert_requested(self, count: Optional[int] = None, **pattern: Any
                         ) -> List[Dict[str, Any]]:
        """Fails unless exactly `count` (default: at least one) journaled requests match; the
        message lists the matches or the near misses. Returns the matching requests."""
        built = verify.build_pattern(**pattern)
        expectation = ("at least 1 request" if count is None else
                       f"exactly {count} request{'' if count == 1 else 's'}")
        ok = (lambda n: n >= 1) if count is None else (lambda n: n == count)
        deadline = time.monotonic() + self.settle_secs
        while True:
            found, hits = self._find(built, 100)
            if ok(found) or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        if not ok(found):
            raise AssertionError(verify.explain(self._find, built, expectation, found))
        return hits

    def assert_not_requested(self, **pattern: Any) -> None:
        """Fails when any journaled request matches; the message lists them."""
        built = verify.build_pattern(**pattern)
        found = self._find(built, 1)[0]
        if found:
            raise AssertionError(verify.explain(self._find, built, "no request", found))

    # -- outbox --------------------------------------------------------------------------------

    def outbox(self, to: Optional[str] = None, kind: Optional[str] = None,
               limit: int = 50) -> List[Dict[str, Any]]:
        """Mail the gateway sent, newest first: `{id, sent_at, from, to, subject, text, kind}`."""
        params = {k: v for k, v in {"to": to, "kind": kind, "limit": limit}.items()
                  if v is not None}
        return self.call("GET", "/outbox", params=params)

    def clear_outbox(self) -> None:
        self.call("DELETE", "/outbox")

    def wait_for_mail(self, to: str, kind: Optional[str] = None,
                      timeout: Optional[float] = None) -> Dict[str, Any]:
        """The newest mail to `to` (of `kind`), waiting up to `timeout` seconds (default: the
        settle time) for one; fails listing what the outbox holds."""
        deadline = time.monotonic() + (self.settle_secs if timeout is None else timeout)
        while True:
            found = self.outbox(to=to, kind=kind, limit=1)
            if found:
                return found[0]
            if time.monotonic() >= deadline:
                held = [f"  #{m['id']} to {m['to']}: {m['subject']} [{m['kind']}]"
                        for m in self.outbox(limit=10)]
                raise AssertionError(f"no mail to {to}" + (f" of kind {kind}" if kind else "")
                                     + "; the outbox holds:\n" + ("\n".join(held) or "  nothing"))
            time.sleep(0.05)

    # -- device logins ---------------------------------------------------------------------------

    def device_logins(self, pending: bool = True, user_code: Optional[str] = None
                      ) -> List[Dict[str, Any]]:
        """Device logins (`dreadnode login`, `zenml login --pro`), newest first: `{id, surface,
        user_code, state, client_id, client_details, user_id, created_at, expires_at, ...}`."""
        params = {k: v for k, v in {"status": "pending" if pending else None,
                                    "user_code": user_code}.items() if v is not None}
        return self.call("GET", "/device-authorizations", params=params)["items"]

    def wait_for_device_login(self, user_code: Optional[str] = None,
                              timeout: Optional[float] = None) -> Dict[str, Any]:
        """The pending device login with `user_code` (the code the CLI shows; any pending one
        when omitted), waiting up to `timeout` seconds (default: the settle time) for the CLI to
        start it."""
        deadline = time.monotonic() + (self.settle_secs if timeout is None else timeout)
        while True:
            found = self.device_logins(user_code=user_code)
            if found:
                return found[0]
            if time.monotonic() >= deadline:
                raise AssertionError("no pending device login"
                                     + (f" with code {user_code}" if user_code else ""))
            time.sleep(0.05)

    def approve_device_login(self, user: Union[str, User],
                             user_code: Optional[str] = None,
                             timeout: Optional[float] = None) -> Dict[str, Any]:
        """Approves the pending device login with `user_code` (waiting for it as
        `wait_for_device_login` does) for `user`, as a person on `/login/device` would."""
        login = self.wait_for_device_login(user_code, timeout)
        return self.call("POST", f"/device-authorizations/{login['id']}/approve",
                         json={"user_id": _id(user)})

    def deny_device_login(self, user_code: Optional[str] = None,
                          timeout: Optional[float] = None) -> Dict[str, Any]:
        """Denies the pending device login with `user_code`."""
        login = self.wait_for_device_login(user_code, timeout)
        return self.call("POST", f"/device-authorizations/{login['id']}/deny")

    @staticmethod
    def mail_link(mail: Mapping[str, Any], starts_with: str) -> str:
        """The one link in `mail`'s text that starts with `starts_with` (a callback URL)."""
        import re
        links = [m for m in re.findall(r"https?://\S+", mail["text"]) if m.startswith(starts_with)]
        if len(links) != 1:
            raise AssertionError(f"expected one link starting with {starts_with} in "
                                 f"{mail['subject']!r}, found {links}")
        return links[0]

    def __repr__(self) -> str:
        return f"Gateway({self.url!r})"

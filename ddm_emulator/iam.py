"""
The emulated IAM: projects, users and tokens.

`IamDirectory` issues tokens for password logins (docs/ddm-api.md section 6),
accepts static tokens given by a test or the demo (`OS_TOKEN`), and checks a
request's token against the project in its path. Token lifetimes are in
emulated seconds, so a test can expire a token by advancing the clock.
Token values and passwords are never put into messages or reprs.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable

from .errors import GatewayForbidden, GatewayUnauthorized, IamError
from .models import FakeProject, FakeToken, FakeUser, new_hex_id

__all__ = ["IamDirectory"]


class IamDirectory:
    """Projects, users and tokens of the emulated cloud; thread-safe."""

    def __init__(
        self,
        now: Callable[[], float],
        token_ttl_seconds: float,
    ) -> None:
        self._now = now
        self._lock = threading.Lock()
        self.token_ttl_seconds = token_ttl_seconds
        self.projects: dict[str, FakeProject] = {}
        self.users: dict[str, FakeUser] = {}
        self._tokens: dict[str, FakeToken] = {}
        self._static_tokens: dict[str, FakeToken] = {}
        self._access_keys: dict[str, tuple[str, str | None, str | None]] = {}

    def reset(self) -> None:
        """Forget projects, users and issued tokens; static tokens stay."""
        with self._lock:
            self.projects.clear()
            self.users.clear()
            self._tokens.clear()

    # Directory...

    def add_project(
        self,
        name: str,
        *,
        project_id: str | None = None,
        domain_name: str = "demo-domain",
        domain_id: str | None = None,
    ) -> FakeProject:
        """Create a project (in the domain of that name) and return it."""
        with self._lock:
            if domain_id is None:
                domain_id = next(
                    (p.domain_id for p in self.projects.values() if p.domain_name == domain_name),
                    new_hex_id(),
                )
            project = FakeProject(project_id or new_hex_id(), name, domain_id, domain_name)
            self.projects[project.id] = project
            return project

    def add_user(
        self, name: str, password: str, *, domain_name: str, project_ids: list[str]
    ) -> FakeUser:
        """Create a user who may get tokens for `project_ids`."""
        with self._lock:
            projects = self.projects.values()
            domain_ids = {p.domain_id for p in projects if p.domain_name == domain_name}
            domain_id = domain_ids.pop() if domain_ids else new_hex_id()
            user = FakeUser(new_hex_id(), name, password, domain_id, domain_name, list(project_ids))
            self.users[user.id] = user
            return user

    def add_access_key(self, access_key: str, secret_key: str, project_id: str | None,
                       security_token: str | None = None) -> None:
        """Accept requests signed with this key pair (SDK-HMAC-SHA256) for `project_id` (`None`: any known one).

        With `security_token` the pair is temporary: each request must also carry that token in
        `X-Security-Token`, among its signed headers."""
        if not access_key or not secret_key or security_token == "":
            raise ValueError("an access key pair (and its security token) must not be empty")
        with self._lock:
            self._access_keys[access_key] = (secret_key, project_id, security_token)

    def secret_of(self, access_key: str) -> str | None:
        """The secret key of `access_key`, or None when it is unknown."""
        with self._lock:
            pair = self._access_keys.get(access_key)
        return pair[0] if pair else None

    def authenticate_signed(self, access_key: str, project_id: str, security_token: str | None = None,
                            signed_headers: tuple[str, ...] = ()) -> FakeToken:
        """Check a verified signature's key against the project in the path, and a temporary
        key's security token (`X-Security-Token`, which must be among `signed_headers`)."""
        with self._lock:
            pair = self._access_keys.get(access_key)
        if pair is None:
            raise GatewayUnauthorized("The access key is unknown.")
        expected = pair[2]
        if expected is not None:
            if security_token is None:
                raise GatewayUnauthorized("The access key is temporary: the request needs its X-Security-Token.")
            if "x-security-token" not in signed_headers or not hmac.compare_digest(security_token, expected):
                raise GatewayUnauthorized("The security token is invalid for this access key.")
        if pair[1] is None and project_id not in self.projects or pair[1] not in (None, project_id):
            raise GatewayForbidden("The access key belongs to another project than the one in the path.")
        return FakeToken(access_key, project_id, None, self._now(), None)

    def add_static_token(self, token: str, project_id: str) -> None:
        """Accept `token` as is, for `project_id`, until the process ends."""
        if not token:
            raise ValueError("a static token must not be empty")
        with self._lock:
            self._static_tokens[token] = FakeToken(token, project_id, None, self._now(), None)

    # Tokens...

    def issue_token(
        self,
        *,
        user_name: str,
        password: str,
        domain_name: str | None,
        domain_id: str | None = None,
        project_id: str | None = None,
        project_name: str | None = None,
        scope: str = "project",
    ) -> tuple[FakeToken, FakeUser, FakeProject | None]:
        """
        Log a user in with a password (domain by name or ID); return the token, user and project.

        `scope` is `project` (by `project_id` or `project_name`), `domain` (the user's
        domain) or `none` (an unscoped token, as IAM issues without a scope); the last
        two have no project. Raises `IamError` 401 for a wrong password or project.
        """
        with self._lock:
            user = next(
                (
                    u
                    for u in self.users.values()
                    if u.name == user_name and (u.domain_id == domain_id if domain_id else u.domain_name == domain_name)
                ),
                None,
            )
            if user is None or not hmac.compare_digest(
                user.password.encode(), password.encode()
            ):
                raise IamError(401, "The username or password is wrong.")
            project = None
            if scope == "project":
                project = self._find_project(user, project_id, project_name)
                if project is None or project.id not in user.project_ids:
                    raise IamError(401, "The user has no access to the requested project.")
            now = self._now()
            value = "MIIemu" + secrets.token_urlsafe(48)
            token = FakeToken(
                value,
                project.id if project else None,
                user.id,
                now,
                now + self.token_ttl_seconds,
                domain_id=user.domain_id,
            )
            self._tokens[value] = token
            return token, user, project

    def _find_project(
        self, user: FakeUser, project_id: str | None, project_name: str | None
    ) -> FakeProject | None:
        if project_id is not None:
            return self.projects.get(project_id)
        return next(
            (
                p
                for p in self.projects.values()
                if p.name == project_name and p.domain_id == user.domain_id
            ),
            None,
        )

    def lookup(self, token: str | None) -> FakeToken:
        """Return the valid token record for `token`; raise `GatewayUnauthorized`."""
        if not token:
            raise GatewayUnauthorized("The X-Auth-Token header is missing.")
        with self._lock:
            record = self._static_tokens.get(token) or self._tokens.get(token)
        if record is None:
            raise GatewayUnauthorized("The token is invalid.")
        if record.expired(self._now()):
            raise GatewayUnauthorized("The token has expired.")
        return record

    def authenticate(self, token: str | None, project_id: str) -> FakeToken:
        """Check `token` for a request to `project_id`'s resources."""
        record = self.lookup(token)
        if record.project_id is None:
            raise GatewayForbidden("The token is not scoped to a project; DDM needs a project-scoped token.")
        if record.project_id != project_id:
            raise GatewayForbidden(
                "The token is scoped to another project than the one in the path."
            )
        return record

    def visible_projects(self, record: FakeToken) -> list[FakeProject]:
        """Projects the token's owner can see (its domain's, or its own for static tokens)."""
        with self._lock:
            scoped = self.projects.get(record.project_id) if record.project_id else None
            domain_id = scoped.domain_id if scoped is not None else record.domain_id
            if domain_id is None:
                return []
            return [p for p in self.projects.values() if p.domain_id == domain_id]

"""
Thin handlers for the emulated IAM: password tokens and the project list.

`POST /v3/auth/tokens` takes the documented password body (docs/ddm-api.md
section 6) and answers 201 with the token in `X-Subject-Token` and
`{"token": {...}}` in the body, whose catalog points the `ddmv3`/`ddmv1`
services and `identity` at this server. `GET /v3/projects` lists the projects
of the token's domain. Errors use the Keystone body (`IamError`).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from .clock import format_iam_time
from .errors import IamError
from .models import FakeProject, FakeToken, FakeUser
from .routing import Call, Route, json_response

__all__ = ["ROUTES", "token_body"]


def _dig(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _required(data: Any, *path: str) -> str:
    value = _dig(data, *path)
    if not isinstance(value, str) or not value:
        raise IamError(400, f"Invalid request body: {'.'.join(path)} is required.")
    return value


def _catalog_entry(service_type: str, name: str, url: str, region: str) -> dict[str, Any]:
    return {
        "type": service_type,
        "name": name,
        "id": f"{name}-{service_type}",
        "endpoints": [
            {
                "id": f"{name}-{service_type}-{region}",
                "interface": "public",
                "region": region,
                "region_id": region,
                "url": url,
            }
        ],
    }


def token_body(
    token: FakeToken,
    user: FakeUser,
    project: FakeProject | None,
    base_url: str,
    *,
    catalog: bool = True,
    domain_scoped: bool = False,
) -> dict[str, Any]:
    """The body of a token answer (the token value itself is only in the header).

    A project-scoped token carries `project` and a catalog; a domain-scoped one `domain`
    and no DDM endpoints; an unscoped one neither."""
    body: dict[str, Any] = {
        "expires_at": format_iam_time(token.expires_at or token.issued_at),
        "issued_at": format_iam_time(token.issued_at),
        "methods": ["password"],
        "user": {
            "id": user.id,
            "name": user.name,
            "domain": {"id": user.domain_id, "name": user.domain_name},
            "password_expires_at": "",
        },
        "roles": [{"id": "0" * 32, "name": "te_admin"}],
    }
    if domain_scoped:
        body["domain"] = {"id": user.domain_id, "name": user.domain_name}
    if project is None:
        return {"token": body}
    region = project.name.split("_")[0]
    domain = {"id": project.domain_id, "name": project.domain_name}
    body["project"] = {"id": project.id, "name": project.name, "domain": domain}
    if catalog:
        body["catalog"] = [
            _catalog_entry("ddmv3", "ddm", base_url, region),
            _catalog_entry("ddmv1", "ddm", base_url, region),
            _catalog_entry("identity", "iam", f"{base_url}/v3", region),
        ]
    return {"token": body}


def issue_token(call: Call) -> Response:
    """POST /v3/auth/tokens with a password identity → 201.

    The scope may name a project (by id or name), a domain, or be left out: IAM accepts
    all three as documented; only a project-scoped token is accepted by DDM."""
    identity = _dig(call.body, "auth", "identity")
    methods = _dig(identity, "methods")
    if not isinstance(methods, list) or "password" not in methods:
        raise IamError(400, "Invalid request body: auth.identity.methods must include password.")
    user_path = ("auth", "identity", "password", "user")
    user_name = _required(call.body, *user_path, "name")
    password = _required(call.body, *user_path, "password")
    domain_id = _dig(call.body, *user_path, "domain", "id")  # Keystone accepts the domain by ID or name
    if not (isinstance(domain_id, str) and domain_id):
        domain_id = None
    domain_name = None if domain_id else _required(call.body, *user_path, "domain", "name")
    scope = _dig(call.body, "auth", "scope")
    kind = "none"
    project_id = project_name = None
    if isinstance(scope, dict) and "project" in scope:
        kind = "project"
        project_id = _dig(scope, "project", "id")
        project_name = _dig(scope, "project", "name")
        if not isinstance(project_id, str) and not isinstance(project_name, str):
            raise IamError(400, "Invalid request body: auth.scope.project needs an id or a name.")
    elif isinstance(scope, dict) and "domain" in scope:
        kind = "domain"
        if not isinstance(_dig(scope, "domain", "id"), str) and not isinstance(_dig(scope, "domain", "name"), str):
            raise IamError(400, "Invalid request body: auth.scope.domain needs an id or a name.")
    elif scope is not None:
        raise IamError(400, "Invalid request body: auth.scope must name a project or a domain.")
    token, user, project = call.backend.iam.issue_token(
        user_name=user_name,
        password=password,
        domain_name=domain_name,
        domain_id=domain_id,
        project_id=project_id if isinstance(project_id, str) else None,
        project_name=project_name if isinstance(project_name, str) else None,
        scope=kind,
    )
    nocatalog = call.args.get("nocatalog", "").lower() in ("1", "true")
    body = token_body(token, user, project, call.base_url, catalog=not nocatalog, domain_scoped=kind == "domain")
    return json_response(201, body, headers={"X-Subject-Token": token.value})


def list_projects(call: Call) -> Response:
    """GET /v3/projects[?name=]: the projects of the token's domain."""
    assert call.token is not None
    name = call.args.get("name")
    projects = [
        {
            "id": p.id,
            "name": p.name,
            "domain_id": p.domain_id,
            "parent_id": p.domain_id,
            "description": "",
            "enabled": True,
            "is_domain": False,
        }
        for p in call.backend.iam.visible_projects(call.token)
        if name is None or p.name == name
    ]
    links = {"self": f"{call.base_url}/v3/projects", "next": None, "previous": None}
    return json_response(200, {"projects": projects, "links": links})


ROUTES: list[Route] = [
    Route("/v3/auth/tokens", "POST", issue_token, auth="none", api="iam"),
    Route("/v3/projects", "GET", list_projects, auth="token", api="iam"),
]

"""Pydantic models of the IAM token answer (docs/ddm-api.md section 6): only password login reads it.

`POST {auth_url}/auth/tokens` answers with `token.expires_at`, the scoped `token.project` and
the service `token.catalog`; fields IAM adds are kept, never an error. A module of its own so
that a provider with a ready token (or an access key) never builds these models:
`auth.PasswordToken` imports it when it first asks IAM.
"""

# real annotations, no `from __future__ import annotations` (see `models`)
from datetime import datetime

from pydantic import BaseModel, ConfigDict

__all__ = ["CatalogEndpoint", "CatalogService", "TokenBody", "TokenProject", "TokenResponse"]


class TokenProject(BaseModel):
    """The project the token is scoped to."""

    model_config = ConfigDict(extra="allow")
    id: str
    name: str = ""


class CatalogEndpoint(BaseModel):
    """One endpoint of a catalog service; `url` is the server's text (`auth._base_url` trims it)."""

    model_config = ConfigDict(extra="allow")
    url: str
    interface: str = "public"
    region: str | None = None
    region_id: str | None = None


class CatalogService(BaseModel):
    """A service of the token's catalog, e.g. `type="ddm"`, and its endpoints."""

    model_config = ConfigDict(extra="allow")
    type: str
    endpoints: list[CatalogEndpoint] = []


class TokenBody(BaseModel):
    """`token` of the answer: when it was issued and expires, its project, the catalog."""

    model_config = ConfigDict(extra="allow")
    expires_at: datetime
    issued_at: datetime | None = None
    """When IAM issued the token, on IAM's clock: `expires_at - issued_at` is its lifetime, whatever
    this machine's clock says."""
    project: TokenProject | None = None
    catalog: list[CatalogService] = []


class TokenResponse(BaseModel):
    """Body of the 201 answer to `POST /v3/auth/tokens`."""

    model_config = ConfigDict(extra="allow")
    token: TokenBody

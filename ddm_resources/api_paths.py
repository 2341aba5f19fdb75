"""The pieces of a DDM request and answer that name things: the path of a call, a job ID the
service answers, and where in a body a problem is.

`api_path` keeps every ID in its own path segment (so no value can send a request, and the
token, elsewhere); `_job_id` keeps a job ID of odd shape out of the state; `_field_path` names a
place in a body without quoting the server's text (docs/ddm-api.md section 1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .errors import ConfigurationError, DdmError
from .http_boundary import PATH_ID
from .ids import JOB_ID_PATTERN
from .sanitize import TEXT_LIMIT
from .wording import shown

__all__ = ["api_path"]


def _job_id(value: str, path: str) -> str:
    """`value` if it has the shape of a DDM job ID (32 hex characters or a UUID), else `DdmError`:
    a job ID becomes the resource's ID and an output, so odd text never enters the state."""
    if not JOB_ID_PATTERN.fullmatch(value):
        cut = len(value) >= TEXT_LIMIT and value.endswith("...")  # every server string is cut to it when parsed
        size = f"{TEXT_LIMIT} characters or more" if cut else f"{len(value)} characters"
        raise DdmError(f"{path}: the service answered a job ID of unexpected shape ({size}; expected 32 "
                       "hexadecimal characters or a UUID)")
    return value


def api_path(template: str, **ids: str) -> str:
    """`template` (e.g. `"/v3/{project_id}/jobs/{job_id}"`) with each `{name}` filled by `ids[name]`.

    Every ID must be a plain ID (`http_boundary.PATH_ID`), so none can leave its segment: a `/`, `..`, `?`,
    `#`, `%` or a blank would send the request (and the token) to another path, e.g.
    `../../../v3/auth/tokens?x=`. Raises `ConfigurationError` naming the argument and its shape
    (never more than a short, escaped prefix of the value); nothing is sent then.
    """
    for name, value in ids.items():
        if not (isinstance(value, str) and PATH_ID.fullmatch(value)):
            raise ConfigurationError(
                f"{name} {shown(value)} is not an ID (1 to 64 letters, digits, '-' or '_'), so no request "
                f"was sent; give the {name.replace('_', ' ')} as the console or the API shows it")
    return template.format(**ids)


_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _field_path(loc: Sequence[int | str]) -> str:
    """Where in a body a problem is, e.g. `jobs[0].id` from pydantic's `loc` (`("jobs", 0, "id")`);
    `""` for the body as a whole. Only field names and indexes: a part that is not a plain name
    (a key the server chose) is shown as `?`, so no text of the server's reaches the message."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + (part if _FIELD.fullmatch(part) else "?")
    return text

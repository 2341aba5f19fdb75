"""`auth`: credentials. A `PasswordToken` logs in to IAM and shows no password in any error,
whatever IAM answers, and refuses a project ID of odd shape rather than putting it in a path.
(Access-key signing, temporary keys and regions: tests/unit/test_credentials.py and
tests/unit/test_settings.py.)
"""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from ddm_resources.auth import PasswordToken
from ddm_resources.errors import ApiError
from ddm_resources.sanitize import MASK
from tests.hostile_server import ONE_POLICY, PASSWORD, answer

pytestmark = pytest.mark.real_socket


def test_iam_answer_with_the_password_shows_no_password(hostile):
    body = {"error": {"code": 401, "message": f"wrong password {PASSWORD!r} for user demo", "title": "x"}}
    server = hostile(answer(401, body))
    tokens = PasswordToken(auth_url=f"{server.url}/v3", username="demo", password=SecretStr(PASSWORD),
                           domain_name="d", project_name="eu-de", timeout=httpx.Timeout(2.0),
                           retry_policy=ONE_POLICY)
    with pytest.raises(ApiError) as info:
        tokens.get()
    assert PASSWORD not in str(info.value) and MASK in str(info.value)


@pytest.mark.parametrize("project_id", ["../../other/\u202eevil", "p\u200bq", "a b", "x" * 65])
def test_an_iam_project_id_of_odd_shape_is_refused_not_put_in_paths(hostile, project_id):
    body = {"token": {"expires_at": "2999-01-01T00:00:00Z", "project": {"id": project_id}}}
    server = hostile(answer(201, body, {"X-Subject-Token": "MIIiamissued0123456789abcdef"}))
    tokens = PasswordToken(auth_url=f"{server.url}/v3", username="demo", password=SecretStr(PASSWORD),
                           domain_name="d", project_name="eu-de", timeout=httpx.Timeout(2.0),
                           retry_policy=ONE_POLICY)
    with pytest.raises(ApiError, match="IAM answered a project ID of unexpected shape") as info:
        tokens.get()
    assert project_id not in str(info.value)

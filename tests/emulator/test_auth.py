"""IAM tokens and the API gateway's token checks."""

from __future__ import annotations

import re

import httpx
import pytest

from ddm_emulator import SEED, DdmBackend, ManualClock

from .conftest import PROJECT, RECOVERY, doc_body, password_body


def test_token_issue_returns_201_header_and_documented_body(client: httpx.Client, emulator):
    response = client.post("/v3/auth/tokens", json=password_body())

    assert response.status_code == 201
    assert response.headers["X-Subject-Token"].startswith("MII")
    token = response.json()["token"]
    assert token["project"] == {
        "id": PROJECT,
        "name": "eu-de",
        "domain": {"id": token["project"]["domain"]["id"], "name": "demo-domain"},
    }
    assert token["user"]["name"] == "demo"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", token["expires_at"])
    assert token["expires_at"] > token["issued_at"]
    ddm = next(entry for entry in token["catalog"] if entry["type"] == "ddmv3")
    assert ddm["endpoints"][0]["url"] == emulator.url
    assert response.headers["X-Subject-Token"] not in response.text


def test_token_scoped_by_project_id(client: httpx.Client):
    response = client.post("/v3/auth/tokens", json=password_body(project={"id": PROJECT}))

    assert response.status_code == 201
    assert response.json()["token"]["project"]["id"] == PROJECT


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(password_body("wrong-password"), id="wrong-password"),
        pytest.param(password_body(user="nobody"), id="unknown-user"),
        pytest.param(password_body(domain="other-domain"), id="other-domain"),
        pytest.param(password_body(project={"name": "eu-nl"}), id="unknown-project"),
    ],
)
def test_token_refused_with_keystone_401(client: httpx.Client, body):
    response = client.post("/v3/auth/tokens", json=body)

    assert response.status_code == 401
    assert "X-Subject-Token" not in response.headers
    assert response.json()["error"]["code"] == 401
    assert "wrong-password" not in response.text


def test_token_body_missing_user_name_is_400(client: httpx.Client):
    body = password_body()
    del body["auth"]["identity"]["password"]["user"]["name"]

    response = client.post("/v3/auth/tokens", json=body)

    assert response.status_code == 400
    assert "user.name" in response.json()["error"]["message"]


def test_list_projects_needs_a_token(client: httpx.Client, auth):
    assert client.get("/v3/projects").status_code == 401

    response = client.get("/v3/projects", headers=auth)

    assert response.status_code == 200
    assert [(p["id"], p["name"]) for p in response.json()["projects"]] == [(PROJECT, "eu-de")]
    by_name = client.get("/v3/projects", params={"name": "eu-nl"}, headers=auth)
    assert by_name.json()["projects"] == []


def test_missing_token_is_401_apigw_0301(client: httpx.Client):
    response = client.get(f"/v3/{PROJECT}/backups")

    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0301"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])


def test_unknown_token_is_401(client: httpx.Client):
    response = client.post(RECOVERY, json=doc_body(), headers={"X-Auth-Token": "MIIforged"})

    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0301"


def test_token_of_another_project_is_403(client: httpx.Client, backend: DdmBackend, auth):
    other = backend.iam.add_project("eu-de_other")

    response = client.get(f"/v3/{other.id}/backups", headers=auth)

    assert response.status_code == 403
    assert response.json()["error_code"] == "APIGW.0302"


def test_token_expires_after_ttl(client: httpx.Client, backend: DdmBackend, clock: ManualClock):
    backend.configure(token_ttl_seconds=60)
    token = client.post("/v3/auth/tokens", json=password_body()).headers["X-Subject-Token"]
    headers = {"X-Auth-Token": token}
    assert client.get(f"/v3/{PROJECT}/backups", headers=headers).status_code == 200

    clock.advance(61)

    response = client.get(f"/v3/{PROJECT}/backups", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error_code": "APIGW.0301", "error_msg": "The token has expired."}


def test_static_token_is_accepted_and_never_expires(client, backend: DdmBackend, clock):
    backend.add_static_token("static-demo-token", SEED.project_id)
    clock.advance(10 * 86400)

    response = client.get(f"/v3/{PROJECT}/backups", headers={"X-Auth-Token": "static-demo-token"})

    assert response.status_code == 200


def test_post_without_json_content_type_is_415(client: httpx.Client, auth):
    response = client.post(
        RECOVERY, content=b'{"source": {}}', headers={**auth, "Content-Type": "text/plain"}
    )

    assert response.status_code == 415
    assert response.json()["error_code"] == "DBS.280001"


def test_json_with_charset_is_accepted(client: httpx.Client, auth):
    headers = {**auth, "Content-Type": "application/json;charset=utf-8"}

    response = client.post(RECOVERY, content=b'{"source": {}}', headers=headers)

    assert response.status_code == 400  # got past the Content-Type check to validation


def test_unknown_api_is_404_and_wrong_method_405(client: httpx.Client, auth):
    response = client.get(f"/v3/{PROJECT}/nothing-here", headers=auth)
    assert response.status_code == 404
    assert response.json()["error_code"] == "APIGW.0101"

    assert client.delete(RECOVERY, headers=auth).status_code == 405

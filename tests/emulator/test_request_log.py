"""The request log: counts, contents, and no secrets; exact enough to assert whole requests."""

from __future__ import annotations

import json
import re

from ddm_emulator import SEED, DdmBackend

from .conftest import PROJECT, RECOVERY, SOURCE_PATH, doc_body, password_body


def test_log_counts_posts_to_metadata_recovery(client, auth, backend: DdmBackend):
    client.post(RECOVERY, json=doc_body(), headers=auth)
    client.post(RECOVERY, json=doc_body(), headers=auth)
    client.get(f"/v3/{PROJECT}/backups", headers=auth)

    posts = backend.requests(method="POST", path_contains="metadata-recovery")

    assert [r.status for r in posts] == [202, 409]
    assert posts[0].body == doc_body()
    assert posts[0].has_auth_token is True
    assert posts[0].response == {"job_id": backend.all_jobs()[0].id}
    assert len(backend.requests(method="GET")) == 1
    assert len(backend.requests(path_regex=r"^/v3/auth/tokens$")) == 1


def test_log_records_query_request_id_and_missing_token(client, backend: DdmBackend):
    response = client.get(f"/v3/{PROJECT}/backups", params={"limit": "5"})

    (record,) = backend.requests()
    assert record.query == {"limit": "5"}
    assert record.has_auth_token is False
    assert record.status == 401
    assert record.request_id == response.headers["X-Request-Id"]
    assert record.seq == 1


def test_log_never_holds_tokens_or_passwords(client, backend: DdmBackend):
    token = client.post("/v3/auth/tokens", json=password_body()).headers["X-Subject-Token"]
    client.post(RECOVERY, json=doc_body(), headers={"X-Auth-Token": token})
    client.post("/v3/auth/tokens", json=password_body("wrong-password"))

    dumped = json.dumps(client.get("/_emulator/requests").json())

    assert token not in dumped
    assert SEED.password not in dumped
    assert "wrong-password" not in dumped
    login, restore, wrong = backend.requests()
    for record in (login, wrong):
        assert record.body["auth"]["identity"]["password"]["user"]["password"] == "***"
        assert json.loads(record.body_text)["auth"]["identity"]["password"]["user"]["password"] == "***"
    assert login.body["auth"]["identity"]["password"]["user"]["name"] == "demo"
    assert restore.headers["X-Auth-Token"] == "***" and restore.has_auth_token
    assert "X-Auth-Token" not in login.headers


def test_admin_requests_are_not_logged_and_can_filter(client, auth):
    client.post(RECOVERY, json=doc_body(), headers=auth)
    client.get("/_emulator/jobs")

    body = client.get(
        "/_emulator/requests", params={"method": "POST", "path_contains": "metadata-recovery"}
    ).json()

    assert body["total"] == 1
    assert body["requests"][0]["path"] == RECOVERY
    everything = client.get("/_emulator/requests").json()["requests"]
    assert not any(r["path"].startswith("/_emulator") for r in everything)
    assert all(re.fullmatch(r"[0-9a-f]{32}", r["request_id"]) for r in everything)


# exact enough to assert whole requests (issue 12) --------------------------------------------------------------


BACKUPS = f"{SOURCE_PATH}/backups"


def test_the_log_keeps_the_exact_request(client, auth, backend: DdmBackend):
    client.get(
        f"{BACKUPS}/restorable-instances?limit=128&offset=0",
        headers={**auth, "X-Project-Id": PROJECT, "User-Agent": "ddm-resources/0.1.0"},
    )
    client.post(RECOVERY, content=json.dumps(doc_body()).encode(), headers=auth)

    get, post = backend.requests(path_contains=SOURCE_PATH)
    assert (get.method, get.path, get.query_string) == ("GET", f"{BACKUPS}/restorable-instances", "limit=128&offset=0")
    assert get.query == {"limit": "128", "offset": "0"}
    assert get.headers["X-Project-Id"] == PROJECT
    assert get.headers["User-Agent"] == "ddm-resources/0.1.0"
    assert get.headers["Content-Type"] == "application/json"
    assert get.headers["X-Auth-Token"] == "***" and get.body_text == "" and get.body is None
    assert (post.method, post.path, post.query_string) == ("POST", RECOVERY, "")
    assert post.body == doc_body() and post.body_text == json.dumps(doc_body())
    assert post.status == 202

"""The `add_headers` fault: the request is processed and answered as usual, with the fault's headers
added (a `Server` header with non-ASCII bytes, a `Content-Encoding` the body does not have): hostile
answers about real jobs, which `respond` and `replace_response` cannot give (issue 19 item 8)."""

from __future__ import annotations

import pytest

from ddm_emulator import DdmBackend, Fault

from .conftest import RECOVERY, doc_body


def test_the_answer_is_the_usual_one_with_the_headers_added(client, auth, backend: DdmBackend):
    backend.add_fault(Fault("POST", "metadata-recovery$", "add_headers", headers={"Server": "Grüße-Gateway"}))
    answer = client.post(RECOVERY, json=doc_body(), headers=auth)
    assert answer.status_code == 202 and [job.id for job in backend.all_jobs()] == [answer.json()["job_id"]]
    assert (b"server", b"Gr\xfc\xdfe-Gateway") in [(k.lower(), v) for k, v in answer.headers.raw]


def test_add_headers_needs_headers():
    with pytest.raises(ValueError, match="an add_headers fault needs headers"):
        Fault("GET", "/jobs", "add_headers")
    rule = Fault.from_dict({"path_regex": "/jobs", "action": "add_headers", "headers": {"X": "y"}})
    assert rule.headers == {"X": "y"}

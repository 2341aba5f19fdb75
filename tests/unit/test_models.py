"""`models`: the API bodies. Request bodies as documented, lenient response parsing (unknown
fields kept), both error formats; job values normalised (status in any letter case, times to UTC,
progress only when it reads as a percentage) or refused (a status or an ID of odd shape), never
recorded as the server wrote them.
"""

from __future__ import annotations

import pydantic
import pytest

from ddm_resources.errors import DdmError
from ddm_resources.models import (
    ApiErrorBody,
    JobItem,
    JobResponse,
    RestoreMetadataRequest,
    RestoreMetadataResponse,
    RestoreSource,
    RestoreTarget,
)
from tests.conftest import DOC_EXAMPLE_BODY
from tests.hostile_server import JOB_ID, Handler, answer, client

DOC_EXAMPLE = DOC_EXAMPLE_BODY


def test_request_body_equals_documented_example():
    request = RestoreMetadataRequest.model_validate(DOC_EXAMPLE)
    assert request.to_body() == DOC_EXAMPLE


def test_restore_time_is_sent_as_integer_milliseconds():
    body = RestoreMetadataRequest(
        source=RestoreSource(restore_time=1716180000000.0),
        target=RestoreTarget(instance_id="t", data_nodes=["n"]),
    ).to_body()
    assert body["source"] == {"restore_time": 1716180000000}
    assert isinstance(body["source"]["restore_time"], int)


@pytest.mark.parametrize("source", [{}, {"backup_id": "b", "restore_time": 1}])
def test_source_needs_exactly_one_of_backup_id_and_restore_time(source):
    with pytest.raises(pydantic.ValidationError, match="source.backup_id"):
        RestoreSource.model_validate(source)


def test_request_rejects_unknown_fields():
    with pytest.raises(pydantic.ValidationError, match="extra"):
        RestoreTarget.model_validate({"instance_id": "t", "data_nodes": ["n"], "nodes": []})


def test_job_parses_and_keeps_unknown_fields():
    body = (
        '{"job": {"id": "0990", "name": "RestoreMetadata", "status": "Running", "process": "60%",'
        ' "created_time": "2026-11-29T09:00:00Z", "end_time": "", "instance": {"id": "i", "name": "n"},'
        ' "new_field": 1}, "extra": true}'
    )
    job = JobResponse.model_validate_json(body).job
    assert (job.id, job.status, job.process, job.instance.id) == ("0990", "Running", "60%", "i")
    assert job.model_extra == {"new_field": 1}


def test_restore_response_reads_the_job_id_and_keeps_unknown_fields():
    assert RestoreMetadataResponse.model_validate({"job_id": "x", "more": 1}).job_id == "x"


@pytest.mark.parametrize(
    "body",
    [
        {"error_code": "DBS.280001", "error_msg": "Parameter error."},
        {"errCode": "DBS.280001", "externalMessage": "Parameter error."},
    ],
    ids=["v3-style", "v1-style"],
)
def test_api_error_body_reads_both_documented_error_formats(body):
    error = ApiErrorBody.model_validate(body)
    assert (error.code, error.message) == ("DBS.280001", "Parameter error.")


def test_job_times_are_normalised_so_jobs_order_by_time_not_by_the_raw_string():
    later = JobItem(id="a" * 32, created_time="2026-11-29T10:00:00+0000")
    earlier = JobItem(id="b" * 32, created_time="2026-11-29T10:30:00+0100")  # 09:30 UTC, the larger raw string
    assert (earlier.created_time, later.created_time) == ("2026-11-29T09:30:00Z", "2026-11-29T10:00:00Z")
    assert sorted([later, earlier], key=lambda job: job.created_time) == [earlier, later]


# server values that become outputs are checked (issue 8 item 3) ------------------------------------------------


def job_answer(**fields) -> Handler:
    return answer(200, {"job": {"id": JOB_ID, "name": "RestoreMetadata", "status": "Completed",
                                "created_time": "2026-11-29T10:00:00+0100", "end_time": "2026-11-29T10:05:00+0000",
                                "process": "", **fields}})


@pytest.mark.real_socket
@pytest.mark.parametrize("fields, status, created, end, process", [
    ({}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    ({"status": "COMPLETED", "created_time": "2026-11-29T09:00:00Z"}, "Completed", "2026-11-29T09:00:00Z",
     "2026-11-29T10:05:00Z", ""),
    ({"status": "running", "process": "40%", "end_time": ""}, "Running", "2026-11-29T09:00:00Z", "", "40%"),
    ({"created_time": "yesterday", "process": "\x1b[2J99%"}, "Completed", "", "2026-11-29T10:05:00Z", "99%"),
    ({"process": "lots"}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    # progress that is not a string, out of 0-100 %, or not in ASCII digits reads as none: never a failed poll
    ({"process": 50}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    ({"process": None}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    ({"process": ["50%"]}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    ({"process": "999%"}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    ({"process": "\u0663\u0663%"}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    ({"process": "100%"}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", "100%"),
])
def test_job_values_are_normalised_or_emptied(hostile, fields, status, created, end, process):
    server = hostile(job_answer(**fields))
    with client(server) as c:
        job = c.get_job(JOB_ID)
    assert (job.status, job.created_time, job.end_time, job.process) == (status, created, end, process)


@pytest.mark.real_socket
@pytest.mark.parametrize("fields", [{"status": "Compl<eted>; rm -rf"}, {"status": "x" * 80}, {"id": "../../etc"}])
def test_odd_job_values_are_refused_not_recorded(hostile, fields):
    server = hostile(job_answer(**fields))
    with client(server) as c, pytest.raises(DdmError) as info:
        c.get_job(JOB_ID)
    assert "rm -rf" not in str(info.value) and "etc" not in str(info.value)

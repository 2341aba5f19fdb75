"""Error wordings the trial of main (30 Nov, item 3) found unhelpful: each names what is wrong,
where the value came from and what to do."""

from __future__ import annotations

import os

import pytest

from ddm_emulator import Fault
from ddm_resources.client import DdmClient, _field_path
from ddm_resources.errors import ConfigurationError, OutcomeUnknownError, UnreadableAnswerError
from ddm_resources.inputs import check_inputs
from ddm_resources.sanitize import clause
from ddm_resources.settings import resolve_settings
from tests.conftest import PROJECT_ID, TOKEN
from tests.unit.test_restore import INPUTS, run

JOB_ID = "0990a2ee7866649b8908ec209bfee274"
READY = {"OS_TOKEN": "gAAAAA-ready-token", "OS_PROJECT_ID": "p1", "DDM_ENDPOINT": "https://127.0.0.1:8080"}


def settings_error(env: dict[str, str]) -> str:
    with pytest.raises(ConfigurationError) as info:
        resolve_settings({}.get, {**READY, **env})
    return str(info.value)


# (a) the CA file -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["OS_CACERT", "SSL_CERT_FILE"])
def test_a_directory_given_as_the_ca_file_is_called_a_directory(tmp_path, name):
    assert settings_error({name: str(tmp_path)}) == (
        f"{name} names {tmp_path} as a CA file, but it is a directory, not a file (a directory of hashed "
        f"certificates is set with SSL_CERT_DIR); fix the path or unset {name}")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_given_as_the_ca_file_is_not_read():
    assert settings_error({"OS_CACERT": "/dev/zero"}) == (
        "OS_CACERT names /dev/zero as a CA file, but it is not a regular file (a device, a pipe or a socket); "
        "fix the path or unset OS_CACERT")


def test_a_file_given_as_the_ca_directory_is_called_no_directory(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    assert settings_error({"SSL_CERT_DIR": str(bundle)}) == (
        f"SSL_CERT_DIR names {bundle} as a CA directory, but it is not a directory (a bundle file is set with "
        "ddm:cacert, OS_CACERT or SSL_CERT_FILE); fix the path or unset SSL_CERT_DIR")


def test_a_missing_ca_file_says_which_setting_to_fix(tmp_path):
    missing = tmp_path / "missing.pem"
    assert settings_error({"OS_CACERT": str(missing)}) == (
        f"OS_CACERT names a CA file that does not exist: {missing}; fix the path or unset OS_CACERT")


@pytest.mark.parametrize("text, why", [
    ("not a certificate\n", "it holds no PEM certificate"),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
     "it is not a bundle of PEM certificates (SSLError"),
])
def test_a_ca_file_that_is_no_certificate_names_its_setting_and_the_next_step(tmp_path, text, why):
    """With `SSL_CERT_DIR` set too (some images set it), only the setting of the bad file is named."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text(text)
    message = settings_error({"OS_CACERT": str(bundle), "SSL_CERT_DIR": str(tmp_path)})
    assert message.startswith(f"OS_CACERT: could not load the CA bundle {bundle}: {why}")
    assert message.endswith("; fix the path or unset OS_CACERT")


# (b) an answer of unexpected shape names the field, never the server's value -------------------

@pytest.mark.parametrize("body, field", [
    ({"job": {"status": "Running", "note": "SERVER-TEXT-42"}}, "job.id: Field required"),
    ({"job": {"id": ["SERVER-TEXT-42"], "status": "Running"}}, "job.id: Input should be a valid string"),
    ({"jobs": "SERVER-TEXT-42"}, "job: Field required"),
])
def test_an_unreadable_job_answer_names_the_field(emulator, body, field):
    emulator.backend.add_fault(Fault("GET", f"/jobs/{JOB_ID}$", "respond", status=200, body=body))
    with DdmClient(emulator.url, PROJECT_ID, TOKEN) as client, pytest.raises(UnreadableAnswerError) as info:
        client.get_job(JOB_ID)
    assert str(info.value) == (f"GET /v3/{PROJECT_ID}/jobs/{JOB_ID}: unexpected response body "
                               f"(1 problem, first: {field})")


def test_a_list_item_is_named_by_its_index(emulator):
    emulator.backend.add_fault(Fault("GET", "/jobs$", "respond", status=200, body={
        "jobs": [{"id": JOB_ID, "status": "Running"}, {"status": "SERVER-TEXT-42"}], "total": 2}))
    with DdmClient(emulator.url, PROJECT_ID, TOKEN) as client, pytest.raises(UnreadableAnswerError) as info:
        client.list_jobs(0)
    assert "(1 problem, first: jobs[1].id: Field required)" in str(info.value)
    assert "SERVER-TEXT-42" not in str(info.value)


def test_a_part_of_the_field_path_that_is_no_plain_name_is_not_quoted():
    assert _field_path(("jobs", 3, "id")) == "jobs[3].id"
    assert _field_path(("data", "\x1b[2J../x y", 0)) == "data.?[0]"
    assert _field_path(()) == ""


# (c) joined sentences: one period ----------------------------------------------------------------

@pytest.mark.parametrize("text, joined", [
    ("Server disconnected without sending a response.", "Server disconnected without sending a response"),
    ("no period", "no period"),
    ("cut text...", "cut text..."),
    ("ends. ", "ends"),
])
def test_clause_drops_only_a_final_period(text, joined):
    assert clause(text) == joined


@pytest.mark.real_socket
def test_a_dropped_restore_post_is_reported_with_single_periods(emulator):
    """The trial's `...without sending a response.. Check the target's tasks`: httpx's sentence ends a
    clause of the provider's message, which goes on with its own period."""
    emulator.backend.add_fault(Fault("POST", "/metadata-recovery$", "drop"))
    with pytest.raises(OutcomeUnknownError) as info:
        run(emulator)
    message = str(info.value)
    assert "RemoteProtocolError: Server disconnected without sending a response. Check the target's tasks" in message
    assert ".." not in message.replace("...", "")


# (d) a restore_time beyond a float's range ------------------------------------------------------

@pytest.mark.parametrize("value, sign", [(1e400, ""), (-1e400, "minus ")])
def test_a_restore_time_beyond_a_float_is_out_of_range(value, sign):
    (problem,) = check_inputs({**INPUTS, "source": {"restore_time": value}}).problems
    assert (problem.property, problem.reason) == ("source.restore_time", (
        f"source.restore_time: the number is out of range (too large to be read: it reads as {sign}infinity); "
        "source.restore_time is epoch milliseconds, UTC, such as 1716180000000 (2024-05-20T04:40:00Z)"))


def test_nan_is_not_a_number():
    (problem,) = check_inputs({**INPUTS, "source": {"restore_time": float("nan")}}).problems
    assert problem.reason.startswith("source.restore_time: NaN is not a number; write epoch milliseconds")

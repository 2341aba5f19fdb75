"""No ID leaves its path segment (trial of main, 30 Nov, item 1).

`get_restore_window('../../../v3/auth/tokens?x=')` sent `GET /v3/auth/tokens` with the token;
`'...in09/../../x'` reached another path (and got advice about the endpoint); a 100 KB ID got
`InvalidURL`. Public helpers now judge their ID arguments by the resource inputs' ID rule, and
the client fills every path from plain IDs only (`client.api_path`): the emulator's request log
shows what reached the service.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from ddm_emulator import DEMO_PROJECT_ID
from ddm_resources import get_restore_window
from ddm_resources.client import DdmClient, api_path
from ddm_resources.errors import ConfigurationError
from ddm_resources.inputs import check_inputs
from ddm_resources.models import RestoreSource, RestoreTarget
from ddm_resources.restore_window import latest_restorable_ms, read_restore_window
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN

HOSTILE = [
    "../../../v3/auth/tokens?x=",
    f"{SOURCE}/../../x",
    f"{SOURCE}%2F..%2Fx",
    "..",
    f"{SOURCE}#x",
    f"{SOURCE} ",
    "",
    "a" * 100_000,
]
JOB_ID = "0990a2ee7866649b8908ec209bfee274"


def requested(emulator) -> list[str]:
    return [record.path for record in emulator.backend.requests()]


@pytest.fixture
def stack_config(emulator, monkeypatch):
    """The provider's settings as a program's stack config, pointing at the emulator."""
    for name in ("OS_TOKEN", "OS_AUTH_TOKEN", "OS_PROJECT_ID", "DDM_ENDPOINT", "OS_CLOUD", "OS_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    before = pulumi.runtime.config.CONFIG.set({"ddm:endpoint": emulator.url, "ddm:projectId": DEMO_PROJECT_ID,
                                                 "ddm:token": TOKEN})
    yield
    pulumi.runtime.config.CONFIG.reset(before)


@pytest.mark.parametrize("bad", HOSTILE, ids=range(len(HOSTILE)))
def test_get_restore_window_refuses_what_the_inputs_refuse_and_sends_nothing(emulator, stack_config, bad):
    with pytest.raises(ConfigurationError) as info:
        get_restore_window(bad)
    message = str(info.value)
    assert message.startswith("get_restore_window: source_instance_id ")
    (problem,) = check_inputs({"source_instance_id": bad, "source": {"backup_id": BACKUP},
                               "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}}).problems
    assert message == f"get_restore_window: {problem.reason}"  # one rule, the inputs' words
    assert len(message) < 600 and "a" * 100 not in message
    assert requested(emulator) == []


def test_get_restore_window_asks_only_the_source_s_paths(emulator, stack_config):
    assert get_restore_window(SOURCE).source_instance_id == SOURCE
    assert requested(emulator) == [f"/v3/{DEMO_PROJECT_ID}/instances/{SOURCE}/backups/restorable-time-interval",
                                   f"/v3/{DEMO_PROJECT_ID}/backups"]


@pytest.mark.parametrize("helper", [read_restore_window, latest_restorable_ms])
def test_the_public_helpers_taking_a_client_name_themselves(emulator, helper):
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN) as client, pytest.raises(ConfigurationError) as info:
        helper(client, "ddm-prod")
    assert str(info.value).startswith(f"{helper.__name__}: source_instance_id 'ddm-prod' does not look like the ID "
                                      "of a DDM instance")
    assert requested(emulator) == []


SOURCE_BODY = RestoreSource(backup_id=BACKUP)
TARGET_BODY = RestoreTarget(instance_id=TARGET, data_nodes=[DATA_NODE])
CALLS: dict[str, tuple[str, Callable[[DdmClient, str], Any]]] = {
    "restore_metadata": ("source_instance_id", lambda c, bad: c.restore_metadata(bad, SOURCE_BODY, TARGET_BODY)),
    "get_job": ("job_id", lambda c, bad: c.get_job(bad)),
    "poll_job": ("job_id", lambda c, bad: c.poll_job(bad)),
    "restorable_instances": ("instance_id", lambda c, bad: c.restorable_instances(bad)),
    "restorable_time_intervals": ("instance_id", lambda c, bad: c.restorable_time_intervals(bad)),
    "related_data_nodes": ("instance_id", lambda c, bad: c.related_data_nodes(bad, 1716180000000)),
    "restorable_data_nodes": ("instance_id", lambda c, bad: c.restorable_data_nodes(
        bad, target_instance_id=TARGET, source_dn_instance_id=DATA_NODE, restore_time=1716180000000)),
    "get_backup instance": ("instance_id", lambda c, bad: c.get_backup(bad, BACKUP)),
    "get_backup backup": ("backup_id", lambda c, bad: c.get_backup(SOURCE, bad)),
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("bad", HOSTILE[:5] + HOSTILE[-1:], ids=range(6))
def test_no_client_call_lets_an_id_leave_its_segment(emulator, call, bad):
    name, send = CALLS[call]
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN) as client, pytest.raises(ConfigurationError) as info:
        send(client, bad)
    assert str(info.value).startswith(f"{name} ")
    assert "is not an ID (1 to 64 letters, digits, '-' or '_'), so no request was sent" in str(info.value)
    assert requested(emulator) == []


@pytest.mark.parametrize("bad", ["../../v3/auth/tokens?x=", "p/../../x", "a" * 100_000])
def test_a_project_id_that_is_no_id_sends_nothing(emulator, bad):
    """The project ID may come from IAM's answer (a login by project name): untrusted too."""
    with DdmClient(emulator.url, bad, TOKEN) as client:
        for send in (lambda: client.list_jobs(0), lambda: client.list_backups(SOURCE), lambda: client.get_job(JOB_ID)):
            with pytest.raises(ConfigurationError, match=r"^project_id .*is not an ID"):
                send()
    assert requested(emulator) == []


def test_plain_ids_reach_exactly_their_paths(emulator):
    """Every call of the client with the seed's IDs: each request stays on the documented path."""
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN) as client:
        job_id = client.restore_metadata(SOURCE, SOURCE_BODY, TARGET_BODY)
        client.get_job(job_id)
        client.restorable_instances(SOURCE)
        ranges = client.restorable_time_intervals(SOURCE)
        client.related_data_nodes(SOURCE, ranges[0].end_ms or 0)
        client.list_backups(SOURCE)
        client.get_backup(SOURCE, BACKUP)
        client.list_jobs(0)
    base = f"/v3/{DEMO_PROJECT_ID}"
    expected = [f"{base}/instances/{SOURCE}/backups/metadata-recovery", f"{base}/jobs/{job_id}",
                f"{base}/instances/{SOURCE}/backups/restorable-instances",
                f"{base}/instances/{SOURCE}/backups/restorable-time-interval",
                f"{base}/instances/{SOURCE}/backups/related-dn", f"{base}/backups",
                f"{base}/instances/{SOURCE}/backups/{BACKUP}", f"{base}/jobs"]
    assert list(dict.fromkeys(requested(emulator))) == expected


def test_api_path_fills_only_plain_ids():
    assert api_path("/v3/{project_id}/jobs/{job_id}", project_id="p_1", job_id="A-b") == "/v3/p_1/jobs/A-b"
    with pytest.raises(ConfigurationError, match=r"^job_id a text of 100000 characters \(not quoted: .*\) is not an"):
        api_path("/v3/{job_id}", job_id="a" * 100_000)
    assert re.fullmatch(r"[0-9a-f]{32}", JOB_ID)

"""The in-process transport seam: `MetadataRecoveryProvider.transport` (and `RunState(transport=)`)
carries every DDM and IAM request of the provider to the emulator, with no class-wide patch of
httpx and no socket (the autouse guard of tests/unit fails a test that opens one). Examples for
moving the other tests off the `emulator` fixture's patch of `httpx.HTTPTransport.handle_request`."""

from __future__ import annotations

import httpx
import pytest
from pulumi.dynamic import Config, ConfigureRequest

from ddm_emulator import (
    DEMO_DOMAIN_NAME,
    DEMO_PASSWORD,
    DEMO_PROJECT_ID,
    DEMO_PROJECT_NAME,
    DEMO_USER_NAME,
    DdmBackend,
    EmulatorSettings,
    wsgi_transport,
)
from ddm_resources.provider import MetadataRecoveryProvider
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN

URL = "http://ddm.seam.test"  # no resolver knows it: only the injected transport can reach it
GOOD = {"source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
        "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}, "resource_name": "seam"}


@pytest.fixture
def backend() -> DdmBackend:
    backend = DdmBackend(EmulatorSettings(job_seconds=0.0))
    backend.add_static_token(TOKEN, DEMO_PROJECT_ID)
    return backend


def provider_over(backend: DdmBackend, **config: str) -> MetadataRecoveryProvider:
    provider = MetadataRecoveryProvider()
    provider.transport = wsgi_transport(backend)
    provider.configure(ConfigureRequest(Config({"ddm:endpoint": URL, **config}, "ddm-metadata-recovery")))
    return provider


def test_check_and_create_reach_the_emulator_through_the_injected_transport(backend, monkeypatch):
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", pytest.fail)  # httpx's own transport: unused
    provider = provider_over(backend, **{"ddm:projectId": DEMO_PROJECT_ID, "ddm:token": TOKEN})
    assert provider.check({}, GOOD).failures == []
    created = provider.create(GOOD)
    assert created.outs["status"] == "Completed"
    assert len(backend.requests("POST")) == 1


def test_the_iam_login_goes_through_the_injected_transport_too(backend, monkeypatch):
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", pytest.fail)
    for name in ("OS_TOKEN", "OS_AUTH_TOKEN", "OS_CLOUD", "OS_PROJECT_ID", "OS_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    provider = provider_over(backend, **{"ddm:authUrl": f"{URL}/v3", "ddm:username": DEMO_USER_NAME,
                                         "ddm:password": DEMO_PASSWORD, "ddm:domainName": DEMO_DOMAIN_NAME,
                                         "ddm:projectName": DEMO_PROJECT_NAME})
    created = provider.create(GOOD)
    assert created.outs["status"] == "Completed"
    assert [r.path for r in backend.requests("POST")] == ["/v3/auth/tokens", f"/v3/{DEMO_PROJECT_ID}/instances/"
                                                           f"{SOURCE}/backups/metadata-recovery"]

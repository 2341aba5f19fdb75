"""What the provider's path loads and builds, and what it leaves alone (bench/README.md, overhead).

A Pulumi program that imports ddm_resources loads neither httpx nor pydantic: the provider's
runtime modules are imported where the provider process uses them. The provider process, in
turn, loads neither `ddm_resources.resource` (what programs declare), nor `restore_window` (only
`restore_time = "latest"` needs it), nor `iam_models` (only password login). The provider's own path
(configure, check with its preflight, create) with a ready token loads none of the optional
packages (openstacksdk, huaweicloudsdkcore, truststore). A client whose endpoint is plain
`http://` loads no CA bundle (certifi's or a configured one): it never opens TLS. The pydantic
models are built the cheap way: no builtin as a default factory, no string annotations."""

from __future__ import annotations
import __future__

import importlib
import os
import subprocess
import sys
import types

import certifi
import pydantic
import pytest

from ddm_resources import http_options
from ddm_resources.client import DdmClient
from ddm_resources.settings import resolve_settings
from tests.conftest import PROJECT_ID, REPO, SOURCE, TOKEN


def test_importing_the_package_loads_no_http_client_and_no_pydantic():
    code = ("import sys, ddm_resources\n"
            "from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'pydantic', 'pydantic_core')"
            " or m in ('ddm_resources.client', 'ddm_resources.inputs', 'ddm_resources.input_model',"
            " 'ddm_resources.models')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


PROVIDER_PATH = """
import sys
from pulumi.dynamic import Config, ConfigureRequest
from ddm_emulator import SEED, DdmBackend, wsgi_transport
backend = DdmBackend(job_seconds=0.0)
backend.add_static_token("t", SEED.project_id)
from ddm_resources import http_options
from ddm_resources.provider import MetadataRecoveryProvider
provider = MetadataRecoveryProvider()
provider.transport = wsgi_transport(backend)  # the in-process seam: httpx's own transport is never used
provider.configure(ConfigureRequest(Config({"ddm:endpoint": "http://ddm-emulator.test", "ddm:token": "t",
                                            "ddm:projectId": SEED.project_id}, "ddm-metadata-recovery")))
checked = provider.check({}, {"resource_name": "r", "source_instance_id": SEED.source_instance_id,
                              "source": {"backup_id": SEED.backup_id},
                              "target": {"instance_id": SEED.target_instance_id,
                                         "data_nodes": [SEED.target_data_node_id]}})
assert not checked.failures, checked.failures
assert provider.create(checked.inputs).outs["status"] == "Completed"
print(sorted(m for m in sys.modules if m in ("ddm_resources.resource", "ddm_resources.restore_window",
                                             "ddm_resources.iam_models")))
print(len(backend.requests()), http_options._default_context.cache_info().misses
      + http_options._context_for.cache_info().misses,
      sorted({m.split(".")[0] for m in sys.modules} & {"openstack", "huaweicloudsdkcore", "truststore"}))
"""


def test_the_provider_path_loads_no_optional_package_and_no_ca_bundle():
    """configure, check (its preflight reads) and create of one restore, against an http:// endpoint,
    with SSL_CERT_FILE set as on many CI machines: no bundle, no optional package."""
    env = {**os.environ, "SSL_CERT_FILE": certifi.where()}
    for name in ("OS_TOKEN", "OS_AUTH_TOKEN", "OS_PROJECT_ID", "DDM_ENDPOINT", "OS_CLOUD"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-c", PROVIDER_PATH], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    requests, bundles, optional = result.stdout.strip().splitlines()[-1].split(" ", 2)
    assert int(requests) > 2  # the preflight's reads, the POST, a poll: the path ran
    assert (bundles, optional) == ("0", "[]")
    assert result.stdout.strip().splitlines()[-2] == "[]"  # no resource, restore_window, iam_models


MODEL_MODULES = ("models", "lookup_models", "input_model", "settings", "iam_models")


def _models() -> list[type[pydantic.BaseModel]]:
    for name in MODEL_MODULES:
        importlib.import_module(f"ddm_resources.{name}")
    found, todo = [], list(pydantic.BaseModel.__subclasses__())
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        if model.__module__.startswith("ddm_resources."):
            found.append(model)
    return found


def test_no_model_field_has_a_builtin_as_default_factory():
    """pydantic asks `inspect.signature` whether a default factory takes the validated data; for a
    builtin (`list`, `dict`) that parses its text signature with tokenize's regular expressions,
    compiled on first use: 19 million instructions (about 5 ms) in every provider process. A plain
    `[]` or `{}` default costs nothing, and pydantic copies it for each instance (asserted below)."""
    factories = {f"{model.__name__}.{name}": field.default_factory for model in _models()
                 for name, field in model.model_fields.items() if field.default_factory is not None}
    assert {k: f for k, f in factories.items() if not isinstance(f, types.FunctionType)} == {}
    from ddm_resources.models import JobListResponse

    first, second = JobListResponse.model_validate({}), JobListResponse.model_validate({})
    first.jobs.append(None)  # type: ignore[arg-type]
    assert second.jobs == [] and JobListResponse.model_fields["jobs"].default == []


@pytest.mark.parametrize("name", ["models", "lookup_models", "input_model", "iam_models"])
def test_the_model_modules_keep_their_annotations_real(name):
    """With `from __future__ import annotations`, pydantic evaluates each annotation string when it
    builds a model: 5 million instructions (about 1.5 ms) for these three modules."""
    module = importlib.import_module(f"ddm_resources.{name}")
    assert getattr(module, "annotations", None) is not __future__.annotations


def bundles_loaded() -> int:
    """CA bundles loaded since `forget_bundles` (certifi's default context, or a configured one)."""
    return http_options._default_context.cache_info().misses + http_options._context_for.cache_info().misses


@pytest.fixture
def forget_bundles():
    for cache in (http_options._default_context, http_options._context_for, http_options._check):
        cache.cache_clear()


@pytest.mark.parametrize("ca", [{}, {"SSL_CERT_FILE": certifi.where()}, {"OS_CACERT": certifi.where()}])
@pytest.mark.parametrize("scheme, loaded", [("http", 0), ("https", 1)])
def test_a_client_loads_a_ca_bundle_only_when_its_endpoint_is_https(emulator, forget_bundles, ca, scheme, loaded):
    """Settings resolution plus a request, as `check` does them: for a plain http:// endpoint
    with a ready token, neither certifi's bundle nor a configured one is loaded."""
    endpoint = emulator.url.replace("http://", f"{scheme}://")  # the in-process emulator answers both
    settings = resolve_settings(lambda key: None, {"OS_TOKEN": TOKEN, "OS_PROJECT_ID": PROJECT_ID,
                                                   "DDM_ENDPOINT": endpoint, **ca})
    with DdmClient(settings.endpoint, PROJECT_ID, TOKEN, http_options=settings.http) as client:
        assert client.restorable_instances(SOURCE)
    assert bundles_loaded() == loaded

"""A Pulumi program that imports ddm_resources loads neither httpx nor pydantic: the provider's
runtime modules are imported where the provider process uses them (README, "Benchmarks")."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_importing_the_package_loads_no_http_client_and_no_pydantic():
    code = ("import sys, ddm_resources\n"
            "from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'pydantic', 'pydantic_core')"
            " or m in ('ddm_resources.client', 'ddm_resources.inputs', 'ddm_resources.input_model',"
            " 'ddm_resources.models')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

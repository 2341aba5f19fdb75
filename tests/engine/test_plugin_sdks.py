"""`pulumi package get-schema` over the plugin, and SDKs generated from that schema.

`pulumi package gen-sdk --language nodejs|go|dotnet` needs those languages' hosts, which the Go
module proxy reachable here does not serve; `ddm-sdkgen` (scripts/install-pulumi builds it from
tools/pulumi-yaml/sdkgen) runs the same Pulumi code generators on the schema `get-schema` returned.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ddm_resources.plugin_schema import schema
from tests.conftest import REPO

pytestmark = pytest.mark.engine

PLUGIN = REPO / ".venv" / "bin" / "pulumi-resource-ddm"


def test_get_schema_then_typescript_go_and_csharp_sdks(pulumi_bin, pulumi_env, tmp_path):
    got = subprocess.run([pulumi_bin, "package", "get-schema", str(PLUGIN)], cwd=tmp_path, env=pulumi_env,
                         capture_output=True, text=True, timeout=120, check=True)
    served = json.loads(got.stdout)
    ours = schema(served["version"])
    assert served["resources"] == ours["resources"] and served["functions"] == ours["functions"]
    assert set(served["types"]) == set(ours["types"])

    sdkgen = Path(pulumi_bin).parent / "ddm-sdkgen"
    assert sdkgen.exists(), "scripts/install-pulumi builds ddm-sdkgen beside pulumi"
    (tmp_path / "schema.json").write_text(got.stdout)
    generated = subprocess.run([str(sdkgen), str(tmp_path / "schema.json"), str(tmp_path / "sdk")],
                               capture_output=True, text=True, timeout=300, check=False)
    assert generated.returncode == 0, generated.stderr
    sdk = tmp_path / "sdk"
    typescript = (sdk / "nodejs" / "metadataRecovery.ts").read_text()
    assert 'super(MetadataRecovery.__pulumiType, name' in typescript and "ddm:index:MetadataRecovery" in typescript
    assert "restoreTime?: pulumi.Input<number | string>" in (sdk / "nodejs" / "types" / "input.ts").read_text()
    go = (sdk / "go" / "ddm" / "metadataRecovery.go").read_text()
    assert "func NewMetadataRecovery(" in go and "JobId pulumi.StringOutput" in go
    csharp = (sdk / "dotnet" / "MetadataRecovery.cs").read_text()
    assert "public partial class MetadataRecovery : global::Pulumi.CustomResource" in csharp
    assert "GetRestoreWindow" in (sdk / "dotnet" / "GetRestoreWindow.cs").read_text()
    gofmt = shutil.which("gofmt")
    if gofmt is not None:  # the Go SDK at least parses
        assert subprocess.run([gofmt, "-l", str(sdk / "go")], capture_output=True, text=True).returncode == 0

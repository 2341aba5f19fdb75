"""`resource.MetadataRecovery` takes arguments as Pulumi's generated SDKs do (issue 10 item 2).

An Args object, keyword arguments, plain dicts (typed `...ArgsDict`), and `Output`s anywhere
inside all register the same inputs. Registration runs under Pulumi's own test mocks (the
engine is exercised by tests/engine); a user program type-checks with mypy.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pulumi
import pytest

from ddm_resources import (
    MetadataRecovery,
    MetadataRecoveryArgs,
    RestoreSourceArgs,
    RestoreTargetArgs,
    TimeoutsArgs,
)
from tests.conftest import BACKUP, DATA_NODE, REPO, SOURCE, TARGET, valid_inputs

EXPECTED = valid_inputs(timeouts={"create": "90m"})


class Recorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.inputs: list[dict] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.inputs.append(dict(args.inputs))
        return "job-" + args.name, dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def registered(declare) -> dict:
    """The inputs `declare()` registers, as Pulumi's mocks see them (outputs echo inputs)."""
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, preview=False)

    @pulumi.runtime.test
    def run():
        resource = declare()
        return resource.job_id.apply(lambda _: None)

    run()
    [inputs] = recorder.inputs
    return {k: v for k, v in inputs.items() if k in EXPECTED and v is not None}


WAYS = {
    "args": lambda: MetadataRecovery("r", MetadataRecoveryArgs(
        source_instance_id=SOURCE, source=RestoreSourceArgs(backup_id=BACKUP),
        target=RestoreTargetArgs(instance_id=TARGET, data_nodes=[DATA_NODE]), timeouts=TimeoutsArgs(create="90m"))),
    "keywords": lambda: MetadataRecovery(
        "r", source_instance_id=SOURCE, source={"backup_id": BACKUP},
        target={"instance_id": TARGET, "data_nodes": [DATA_NODE]}, timeouts={"create": "90m"}),
    "dict": lambda: MetadataRecovery("r", {
        "source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
        "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}, "timeouts": {"create": "90m"}}),
    "outputs-inside": lambda: MetadataRecovery("r", MetadataRecoveryArgs(
        source_instance_id=pulumi.Output.from_input(SOURCE),
        source=pulumi.Output.from_input(RestoreSourceArgs(backup_id=BACKUP)),
        target=pulumi.Output.from_input(RestoreTargetArgs(instance_id=TARGET, data_nodes=[DATA_NODE])),
        timeouts={"create": "90m"})),
    "custom-timeouts": lambda: MetadataRecovery(
        "r", source_instance_id=SOURCE, source={"backup_id": BACKUP},
        target={"instance_id": TARGET, "data_nodes": [DATA_NODE]},
        opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="90m"))),
}


@pytest.mark.parametrize("way", list(WAYS))
def test_every_way_of_passing_arguments_registers_the_same_inputs(way):
    assert registered(WAYS[way]) == EXPECTED


def test_args_and_keywords_together_are_refused():
    with pytest.raises(TypeError, match="not both"):
        MetadataRecovery("r", {"source_instance_id": SOURCE}, source_instance_id=SOURCE)
    with pytest.raises(TypeError, match="needs target"):
        MetadataRecovery("r", source_instance_id=SOURCE, source={"backup_id": BACKUP})


def test_help_shows_every_input_unit_and_output():
    text = MetadataRecovery.__doc__ or ""
    for word in ("source_instance_id", "backup_id", "restore_time", "milliseconds", "instance_id", "data_nodes",
                 "timeouts", "adopt_job_id", "CustomTimeouts", "job_id", "status", "created_time", "end_time",
                 "pulumi import"):
        assert word in text, word


PROGRAM = textwrap.dedent('''
    import pulumi
    from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs

    target: pulumi.Output[RestoreTargetArgs] = pulumi.Output.from_input(
        RestoreTargetArgs(instance_id="t", data_nodes=["n"]))
    a = MetadataRecovery("a", MetadataRecoveryArgs(
        source_instance_id="s", source=RestoreSourceArgs(backup_id="b"), target=target))
    b = MetadataRecovery("b", source_instance_id="s", source={"restore_time": 1716180000000},
                         target={"instance_id": "t", "data_nodes": ["n"]}, timeouts={"create": "2h"})
    c = MetadataRecovery("c", {"source_instance_id": "s", "source": {"backup_id": "b"},
                               "target": {"instance_id": "t", "data_nodes": ["n"]}})
    job_id: pulumi.Output[str] = a.job_id
    pulumi.export("job", job_id.apply(lambda text: text.upper()))
''')


BAD_PROGRAM = PROGRAM.replace('"data_nodes": ["n"]}, timeouts', '"data_nodes": 5}, timeouts')


@pytest.mark.parametrize("program, ok", [(PROGRAM, True), (BAD_PROGRAM, False)], ids=["good", "bad-type"])
def test_a_user_program_type_checks_with_mypy(tmp_path, program, ok):
    (tmp_path / "__main__.py").write_text(program)
    # errors inside ddm_resources are not the user's: mypy silences them for an installed package,
    # and --follow-imports=silent does the same for the checkout (its own check is `mypy` in scripts/test)
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent",
                             "--python-version", "3.11", str(tmp_path / "__main__.py")],
                            capture_output=True, text=True, cwd=REPO, timeout=300)
    assert (result.returncode == 0) is ok, result.stdout[-2000:]

"""DR runner: restore the metadata of several DDM instances in one command (Pulumi Automation API).

    python runner.py plan.json [--stack dr] [--destroy]

`plan.json` lists the restores: `{"restores": [{"name", "source_instance_id", "backup_id" or
"restore_time", "target_instance_id", "data_nodes"}, ...]}` (see plan.example.json). The
restores run in parallel; progress lines stream as they come; the exit status is 0 when every
restore completed, 1 when one failed (its job ID and the service's reason are printed last),
2 when the plan is invalid. Credentials come from the environment (`OS_*`, `DDM_ENDPOINT`),
the backend from `PULUMI_BACKEND_URL` (with `PULUMI_CONFIG_PASSPHRASE` for a self-managed one).

The program is inline, so no Pulumi.yaml is needed; but the dynamic provider still runs in a
process of its own, started with `python3` from `PATH`: run this script with the virtualenv
that has ddm-resources activated (or its `bin/` first on `PATH`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import pulumi
from pulumi import automation as auto

from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs

PROJECT = "ddm-dr-runner"
REQUIRED = ("name", "source_instance_id", "target_instance_id", "data_nodes")


class PlanError(Exception):
    """The plan file cannot be used; the message says why."""


def load_plan(path: Path) -> list[dict[str, Any]]:
    """The restores of the plan file, each checked for the required keys."""
    try:
        restores = json.loads(path.read_text())["restores"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PlanError(f"{path}: not a plan file with a 'restores' list ({type(exc).__name__})") from None
    if not isinstance(restores, list) or not restores:
        raise PlanError(f"{path}: 'restores' must be a non-empty list")
    for index, item in enumerate(restores):
        missing = [key for key in REQUIRED if not (isinstance(item, dict) and item.get(key))]
        if isinstance(item, dict) and not (item.get("backup_id") or item.get("restore_time")):
            missing.append("backup_id or restore_time")
        if missing:
            raise PlanError(f"{path}: restore #{index + 1} lacks {', '.join(missing)}")
    names = [item["name"] for item in restores]
    if len(set(names)) != len(names):
        raise PlanError(f"{path}: restore names must be unique")
    return restores


def program(restores: list[dict[str, Any]]) -> auto.PulumiFn:
    def run() -> None:
        for item in restores:
            recovery = MetadataRecovery(item["name"], MetadataRecoveryArgs(
                source_instance_id=item["source_instance_id"],
                source=RestoreSourceArgs(backup_id=item.get("backup_id"), restore_time=item.get("restore_time")),
                target=RestoreTargetArgs(instance_id=item["target_instance_id"], data_nodes=item["data_nodes"]),
            ))
            pulumi.export(f"{item['name']}_job_id", recovery.job_id)
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path)
    parser.add_argument("--stack", default="dr")
    parser.add_argument("--destroy", action="store_true", help="forget the restores (no API call)")
    args = parser.parse_args(argv)
    try:
        restores = load_plan(args.plan)
    except PlanError as exc:
        print(f"dr-runner: {exc}", file=sys.stderr)
        return 2

    stack = auto.create_or_select_stack(stack_name=args.stack, project_name=PROJECT, program=program(restores))
    errors: list[str] = []

    def on_event(event: auto.EngineEvent) -> None:
        diagnostic = event.diagnostic_event
        if diagnostic is not None and diagnostic.severity == "error" and "failed" in diagnostic.message:
            # the provider's error is the last line (Pulumi may print a traceback before it)
            lines = [line.strip() for line in diagnostic.message.splitlines() if line.strip()]
            errors.append(re.sub(r"^[\w.]*(Error|Exception): ", "", lines[-1]))

    try:
        if args.destroy:
            stack.destroy(on_output=print, color="never")
            return 0
        result = stack.up(on_output=print, on_event=on_event, color="never")
    except auto.CommandError:
        failed = [e for e in errors if "DDM job" in e] or errors or ["pulumi up failed (see the output above)"]
        print(f"dr-runner: {len(failed)} restore(s) failed:", file=sys.stderr)
        for line in dict.fromkeys(failed):
            print(f"  {line}", file=sys.stderr)
        return 1
    for name, output in sorted(result.outputs.items()):
        print(f"dr-runner: {name} = {output.value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""DR runner: restore the metadata of several DDM instances in one command (Pulumi Automation API).

    python runner.py plan.json [--stack dr] [--parallel 10] [--create-timeout 60m]
                               [--report dr-report.json] [--destroy]

`plan.json` lists the restores: `{"restores": [{"name", "source_instance_id", "backup_id" or
"restore_time", "target_instance_id", "data_nodes", optional "create_timeout"}, ...]}` (see
plan.example.json). Every valid entry is restored, at most `--parallel` at once, each with its
own deadline (`create_timeout`, else `--create-timeout`). An invalid entry is reported and
skipped; an entry whose inputs the provider refuses (a `pulumi preview` checks them first) is
reported and left out; a failed restore does not stop the others (the update continues on error).
Progress lines stream as they come. At the end a table gives each entry's outcome (completed,
failed, refused, invalid, not run), job ID and reason, and `--report` writes the same as JSON for
the audit trail. Exit status: 0 when every entry completed, 1 when any did not, 2 when the plan
file itself cannot be used.

Credentials come from the environment (`OS_*`, `DDM_ENDPOINT`), the backend from
`PULUMI_BACKEND_URL` (with `PULUMI_CONFIG_PASSPHRASE` for a self-managed one). The program is
inline, so no Pulumi.yaml is needed; but the dynamic provider still runs in a process of its
own, started with `python3` from `PATH`: run this script with the virtualenv that has
ddm-resources activated (or its `bin/` first on `PATH`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pulumi
from pulumi import automation as auto

from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs, TimeoutsArgs

PROJECT = "ddm-dr-runner"
RESOURCE_TYPE = "pulumi-python:dynamic/ddm:MetadataRecovery"
REQUIRED = ("name", "source_instance_id", "target_instance_id", "data_nodes")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


class PlanError(Exception):
    """The plan file as a whole cannot be used; the message says why."""


@dataclass
class Outcome:
    """What became of one plan entry; one row of the table and of the JSON report."""

    name: str
    outcome: str = "not run"  # completed, failed (by the job or the update), refused (by the check), invalid
    target_instance_id: str | None = None
    job_id: str | None = None
    status: str | None = None
    detail: str = ""


def load_plan(path: Path) -> tuple[list[dict[str, Any]], list[Outcome]]:
    """The valid entries of the plan file, and an `invalid` outcome for each other one."""
    try:
        restores = json.loads(path.read_text())["restores"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PlanError(f"{path}: not a plan file with a 'restores' list ({type(exc).__name__})") from None
    if not isinstance(restores, list) or not restores:
        raise PlanError(f"{path}: 'restores' must be a non-empty list")
    names = [item.get("name") for item in restores if isinstance(item, dict)]
    valid: list[dict[str, Any]] = []
    invalid: list[Outcome] = []
    for index, item in enumerate(restores):
        label = item.get("name") if isinstance(item, dict) and isinstance(item.get("name"), str) else None
        problem = entry_problem(item, names)
        if problem:
            invalid.append(Outcome(label or f"#{index + 1}", "invalid",
                                   item.get("target_instance_id") if isinstance(item, dict) else None,
                                   detail=f"restore #{index + 1} {problem}"))
        else:
            valid.append(item)
    return valid, invalid


def entry_problem(item: Any, names: list[Any]) -> str | None:
    """Why one plan entry cannot be run, or None."""
    if not isinstance(item, dict):
        return "is not an object"
    missing = [key for key in REQUIRED if not item.get(key)]
    if not (item.get("backup_id") or item.get("restore_time")):
        missing.append("backup_id or restore_time")
    if missing:
        return f"lacks {', '.join(missing)}"
    if item.get("backup_id") and item.get("restore_time"):
        return "has both backup_id and restore_time: keep one"
    if not isinstance(item["name"], str) or not NAME.fullmatch(item["name"]):
        return "has a name that is not 1-63 letters, digits, '_', '.' or '-'"
    if names.count(item["name"]) > 1:
        return f"repeats the name {item['name']!r}: names must be unique"
    if not isinstance(item["data_nodes"], list) or not all(isinstance(n, str) for n in item["data_nodes"]):
        return "has data_nodes that is not a list of RDS instance IDs"
    return None


def urn(stack: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{RESOURCE_TYPE}::{name}"


def program(restores: list[dict[str, Any]], create_timeout: str) -> auto.PulumiFn:
    def run() -> None:
        for item in restores:
            recovery = MetadataRecovery(item["name"], MetadataRecoveryArgs(
                source_instance_id=item["source_instance_id"],
                source=RestoreSourceArgs(backup_id=item.get("backup_id"), restore_time=item.get("restore_time")),
                target=RestoreTargetArgs(instance_id=item["target_instance_id"], data_nodes=item["data_nodes"]),
                timeouts=TimeoutsArgs(create=item.get("create_timeout") or create_timeout),
            ))
            pulumi.export(f"{item['name']}_job_id", recovery.job_id)
    return run


def last_line(message: str) -> str:
    """The provider's error is the last line (Pulumi may print a traceback before it)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return re.sub(r"^[\w.]*(Error|Exception): ", "", lines[-1]) if lines else message.strip()


class Recorder:
    """Each entry's outcome, from the engine's events (keyed by the resource's name, the URN's end)."""

    def __init__(self, restores: list[dict[str, Any]]) -> None:
        self.rows = {item["name"]: Outcome(item["name"], target_instance_id=item["target_instance_id"])
                     for item in restores}
        self.general: list[str] = []  # errors that belong to no entry

    def __call__(self, event: auto.EngineEvent) -> None:
        if event.res_outputs_event is not None:
            step = event.res_outputs_event.metadata
            row = self.rows.get(step.urn.split("::")[-1]) if step.type == RESOURCE_TYPE else None
            if row is not None and step.new is not None:
                outputs = step.new.outputs or {}
                row.outcome, row.job_id, row.status = "completed", outputs.get("job_id"), outputs.get("status")
                row.detail = "recorded by an earlier run" if step.op == "same" else ""
        elif event.res_op_failed_event is not None:
            row = self.rows.get(event.res_op_failed_event.metadata.urn.split("::")[-1])
            if row is not None:
                row.outcome = "failed"
        elif event.diagnostic_event is not None and event.diagnostic_event.severity == "error":
            diagnostic = event.diagnostic_event
            row = self.rows.get((diagnostic.urn or "").split("::")[-1]) if RESOURCE_TYPE in (diagnostic.urn or "") \
                else None
            if row is not None:
                row.outcome, row.detail = "failed", last_line(diagnostic.message)
                job = re.search(r"\bjob ([0-9a-fA-F]{32}) ended (\w+)", row.detail)
                if job:
                    row.job_id, row.status = row.job_id or job.group(1), job.group(2)
            else:
                self.general.append(last_line(diagnostic.message))


def brief(row: Outcome, limit: int = 100) -> str:
    """The reason's first sentence, without what the other columns say (the JSON report has it whole)."""
    text = re.sub(r"^.*? has a problem: ", "", row.detail)  # Pulumi's wrapper around a refused input
    text = re.sub(rf"^{re.escape(row.name)}: metadata recovery onto target instance \S+ failed: ", "", text)
    text = re.split(r"(?<=[.)]) (?=[A-Z])", text, maxsplit=1)[0]
    return text if len(text) <= limit else text[:limit - 3] + "..."


def print_table(rows: list[Outcome]) -> None:
    headers = ("restore", "outcome", "target", "job_id", "reason")
    cells = [(r.name, r.outcome, r.target_instance_id or "-", r.job_id or "-", brief(r)) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers[:-1])]
    for line in (headers, *cells):
        print("dr-runner: " + "  ".join(v.ljust(w) for v, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("plan", type=Path)
    parser.add_argument("--stack", default="dr")
    parser.add_argument("--parallel", type=int, default=10, help="restores at once (default 10)")
    parser.add_argument("--create-timeout", default="60m",
                        help="deadline of each restore without its own create_timeout (default 60m)")
    parser.add_argument("--report", type=Path, default=Path("dr-report.json"),
                        help="where to write the outcomes as JSON (default dr-report.json)")
    parser.add_argument("--destroy", action="store_true", help="forget the restores (no API call)")
    args = parser.parse_args(argv)
    if args.parallel < 1:
        parser.error("--parallel must be at least 1")
    try:
        restores, invalid = load_plan(args.plan)
    except PlanError as exc:
        print(f"dr-runner: {exc}", file=sys.stderr)
        return 2

    stack = auto.create_or_select_stack(stack_name=args.stack, project_name=PROJECT,
                                        program=program(restores, args.create_timeout))
    if args.destroy:
        stack.destroy(on_output=print, color="never")
        return 0
    started = datetime.now(timezone.utc)
    recorder = Recorder(restores)
    runnable = list(restores)
    # Pulumi ends a whole update at the first input a check refuses (continue-on-error covers failed
    # restores, not refused inputs), so a preview finds the refused entries first and the update
    # declares and targets only the others. Targeting also keeps in the state a restore that an
    # earlier run recorded for an entry that is invalid or refused now, instead of forgetting it.
    while runnable:
        print(f"dr-runner: checking {len(runnable)} restore(s) (pulumi preview)")
        checked = Recorder(runnable)
        try:
            stack.preview(program=program(runnable, args.create_timeout), on_event=checked, color="never",
                          parallel=args.parallel, target=[urn(args.stack, item["name"]) for item in runnable])
            break
        except auto.CommandError:
            refused = {row.name: row for row in checked.rows.values() if row.outcome == "failed"}
            if not refused:
                break  # an error of no entry: the update reports it
            for name, row in refused.items():
                recorder.rows[name].outcome, recorder.rows[name].detail = "refused", row.detail
            runnable = [item for item in runnable if item["name"] not in refused]
    if runnable:
        try:
            stack.up(program=program(runnable, args.create_timeout), on_output=print, on_event=recorder,
                     color="never", parallel=args.parallel, continue_on_error=True,
                     target=[urn(args.stack, item["name"]) for item in runnable])
        except auto.CommandError:
            pass  # each entry's outcome is in the recorder; errors of no entry are reported below
    rows = [*recorder.rows.values(), *invalid]
    for row in rows:
        if row.outcome == "not run" and recorder.general:
            row.detail = recorder.general[-1]
    print_table(rows)
    failed = [r for r in rows if r.outcome != "completed"]
    report = {"stack": args.stack, "started": started.isoformat(), "finished": datetime.now(timezone.utc).isoformat(),
              "restores": [asdict(r) for r in rows], "errors": recorder.general, "exit_status": 1 if failed else 0}
    args.report.write_text(json.dumps(report, indent=2) + "\n")
    print(f"dr-runner: {len(rows) - len(failed)} of {len(rows)} restores completed; report in {args.report}")
    for row in failed:
        print(f"dr-runner: {row.name} {row.outcome}: {row.detail or 'see the output above'}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

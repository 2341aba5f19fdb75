"""
Run the DDM API emulator from the command line.

    ddm-emulator [--host 127.0.0.1] ...     (the console script of `pip install 'ddm-resources[emulator]'`)
    python -m ddm_emulator [--host 127.0.0.1] [--port 0] [--token TOKEN ...]
        [--inventory FILE] [--access-key AK:SK ...]
        [--url-file PATH] [--verbose] [--<setting> VALUE ...]

Every field of `EmulatorSettings` is an option (`job_seconds` is
`--job-seconds`, a true/false setting is `--name` / `--no-name`), with the
field's help text and choices; an option not given leaves the setting as the
inventory's `settings` (or the default) has it.

Prints one line with the URL and the demo credentials once listening, writes the
bare URL to `--url-file` (so scripts can wait for it; removed again on exit),
and serves until SIGINT or SIGTERM, then exits 0. `--token` accepts a static
token for the demo project (e.g. the demo's `OS_TOKEN`); tokens are never echoed.
`--inventory` starts from an inventory file (YAML or JSON, `inventory.py`)
instead of the documented example; `--access-key` accepts an AK/SK pair for
signed requests to any project (the secret key is never echoed).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TextIO

from .backend import DdmBackend
from .inventory import load_inventory
from .inventory_apply import inventory_seed
from .seed import DEMO_DOMAIN_NAME, DEMO_PASSWORD, DEMO_PROJECT_ID, DEMO_USER_NAME, seed_documented_example
from .server import EmulatorServer
from .settings import EmulatorSettings, setting_fields

__all__ = ["build_parser", "main", "script", "settings_from"]


def build_parser(prog: str = "python -m ddm_emulator") -> argparse.ArgumentParser:
    """The command-line interface; `prog` is the command name its help and errors show."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Local emulator of the Open Telekom Cloud DDM API (metadata restore), for tests and demos on this "
            "machine only: its admin API (/_emulator/) has no authentication, so keep the default loopback --host."
        ),
        epilog=(
            "Faults are data, added while it runs: POST /_emulator/faults with a JSON rule such as "
            '{"method": "POST", "path_regex": "metadata-recovery", "action": "respond", "status": 429, "times": 1}; '
            "actions: respond (status, body, headers), delay (seconds), drop (close the connection), "
            "lose_response (process, then close without answering), replace_response (process, then answer "
            "status/body), add_headers (process, answer as usual with headers added); every=K fires on every "
            "K-th match, times=N stops after N. GET /_emulator/requests "
            "shows what arrived, POST /_emulator/reset returns to the seed (the --inventory file, if given). "
            "An inventory (see the emulator manual in docs/) describes instances, data nodes, schemas, backups, "
            "access keys, settings and faults as data; GET /_emulator/inventory shows the current one."
        ),
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to bind (default 127.0.0.1); any other than loopback exposes the unauthenticated "
        "admin API to the network, and a warning says so",
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 (default) = any free one")
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN",
        help="accept TOKEN as a static token for the demo project (repeatable)",
    )
    parser.add_argument(
        "--inventory",
        type=Path,
        metavar="FILE",
        help="start from this inventory (YAML, or JSON for a .json file): instances, data nodes, schemas, "
        "backups, projects, access keys, settings, faults; instead of the documented example unless it sets "
        "documented_example; options given here win over its settings",
    )
    parser.add_argument(
        "--access-key",
        action="append",
        default=[],
        type=_access_key,
        metavar="AK:SK",
        help="accept requests signed with this access key / secret key pair, for every project (repeatable)",
    )
    parser.add_argument("--url-file", type=Path, help="write the bare URL here once listening")
    parser.add_argument("--verbose", action="store_true",
                        help="log every request to stderr (in colour only on a terminal, and not with NO_COLOR)")
    group = parser.add_argument_group(
        "settings", "what the emulated service does (also settable over POST /_emulator/config)"
    )
    for spec in setting_fields():  # default None: only the options given change the settings
        option = "--" + spec.name.replace("_", "-")
        text = spec.metadata["help"].replace("%", "%%") + f" (default {spec.default!s})"
        if isinstance(spec.default, bool):
            group.add_argument(option, action=argparse.BooleanOptionalAction, default=None, help=text)
        else:
            kind = type(spec.default)
            choices = spec.metadata["choices"] or None
            group.add_argument(option, type=kind, default=None, choices=choices, help=text)
    return parser


def _access_key(text: str) -> tuple[str, str]:
    """`AK:SK` split at the first colon; the error never repeats the text (it holds a secret)."""
    access_key, _, secret_key = text.partition(":")
    if not access_key or not secret_key:
        raise argparse.ArgumentTypeError("expected ACCESS_KEY:SECRET_KEY, both non-empty")
    return access_key, secret_key


def settings_from(args: argparse.Namespace, base: EmulatorSettings | None = None) -> EmulatorSettings:
    """`base` (the defaults, or an inventory's `settings`) with the settings named on the command line;
    `ValueError` on a bad value."""
    given = {spec.name: getattr(args, spec.name) for spec in setting_fields()}
    return (base or EmulatorSettings()).replace(**{name: value for name, value in given.items() if value is not None})


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _wants_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never with `NO_COLOR` set (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and stream.isatty()


class _LogFormatter(logging.Formatter):
    """`time logger message`; access lines in werkzeug's colours (by status) when `colour`."""

    def __init__(self, *, colour: bool) -> None:
        super().__init__("%(asctime)s %(name)s %(message)s")
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        styled = getattr(record, "styled", None)
        if self.colour and isinstance(styled, str):
            record = logging.makeLogRecord({**record.__dict__, "msg": styled, "args": ()})
        return super().format(record)


def _summary(backend: DdmBackend) -> str:
    with backend.state():
        counts = (len(backend.instances), len(backend.data_nodes), len(backend.backups),
                  sum(len(i.schemas) for i in backend.instances.values()))
    return "{} DDM instances, {} data nodes, {} backups, {} schemas".format(*counts)


def main(argv: list[str] | None = None, *, prog: str = "python -m ddm_emulator") -> int:
    """Serve until SIGINT/SIGTERM; return the exit status."""
    args = build_parser(prog).parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormatter(colour=_wants_colour(sys.stderr)))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, handlers=[handler])
    try:
        inventory = load_inventory(args.inventory) if args.inventory is not None else None
        seed = inventory_seed(inventory, str(args.inventory)) if inventory is not None else seed_documented_example
        base = inventory.emulator_settings() if inventory is not None else None
        backend = DdmBackend(settings_from(args, base), seed=seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for token in args.token:
        backend.add_static_token(token, DEMO_PROJECT_ID)
    for access_key, secret_key in args.access_key:
        backend.add_access_key(access_key, secret_key, None)

    stop = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    server = EmulatorServer(backend, host=args.host, port=args.port)
    try:
        server.start()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not server.local_only:
        print(
            f"warning: listening on {server.bound_host}, reachable from other machines; the emulator has no "
            "authentication and is meant for local use only (use --host 127.0.0.1)",
            file=sys.stderr,
            flush=True,
        )
    try:
        if args.url_file is not None:  # before the line, so both are ready when either is
            _write_atomically(args.url_file, server.url + "\n")
        print(
            f"DDM API emulator listening on {server.url} (project_id {DEMO_PROJECT_ID}, "
            f"IAM user {DEMO_USER_NAME}/{DEMO_PASSWORD}, domain {DEMO_DOMAIN_NAME}, "
            f"OS_AUTH_URL {server.url}/v3)",
            flush=True,
        )
        if args.inventory is not None:
            print(f"inventory {args.inventory}: {_summary(backend)}; GET {server.url}/_emulator/inventory lists "
                  "everything with its id", flush=True)
        if args.access_key:
            names = ", ".join(access_key for access_key, _ in args.access_key)
            print(f"access keys for signed requests: {names}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        if args.url_file is not None:
            args.url_file.unlink(missing_ok=True)
    return 0


def script() -> int:
    """The `ddm-emulator` console script (pyproject.toml `[project.scripts]`): `main` under that name."""
    return main(prog="ddm-emulator")


if __name__ == "__main__":
    sys.exit(main())

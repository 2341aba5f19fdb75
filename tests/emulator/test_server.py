"""The threaded server's lifecycle and the `python -m ddm_emulator` command.

Local use only (issue 8 item 10): said in --help, a warning on a non-loopback bind with the real
bound URL."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ddm_emulator import DEMO_PROJECT_ID, EmulatorServer

from .conftest import SSL_CONTEXT

REPO = Path(__file__).resolve().parents[2]


LINE = re.compile(
    r"DDM API emulator listening on (http://127\.0\.0\.1:(\d+)) \(project_id ([0-9a-f]{32}), "
    r"IAM user demo/demo-password, domain demo-domain, OS_AUTH_URL \1/v3\)"
)


def test_server_binds_a_free_port_and_releases_it_on_stop():
    server = EmulatorServer().start()
    port = server.port
    assert server.url == f"http://127.0.0.1:{port}"
    with httpx.Client(verify=SSL_CONTEXT) as http:
        assert http.get(f"{server.url}/_emulator/seed").status_code == 200

    server.stop()
    server.stop()  # twice is fine

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # the port is free again
    with pytest.raises(RuntimeError):
        _ = server.url


def test_server_on_a_busy_port_raises_oserror():
    with EmulatorServer() as first:
        with pytest.raises(OSError):
            EmulatorServer(port=first.port).start()


def test_cli_prints_the_line_serves_and_exits_cleanly_on_sigterm(tmp_path):
    url_file = tmp_path / "url"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "ddm_emulator", "--port", "0", "--job-seconds", "1",
         "--token", "cli-static-token", "--url-file", str(url_file)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        match = LINE.fullmatch(line)
        assert match, line
        url, _port, project_id = match.groups()
        assert project_id == DEMO_PROJECT_ID
        assert url_file.read_text().strip() == url
        with httpx.Client(base_url=url, timeout=5, verify=SSL_CONTEXT) as http:
            headers = {"X-Auth-Token": "cli-static-token", "Content-Type": "application/json"}
            assert http.get(f"/v3/{project_id}/backups", headers=headers).status_code == 200
            assert http.get("/_emulator/config").json()["job_seconds"] == 1

        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, stderr
    assert "cli-static-token" not in line + stdout + stderr
    assert not url_file.exists()


def test_cli_help_lists_every_setting_with_its_choices():
    import dataclasses

    from ddm_emulator import EmulatorSettings

    help_text = subprocess.run(
        [sys.executable, "-m", "ddm_emulator", "--help"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(help_text.split())
    for spec in dataclasses.fields(EmulatorSettings):
        option = "--" + spec.name.replace("_", "-")
        assert option in help_text, option
        for choice in spec.metadata["choices"]:
            assert choice in flat, (option, choice)


def test_cli_settings_reach_the_backend():
    from ddm_emulator.__main__ import build_parser, settings_from

    args = build_parser().parse_args(
        ["--job-bound-to", "source", "--no-require-content-type", "--repost-while-running", "202 same job"]
    )
    settings = settings_from(args)

    assert (settings.job_bound_to, settings.require_content_type) == ("source", False)
    assert settings.repost_while_running == "202 same job"


def _verbose_log(stderr_fd: int, read_back, extra_env: dict[str, str]) -> str:
    """Run `python -m ddm_emulator --verbose` with stderr on `stderr_fd`, ask one found and one
    missing path, stop it, and return what `read_back()` finds on its stderr."""
    env = {**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, "PYTHONPATH": str(REPO), **extra_env}
    process = subprocess.Popen([sys.executable, "-m", "ddm_emulator", "--port", "0", "--verbose"], cwd=REPO,
                               env=env, stdout=subprocess.PIPE, stderr=stderr_fd, text=True)
    try:
        match = LINE.fullmatch(process.stdout.readline().strip())
        assert match
        with httpx.Client(base_url=match.group(1), timeout=5, verify=SSL_CONTEXT) as http:
            assert http.get("/_emulator/seed").status_code == 200
            assert http.get("/no-such-path").status_code == 404
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return read_back()


@pytest.mark.parametrize("no_color", [False, True])
@pytest.mark.parametrize("sink", ["file", "pipe"])
def test_verbose_log_to_a_file_or_pipe_has_no_colour_codes(tmp_path, sink, no_color):
    extra = {"NO_COLOR": "1"} if no_color else {}
    if sink == "file":
        log_file = tmp_path / "emulator.log"
        with log_file.open("w") as out:
            text = _verbose_log(out.fileno(), log_file.read_text, extra)
    else:
        read_end, write_end = os.pipe()
        with os.fdopen(read_end) as pipe:
            text = _verbose_log(write_end, lambda: (os.close(write_end), pipe.read())[1], extra)
    assert '"GET /no-such-path HTTP/1.1" 404' in text and '"GET /_emulator/seed HTTP/1.1" 200' in text
    assert "\x1b" not in text


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("no_color, coloured", [(False, True), (True, False)])
def test_verbose_log_on_a_terminal_is_coloured_unless_no_color(no_color, coloured):
    import select

    main, terminal = os.openpty()
    chunks: list[bytes] = []

    def read_back() -> str:
        while select.select([main], [], [], 0.5)[0]:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal's other end closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode()

    try:
        text = _verbose_log(terminal, read_back, {"NO_COLOR": "1"} if no_color else {})
    finally:
        os.close(terminal)
        os.close(main)
    assert "GET /no-such-path HTTP/1.1" in text and " 404 " in text
    assert ("\x1b[33mGET /no-such-path HTTP/1.1\x1b[0m" in text) is coloured
    assert ("\x1b" in text) is coloured


# local use only: --help and the bind address (issue 8 item 10) -------------------------------------------------


def test_help_says_local_use_only():
    help_text = subprocess.run(
        [sys.executable, "-m", "ddm_emulator", "--help"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(help_text.split())
    assert "this machine only" in flat and "no authentication" in flat


def test_a_non_loopback_bind_warns_and_prints_the_bound_url(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "ddm_emulator", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("DDM API emulator listening on http://0.0.0.0:"), line
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert "warning: listening on 0.0.0.0" in stderr and "local use only" in stderr


def test_a_loopback_server_is_local_only_and_says_its_address():
    with EmulatorServer() as server:
        assert server.local_only
        assert server.url.startswith("http://127.0.0.1:")

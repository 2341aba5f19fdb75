"""What a job reports while it runs: progress curves (issue 9 item 4) and status values in
other spellings, the job-list-only states, unknown values, a missing or null status (issue 7
item 4), all over a real socket. A job's times take the documented shape, or the one
`job_time_format` sets (`restore_jobs.py`)."""

from __future__ import annotations

import pytest

from ddm_emulator import DdmBackend, ManualClock
from ddm_emulator.models import PROGRESS_CURVES, progress_percent

from .conftest import JOB_SECONDS, PROJECT, RECOVERY, doc_body

JOBS = f"/v3/{PROJECT}/jobs"


FRACTIONS = (0.0, 0.1, 0.3, 0.5, 0.79, 0.81, 0.99)


def start(client, auth) -> str:
    return client.post(RECOVERY, json=doc_body(), headers=auth).json()["job_id"]


def processes(client, auth, clock: ManualClock, job_id: str) -> list[str]:
    """`process` at each of FRACTIONS of the job's time."""
    seen, done = [], 0.0
    for fraction in FRACTIONS:
        clock.advance(JOB_SECONDS * fraction - done)
        done = JOB_SECONDS * fraction
        seen.append(client.get(f"{JOBS}/{job_id}", headers=auth).json()["job"]["process"])
    return seen


@pytest.mark.parametrize(
    ("curve", "expected"),
    [
        ("linear", ["0%", "10%", "30%", "50%", "79%", "81%", "99%"]),
        ("linear-from-5", ["5%", "14%", "33%", "52%", "80%", "81%", "99%"]),
        ("stepwise", ["0%", "0%", "25%", "50%", "75%", "75%", "75%"]),
        ("stalled-then-jump", ["5%", "5%", "5%", "5%", "5%", "95%", "95%"]),
    ],
)
def test_progress_curve_as_the_default_setting(client, auth, clock, curve, expected):
    client.post("/_emulator/config", json={"progress_curve": curve})

    assert processes(client, auth, clock, start(client, auth)) == expected


def test_progress_curve_per_job_over_the_admin_api(client, auth, clock):
    job_id = start(client, auth)

    response = client.post(f"/_emulator/jobs/{job_id}/progress", json={"curve": "stalled-then-jump"})

    assert response.status_code == 200 and response.json()["job"]["progress_curve"] == "stalled-then-jump"
    assert processes(client, auth, clock, job_id)[:2] == ["5%", "5%"]


def test_a_job_keeps_the_curve_it_started_with(client, auth, clock, backend: DdmBackend):
    job_id = start(client, auth)
    backend.configure(progress_curve="stepwise")

    assert processes(client, auth, clock, job_id)[1] == "10%"


def test_progress_ends_empty_and_bad_curves_are_refused(client, auth, clock):
    job_id = start(client, auth)
    assert client.post(f"/_emulator/jobs/{job_id}/progress", json={"curve": "sideways"}).status_code == 400
    assert client.post("/_emulator/jobs/nope/progress", json={"curve": "linear"}).status_code == 404
    clock.advance(JOB_SECONDS)

    assert client.get(f"{JOBS}/{job_id}", headers=auth).json()["job"]["process"] == ""


@pytest.mark.parametrize("curve", PROGRESS_CURVES)
def test_every_curve_never_goes_backwards_and_stays_below_100(curve):
    values = [progress_percent(curve, i / 100) for i in range(101)]
    assert values == sorted(values) and max(values) <= 99 and min(values) >= 0


def listed_status(client, auth, clock) -> object:
    now = int(clock() * 1000)
    (item,) = client.get(JOBS, params={"start_time": now - 86_400_000, "end_time": now}, headers=auth).json()["jobs"]
    return item.get("status", "<missing>")


def single_status(client, auth, job_id) -> object:
    return client.get(f"{JOBS}/{job_id}", headers=auth).json()["job"].get("status", "<missing>")


@pytest.mark.parametrize("state", ["Rollbacking", "RollbackSuccess", "Expanding", "Canceling", "ToBeSwitched"])
def test_job_list_only_states(client, auth, clock, state):
    job_id = start(client, auth)

    client.post(f"/_emulator/jobs/{job_id}/status", json={"status": state, "list_only": True})

    assert listed_status(client, auth, clock) == state
    assert single_status(client, auth, job_id) == "Running"


@pytest.mark.parametrize("value", ["Paused", "completed", "FAILED", ""])
def test_any_status_value_can_be_forced_in_both_views(client, auth, clock, value):
    job_id = start(client, auth)

    client.post(f"/_emulator/jobs/{job_id}/status", json={"status": value})

    assert single_status(client, auth, job_id) == value
    assert listed_status(client, auth, clock) == value


@pytest.mark.parametrize(("field", "expected"), [("missing", "<missing>"), ("null", None)])
def test_status_missing_or_null(client, auth, clock, field, expected):
    job_id = start(client, auth)

    response = client.post(f"/_emulator/jobs/{job_id}/status", json={"status": None, "field": field})

    assert response.status_code == 200
    assert single_status(client, auth, job_id) == expected
    assert listed_status(client, auth, clock) == expected
    clock.advance(JOB_SECONDS)
    assert single_status(client, auth, job_id) == expected
    client.post(f"/_emulator/jobs/{job_id}/status", json={"status": None})
    assert single_status(client, auth, job_id) == "Completed"


def test_bad_status_overrides_are_400(client, auth):
    job_id = start(client, auth)
    for body in ({"status": 5}, {"status": "x", "field": "gone"}, {"status": "x", "list_only": "yes"}):
        assert client.post(f"/_emulator/jobs/{job_id}/status", json=body).status_code == 400, body


# the documented time shape (issue 12) --------------------------------------------------------------------------


def test_jobs_take_the_documented_time_shape_and_the_job_time_format_setting(client, auth, backend):
    job_id = client.post(RECOVERY, json=doc_body(), headers=auth).json()["job_id"]
    shapes = {}
    for style in ("+0000", "+0100", "Z"):
        backend.configure(job_time_format=style)
        shapes[style] = client.get(f"{JOBS}/{job_id}", headers=auth).json()["job"]["created_time"]

    assert shapes["+0000"].endswith("+0000") and shapes["Z"].endswith("Z") and shapes["+0100"].endswith("+0100")
    assert shapes["+0000"][:19] == shapes["Z"][:19] != shapes["+0100"][:19]

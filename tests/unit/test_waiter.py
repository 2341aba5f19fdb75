"""The job waiter, driven by a fake clock: no test sleeps for real."""

from __future__ import annotations

import pytest

from ddm_resources.errors import (
    AuthenticationError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    ThrottledError,
    TransportError,
    UnreadableAnswerError,
)
from ddm_resources.job_status import job_outcome
from ddm_resources.models import Job, JobResponse
from ddm_resources.poll_plan import Observation, completion_window
from ddm_resources.waiter import PollSchedule, Progress, wait_for_job


class FakeClock:
    """A clock that only moves when the waiter sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def scripted(*statuses: tuple[str, str]):
    """A get_job that returns the given (status, process) pairs, then repeats the last."""
    calls: list[str] = []

    def get_job(job_id: str) -> Job:
        status, process = statuses[min(len(calls), len(statuses) - 1)]
        calls.append(job_id)
        return Job(id=job_id, status=status, process=process, created_time="2026-11-29T09:00:00Z")

    return get_job, calls


def test_wait_returns_completed_job_and_reports_each_change():
    clock = FakeClock()
    get_job, calls = scripted(("Running", "10%"), ("Running", "10%"), ("Running", "60%"), ("Completed", ""))
    reports: list[Progress] = []
    job = wait_for_job(get_job, "j1", timeout=600, on_progress=reports.append, clock=clock, sleep=clock.sleep)
    assert job.status == "Completed"
    assert calls == ["j1"] * 4
    assert [(r.job.status, r.job.process) for r in reports] == [
        ("Running", "10%"), ("Running", "60%"), ("Completed", ""),
    ]
    assert clock.sleeps[0] == 0.0, "the first poll at once: the job may already be done"
    assert all(s >= 1.8 for s in clock.sleeps[1:])  # the plan's 2 s minimum, less up to 10 % jitter


def test_the_schedule_follows_the_plan_within_max_interval():
    schedule = PollSchedule(max_interval=5, rand=lambda: 0.0)
    assert schedule.next_delay([], elapsed=0.0, time_left=100, polls=0) == 0.0
    flat = [Observation(t, None) for t in (0.0, 2.0, 4.0, 8.0)]
    assert schedule.next_delay(flat[:1], elapsed=0.5, time_left=100, polls=1) == 2.0  # the minimum
    assert schedule.next_delay(flat, elapsed=8.0, time_left=100, polls=4) == 5.0  # 3 x 8 s of growth, capped
    assert schedule.next_delay(flat, elapsed=8.0, time_left=3.0, polls=4) == 3.0  # never past the deadline


def test_failed_job_raises_with_job_id():
    clock = FakeClock()
    get_job, _ = scripted(("Running", "50%"), ("Failed", ""))
    with pytest.raises(JobFailedError) as info:
        wait_for_job(get_job, "job-42", timeout=600, clock=clock, sleep=clock.sleep)
    assert info.value.job_id == "job-42"
    assert info.value.status == "Failed"
    assert "job-42" in str(info.value)


def test_deadline_raises_timeout_and_never_sleeps_past_it():
    clock = FakeClock()
    get_job, calls = scripted(("Running", "1%"))
    with pytest.raises(JobTimeoutError) as info:
        wait_for_job(get_job, "slow", timeout=100, schedule=PollSchedule(max_interval=10),
                     clock=clock, sleep=clock.sleep)
    assert info.value.job_id == "slow"
    assert info.value.last_status == "Running"
    assert clock.now == pytest.approx(1100.0)
    assert "1m40s" in str(info.value) and "may still be running" in str(info.value)
    assert 10 <= len(calls) <= 20


@pytest.mark.parametrize("status", ["Paused", "RESTORE", "Queued"])
def test_unknown_status_keeps_waiting_until_the_deadline(status):
    clock = FakeClock()
    get_job, calls = scripted((status, ""))
    reports: list[Progress] = []
    with pytest.raises(JobTimeoutError) as info:
        wait_for_job(get_job, "j", timeout=60, on_progress=reports.append, clock=clock, sleep=clock.sleep)
    assert info.value.last_status == status
    assert reports and reports[0].job.status == status
    assert len(calls) < 20


def test_progress_repeats_at_the_interval_even_without_change():
    clock = FakeClock()
    get_job, _ = scripted(*[("Running", "5%")] * 40, ("Completed", ""))
    reports: list[Progress] = []
    wait_for_job(get_job, "j", timeout=3600, schedule=PollSchedule(max_interval=10, progress_every=60),
                 on_progress=reports.append, clock=clock, sleep=clock.sleep)
    running = [r.elapsed for r in reports if r.job.status == "Running"]
    gaps = [b - a for a, b in zip(running[:-1], running[1:], strict=True)]
    assert len(running) >= 5
    assert all(60 <= gap <= 70 for gap in gaps)


@pytest.mark.parametrize("error", [
    TransportError("GET /v3/p/jobs/j: ConnectError: connection refused", request_sent=False),
    # an odd body, or an answer about another job: it says nothing about this one
    UnreadableAnswerError("GET /v3/p/jobs/j: unexpected response body (1 problem, first: status is not a plain word)"),
    UnreadableAnswerError("GET /v3/p/jobs/j: the answer is about another job than j; it is not used"),
])
def test_an_outage_does_not_end_the_wait_before_the_deadline(error):
    clock = FakeClock()
    calls = []

    def get_job(job_id: str) -> Job:
        calls.append(clock.now)
        if clock.now < 1000.0 + 120:
            raise error
        return Job(id=job_id, status="Completed")

    schedule = PollSchedule(rand=lambda: 0.0)  # no jitter: the polls at 0, 2, 8, 32 and 128 s
    assert wait_for_job(get_job, "j", timeout=600, schedule=schedule, clock=clock, sleep=clock.sleep).status == \
        "Completed"
    assert [round(t - 1000.0) for t in calls] == [0, 2, 8, 32, 128]


def test_failed_polls_are_reported_at_most_every_progress_every_seconds():
    clock = FakeClock()
    lines: list[str] = []

    def get_job(job_id: str) -> Job:
        raise TransportError("GET /v3/p/jobs/j: timed out")

    with pytest.raises(JobTimeoutError):
        wait_for_job(get_job, "j", timeout=600, clock=clock, sleep=clock.sleep,
                     schedule=PollSchedule(rand=lambda: 0.0), on_progress=lambda p: lines.append(p.describe()))
    assert lines[0] == ("job j not read after 0s (the poll failed: GET /v3/p/jobs/j: timed out; polling goes on "
                        "until the deadline)")
    assert 2 <= len(lines) <= 600 / 30 and all("the poll failed" in line for line in lines)


def test_an_outage_until_the_deadline_is_named_in_the_timeout():
    clock = FakeClock()

    def get_job(job_id: str) -> Job:
        raise TransportError("GET /v3/p/jobs/j: timed out")

    with pytest.raises(JobTimeoutError, match="the last polls failed: GET /v3/p/jobs/j: timed out"):
        wait_for_job(get_job, "j", timeout=60, clock=clock, sleep=clock.sleep)


def test_errors_not_worth_retrying_propagate():
    clock = FakeClock()

    def get_job(job_id: str) -> Job:
        raise AuthenticationError("The token is invalid.", status_code=401, error_code="APIGW.0301")

    with pytest.raises(AuthenticationError):
        wait_for_job(get_job, "j", timeout=60, clock=clock, sleep=clock.sleep)


def test_progress_line_formats_elapsed_time():
    line = Progress(job=Job(id="abc", status="Running", process="40%"), elapsed=3725).describe()
    assert line == "job abc Running 40% after 1h02m05s"


@pytest.mark.parametrize("process", ["50", "null", '"999%"', '"sixty"', '"\\u0663\\u0663%"', '"-5%"', None])
def test_a_running_job_without_readable_progress_says_so_in_its_progress_line(process):
    """`process` as a number, `null`, out of range, not ASCII digits or absent: the line says the
    progress was not reported, without the service's value; a readable value and the end are as before."""
    field = "" if process is None else f', "process": {process}'
    bodies = [f'{{"job": {{"id": "j", "status": "{status}"{field}}}}}' for status in ("Running", "Thawing")]
    bodies += ['{"job": {"id": "j", "status": "Running", "process": "40%"}}',
               '{"job": {"id": "j", "status": "Completed"}}']
    answers = iter(JobResponse.model_validate_json(body).job for body in bodies)
    clock = FakeClock()
    reports: list[Progress] = []
    wait_for_job(lambda _: next(answers), "j", timeout=600, on_progress=reports.append, clock=clock, sleep=clock.sleep)
    heads = [report.describe().split(" after ")[0] for report in reports]
    assert heads == ["job j Running (progress not reported)", "job j Thawing (progress not reported)",
                     "job j Running 40%", "job j Completed"]


def test_job_missing_for_longer_than_the_grace_raises_job_error():
    clock = FakeClock()
    calls = []

    def get_job(job_id: str) -> Job:
        calls.append(job_id)
        raise NotFoundError("Task not found", status_code=400, error_code="DBS.300400")

    with pytest.raises(JobError) as info:
        wait_for_job(get_job, "gone", timeout=3600, schedule=PollSchedule(missing_grace=60),
                     clock=clock, sleep=clock.sleep)
    assert not isinstance(info.value, JobTimeoutError)
    assert info.value.job_id == "gone" and "not found" in str(info.value)
    assert 60 <= clock.now - 1000.0 <= 60 + 120  # at the first poll after the grace (pauses grow to 120 s)


def test_job_missing_briefly_then_found_completes():
    clock = FakeClock()
    answers = iter([None, None, ("Running", "10%"), ("", ""), ("Completed", "")])

    def get_job(job_id: str) -> Job:
        answer = next(answers)
        if answer is None:
            raise NotFoundError("Task not found", status_code=400, error_code="DBS.300400")
        return Job(id=job_id, status=answer[0], process=answer[1])

    assert wait_for_job(get_job, "j", timeout=600, clock=clock, sleep=clock.sleep).status == "Completed"


def test_empty_status_counts_as_missing():
    clock = FakeClock()
    get_job, _ = scripted(("", ""))
    with pytest.raises(JobError, match="showed no status"):
        wait_for_job(get_job, "j", timeout=3600, clock=clock, sleep=clock.sleep)


def test_a_throttled_poll_waits_at_least_its_retry_after():
    clock = FakeClock()
    answers = iter(["throttle", "done"])

    def get_job(job_id: str) -> Job:
        if next(answers) == "throttle":
            raise ThrottledError("slow down", status_code=429, error_code="APIGW.0308", retry_after=25.0)
        return Job(id=job_id, status="Completed")

    assert wait_for_job(get_job, "j", timeout=600, clock=clock, sleep=clock.sleep).status == "Completed"
    assert clock.sleeps == [0.0, 25.0]


# The status table of the waiter's docstring, row by row -------------------------------------

STATUS_TABLE = [
    ("Completed", "completed"), ("completed", "completed"), ("COMPLETED", "completed"), (" Completed ", "completed"),
    ("Failed", "failed"), ("failed", "failed"), ("FAILED", "failed"),
    ("Rollbacking", "failed"), ("RollbackSuccess", "failed"), ("Canceling", "failed"), ("CancelSuccess", "failed"),
    ("Running", "running"), ("running", "running"), ("Expanding", "running"), ("ToBeSwitched", "running"),
    ("Switching", "running"),
    ("Queued", "unknown"), ("Succeeded", "unknown"),
    ("", "missing"), (None, "missing"), ("  ", "missing"),
]


@pytest.mark.parametrize("status, outcome", STATUS_TABLE)
def test_every_status_has_one_outcome(status, outcome):
    assert job_outcome(status) == outcome


@pytest.mark.parametrize("status, outcome", STATUS_TABLE)
def test_the_wait_acts_on_the_outcome(status, outcome):
    clock = FakeClock()
    body = {"job": {"id": "j1", "status": status, "created_time": "2026-11-29T09:00:00Z"}}
    job = JobResponse.model_validate(body).job  # a null or missing status parses as ""
    calls: list[str] = []

    def get_job(job_id: str) -> Job:
        calls.append(job_id)
        return job

    schedule = PollSchedule(missing_grace=60)
    run = lambda: wait_for_job(get_job, "j1", timeout=600, schedule=schedule, clock=clock, sleep=clock.sleep)  # noqa: E731
    if outcome == "completed":
        assert run() is job and len(calls) == 1
    elif outcome == "failed":
        with pytest.raises(JobFailedError, match=f"(?i)status {status}"):
            run()
        assert len(calls) == 1
    elif outcome == "missing":
        with pytest.raises(JobError, match="not found"):
            run()
        assert 60 <= clock.now - 1000 < 600
    else:
        with pytest.raises(JobTimeoutError) as info:
            run()
        assert info.value.last_status.lower() == status.lower() and clock.now - 1000 == pytest.approx(600)


def test_a_status_missing_from_the_body_reads_as_no_status():
    assert JobResponse.model_validate({"job": {"id": "j1"}}).job.status == ""


def test_a_long_wait_hands_the_plan_a_short_list_with_the_same_window():
    """A 10,000 s job polled every second (10,000 polls, 1 % per 100 s): the plan sees the first
    and the last poll of each progress value (at most 200), and gets the window all polls give."""
    clock = FakeClock()
    seen: list[list[Observation]] = []

    class Recording(PollSchedule):
        def next_delay(self, observations, *, elapsed, time_left, polls):  # type: ignore[override]
            seen.append(list(observations))
            return 1.0

    get_job, calls = scripted(*[("Running", f"{k // 100}%") for k in range(1, 10_000)], ("Completed", ""))
    wait_for_job(get_job, "j1", timeout=10**6, schedule=Recording(), clock=clock, sleep=clock.sleep)
    assert len(calls) == 10_000
    assert max(len(o) for o in seen) == 200
    every = [Observation(float(k), (k // 100) / 100) for k in range(1, 10_000)]
    assert seen[-1][-1] == every[-1]
    assert completion_window(seen[-1]) == completion_window(every) == pytest.approx((9999.0, 10_000.0))


def test_every_pause_longer_than_progress_every_is_announced():
    """No silence longer than `progress_every` comes unannounced: before each longer pause a
    line says when the next check comes (flat progress: the pauses grow to 120 s)."""
    clock = FakeClock()
    get_job, calls = scripted(*[("Running", "5%")] * 9, ("Completed", ""))
    reports: list[Progress] = []
    sleeps_at_report: list[int] = []

    def on_progress(p: Progress) -> None:
        reports.append(p)
        sleeps_at_report.append(len(clock.sleeps))

    wait_for_job(get_job, "j1", timeout=3600, schedule=PollSchedule(rand=lambda: 0.0), on_progress=on_progress,
                 clock=clock, sleep=clock.sleep)
    long = [i for i, s in enumerate(clock.sleeps) if s > 30]
    assert long  # the schedule did pause longer than 30 s
    announced = {n: p.next_poll for n, p in zip(sleeps_at_report, reports, strict=True) if p.next_poll is not None}
    assert announced == {i: clock.sleeps[i] for i in long}
    assert reports[-1].job.status == "Completed" and reports[-1].next_poll is None
    assert "next check in 2m00s" in reports[-2].describe()

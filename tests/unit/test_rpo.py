"""`rpo`: the RPO guard, `max_restore_age` (issue 22 item 3), judged at `check`: an old backup or
time is refused, a time without a request, "latest" by the newest restorable time, and a backup
whose time cannot be told fails closed; `verify` and `max_restore_age` are checked offline too.
Through the provider, in process (fixtures of tests/unit/test_verification.py).
"""

from __future__ import annotations

from tests.conftest import BACKUP, SOURCE
from tests.unit import test_verification
from tests.unit.test_verification import GOOD

backend = test_verification.backend  # the fixtures of tests/unit/test_verification.py
provider = test_verification.provider


def test_max_restore_age_refuses_an_old_backup_at_check(provider, backend):
    backend.advance(0)
    failures = provider.check({}, {**GOOD, "max_restore_age": "1s"}).failures
    [failure] = failures
    assert failure.property == "max_restore_age"
    assert f"backup {BACKUP} of " in failure.reason and "older than max_restore_age 1s" in failure.reason
    assert provider.check({}, {**GOOD, "max_restore_age": "25h"}).failures == []
    assert backend.requests("POST") == []


def test_max_restore_age_judges_a_time_without_a_request(provider, backend):
    now_ms = int(backend.now() * 1000)
    props = {**GOOD, "source": {"restore_time": now_ms - 7200_000}, "max_restore_age": "1h"}
    [failure] = provider.check({}, props).failures
    assert "is 2h00m old, older than max_restore_age 1h (1h00m)" in failure.reason
    assert backend.requests() == []


def test_max_restore_age_and_verify_are_checked_offline():
    from ddm_resources.inputs import check_inputs

    problems = check_inputs({**GOOD, "verify": "yes", "max_restore_age": "soon"}).problems
    assert {p.property for p in problems} == {"verify", "max_restore_age"}


def test_max_restore_age_takes_the_newest_restorable_time_for_latest(provider, backend):
    assert provider.check({}, {**GOOD, "source": {"restore_time": "latest"}, "max_restore_age": "1h"}).failures == []


def test_max_restore_age_fails_closed_when_the_backups_time_cannot_be_told(provider, backend):
    other = "0" * 32 + "br09"
    [failure] = provider.check({}, {**GOOD, "source": {"backup_id": other}, "max_restore_age": "24h"}).failures
    assert failure.property == "max_restore_age"
    assert f"cannot be told (backup {other} is not in the backup list of source {SOURCE})" in failure.reason

"""Server text that reaches an error, a log line or an output shows no Unicode format characters
(category Cf: bidi overrides and isolates, zero-width characters, tag characters) and no lone
surrogates: a right-to-left override in an instance name visually reversed the rest of a preview
error (trial finding, sec lane)."""

from __future__ import annotations

import unicodedata

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from ddm_emulator import DEMO_PROJECT_ID, Fault
from ddm_resources.errors import ApiError
from ddm_resources.provider import MetadataRecoveryProvider
from ddm_resources.sanitize import clean_text, hold_secret
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, failure_field

RLO = "\u202e"
HIDDEN = [RLO, "\u202a", "\u2066", "\u2069", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\U000e0041",
          "\ud800"]
GOOD = {"source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
        "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}}


def invisible(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cf", "Cs")]


@pytest.mark.parametrize("char", HIDDEN)
def test_clean_text_removes_format_characters_and_surrogates(char):
    shown = clean_text(f"target{char} is {char}busy")
    assert shown == "target is busy" and invisible(shown) == []
    shown.encode("utf-8")  # a lone surrogate would make this (and printing the line) fail


def test_a_held_secret_split_by_zero_width_characters_is_still_masked():
    secret = "zw-secret-0123456789abcdef"
    hold_secret(secret)
    assert clean_text("token was " + "\u200b".join(secret)) == "token was ***"


def test_letters_of_other_scripts_are_kept():
    assert clean_text("Ünïcode 名前 اسم") == "Ünïcode 名前 اسم"


def test_a_right_to_left_override_in_instance_name_and_reason_never_reaches_the_preview_error(emulator):
    """The trial's route: `restorable-instances` names the target with U+202E; `pulumi preview`
    (check) turns it into a failure."""
    emulator.backend.add_fault(Fault("GET", r"/restorable-instances$", "respond", status=200, body={
        "instances": [{"instance_id": TARGET, "instance_name": f"prod{RLO}db-1", "available": False,
                       "unavailable_reason": f"{RLO}nesorf si ecnatsni ehT\u2066x\u2069\u200b"}],
        "total": 1}))
    provider = MetadataRecoveryProvider()
    provider.configure(ConfigureRequest(Config({"ddm:endpoint": emulator.url, "ddm:projectId": DEMO_PROJECT_ID,
                                                "ddm:token": TOKEN}, "ddm-metadata-recovery")))
    failures = provider.check({}, GOOD).failures
    reason = next(f.reason for f in failures if failure_field(f) == "target.instance_id")
    assert "(proddb-1) cannot be the restore target: nesorf si ecnatsni ehTx (restorable" in reason
    assert invisible(reason) == []


def test_an_error_message_with_bidi_controls_shows_none(emulator):
    from ddm_resources.client import DdmClient

    emulator.backend.add_fault(Fault("GET", r"/restorable-instances$", "respond", status=400,
                                     body={"error_code": f"DBS.{RLO}2800", "error_msg": f"bad{RLO} input\u200f"}))
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN) as client, pytest.raises(ApiError) as info:
        client.restorable_instances(SOURCE)
    assert invisible(str(info.value)) == [] and "bad input" in str(info.value)

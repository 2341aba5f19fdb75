"""What a `check` failure quotes of a bad input (issue 19 items 6 and 17).

* A secret pasted into an ID (a token longer than 60 characters) showed its first 60 characters
  beside Pulumi's `[secret]`: a value longer than any ID is never quoted, its length and what is
  wrong are given instead, in every input that quotes a value.
* An ID with a look-alike letter (Cyrillic U+0430 for `a`) was refused with a message quoting a value
  that looks right: the character, its position and its code point are named.
"""

from __future__ import annotations

import pytest

from ddm_resources.inputs import check_inputs
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET

SECRET = "MIIsecret-pasted-by-mistake-" + "Zx9" * 30
GOOD = {"source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
        "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}}


def reasons(**changes) -> dict[str, str]:
    props = {**GOOD, **changes}
    return {p.property: p.reason for p in check_inputs(props).problems}


def pieces(text: str) -> list[str]:
    return [SECRET[i:i + 8] for i in range(len(SECRET) - 7) if SECRET[i:i + 8] in text]


@pytest.mark.parametrize("changes, where", [
    ({"target": {"instance_id": SECRET, "data_nodes": [DATA_NODE]}}, "target.instance_id"),
    ({"source_instance_id": SECRET}, "source_instance_id"),
    ({"source": {"backup_id": SECRET}}, "source.backup_id"),
    ({"target": {"instance_id": TARGET, "data_nodes": [SECRET]}}, "target.data_nodes[0]"),
    ({"target": {"instance_id": TARGET, "data_nodes": SECRET}}, "target.data_nodes"),
    ({"adopt_job_id": SECRET}, "adopt_job_id"),
    ({"source": {"restore_time": SECRET}}, "source.restore_time"),
    ({"timeouts": {"create": SECRET}}, "timeouts.create"),
])
def test_a_value_longer_than_any_id_is_never_quoted(changes, where):
    found = reasons(**changes)
    assert where in found, found
    assert pieces(found[where]) == [], found[where]
    assert str(len(SECRET)) in found[where] or where == "target.data_nodes"


def test_an_over_long_id_says_its_length_and_what_an_id_is():
    reason = reasons(target={"instance_id": SECRET, "data_nodes": [DATA_NODE]})["target.instance_id"]
    assert reason.startswith(f"target.instance_id is {len(SECRET)} characters long, longer than any ID (36")
    assert "e.g. 1f5c9fd6cd984056ba89c8c87cc03278in09" in reason


def test_a_look_alike_letter_is_named_with_its_position_and_code_point():
    lookalike = TARGET[:6] + "\u0430" + TARGET[7:]  # the trial's 2f0324а9...: TARGET[6] is an ASCII 'a'
    assert TARGET[6] == "a"
    reason = reasons(target={"instance_id": lookalike, "data_nodes": [DATA_NODE]})["target.instance_id"]
    assert "has the character 'а' at position 7, U+0430 CYRILLIC SMALL LETTER A" in reason
    assert "an ID is ASCII only" in reason


def test_several_non_ascii_characters_are_counted():
    node = "\uff10" + DATA_NODE[1:-1] + "\u0661"  # a fullwidth zero first, an Arabic-Indic one last
    reason = reasons(target={"instance_id": TARGET, "data_nodes": [node]})["target.data_nodes[0]"]
    assert "at position 1, U+FF10 FULLWIDTH DIGIT ZERO (and 1 more such)" in reason

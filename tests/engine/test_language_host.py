"""Our Python language host (tools/pulumi/pulumi-language-python) behaves as upstream's.

Small programs, each through the real CLI, with what Pulumi documents for them: a stack without
any config, config and secrets, a stack reference, a component resource, an unhandled exception,
and the run facts the program sees (`is_dry_run`, project, stack, organization, root directory,
working directory). Upstream's host passes the config only when the stack has some, always
passes the secret keys, and passes no interpreter flag.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.engine.conftest import Stack, new_stack, python_project

pytestmark = pytest.mark.engine


def program_stack(pulumi_bin: str, env: dict[str, str], where: Path, name: str, program: str) -> Stack:
    python_project(where, name, textwrap.dedent(program))
    return new_stack(pulumi_bin, where, env, "dev")


def test_a_stack_without_any_config_runs(pulumi_bin, pulumi_env, tmp_path):
    stack = program_stack(pulumi_bin, pulumi_env, tmp_path / "bare", "bare", """
        import pulumi
        pulumi.export("x", 1)
    """)
    stack.run("preview")
    stack.run("up", "--yes")
    assert stack.outputs() == {"x": 1}


def test_the_program_sees_the_run_it_belongs_to(pulumi_bin, pulumi_env, tmp_path):
    where = tmp_path / "facts"
    stack = program_stack(pulumi_bin, pulumi_env, where, "facts", """
        import os
        import sys
        import pulumi

        facts = {
            "dry_run": pulumi.runtime.is_dry_run(),
            "project": pulumi.get_project(),
            "stack": pulumi.get_stack(),
            "organization": pulumi.get_organization(),
            "root": pulumi.get_root_directory(),
            "cwd": os.getcwd(),
            "argv": sys.argv[1:],
        }
        pulumi.log.info("facts " + repr(sorted(facts.items())))
        print("printed by the program")
        pulumi.export("facts", facts)
    """)
    preview = stack.run("preview")
    assert "('dry_run', True)" in preview.stdout
    up = stack.run("up", "--yes", "--skip-preview")
    assert "('dry_run', False)" in up.stdout
    assert "printed by the program" in up.stdout
    assert stack.outputs()["facts"] == {
        "dry_run": False, "project": "facts", "stack": "dev", "organization": "organization",
        "root": str(where), "cwd": str(where), "argv": [],
    }


def test_config_and_secrets(pulumi_bin, pulumi_env, tmp_path):
    stack = program_stack(pulumi_bin, pulumi_env, tmp_path / "conf", "conf", """
        import pulumi

        config = pulumi.Config()
        pulumi.export("greeting", config.require("greeting"))
        pulumi.export("nested", config.require_object("nested"))
        pulumi.export("password", config.require_secret("password"))
        pulumi.export("other", pulumi.Config("other").get_int("count"))
        pulumi.export("secret_keys", {
            key: pulumi.runtime.is_config_secret(key) for key in ("conf:greeting", "conf:password")
        })
    """)
    stack.config("greeting", "hello")
    stack.config("nested.inner[0]", "a", path=True)
    stack.config("password", "s3cr3t-value", secret=True)
    stack.config("other:count", "3")
    up = stack.run("up", "--yes", "--skip-preview")
    assert "s3cr3t-value" not in up.stdout + up.stderr
    outputs = stack.outputs()
    assert outputs["password"] == "[secret]"
    assert outputs["greeting"] == "hello"
    assert outputs["nested"] == {"inner": ["a"]}
    assert outputs["other"] == 3
    assert outputs["secret_keys"] == {"conf:greeting": False, "conf:password": True}
    shown = json.loads(stack.run("stack", "output", "--json", "--show-secrets").stdout)
    assert shown["password"] == "s3cr3t-value"
    assert "s3cr3t-value" not in stack.export()


def test_stack_reference_reads_outputs_and_keeps_secrets_secret(pulumi_bin, pulumi_env, tmp_path):
    producer = program_stack(pulumi_bin, pulumi_env, tmp_path / "producer", "producer", """
        import pulumi
        pulumi.export("plain", "p-value")
        pulumi.export("hidden", pulumi.Output.secret("h-value"))
    """)
    producer.run("up", "--yes", "--skip-preview")
    consumer = program_stack(pulumi_bin, pulumi_env, tmp_path / "consumer", "consumer", """
        import pulumi
        ref = pulumi.StackReference("organization/producer/dev")
        pulumi.export("plain", ref.get_output("plain"))
        pulumi.export("hidden", ref.get_output("hidden"))
        pulumi.export("missing", ref.get_output("missing"))
    """)
    consumer.run("up", "--yes", "--skip-preview")
    outputs = consumer.outputs()
    assert outputs["plain"] == "p-value"
    assert outputs["hidden"] == "[secret]"
    assert "missing" not in outputs
    shown = json.loads(consumer.run("stack", "output", "--json", "--show-secrets").stdout)
    assert shown["hidden"] == "h-value"


def test_component_resource_and_its_child(pulumi_bin, pulumi_env, tmp_path):
    stack = program_stack(pulumi_bin, pulumi_env, tmp_path / "comp", "comp", """
        import pulumi

        class Box(pulumi.ComponentResource):
            def __init__(self, name, opts=None):
                super().__init__("test:index:Box", name, None, opts)
                self.label = pulumi.Output.from_input(name.upper())
                self.register_outputs({"label": self.label})

        outer = Box("outer")
        inner = Box("inner", pulumi.ResourceOptions(parent=outer))
        pulumi.export("labels", [outer.label, inner.label])
    """)
    stack.run("up", "--yes", "--skip-preview")
    assert stack.outputs() == {"labels": ["OUTER", "INNER"]}
    resources = json.loads(stack.export())["deployment"]["resources"]
    boxes = {r["urn"].rsplit("::", 1)[1]: r for r in resources if r["type"] == "test:index:Box"}
    assert set(boxes) == {"outer", "inner"}
    assert boxes["inner"]["parent"] == boxes["outer"]["urn"]
    assert boxes["outer"]["outputs"] == {"label": "OUTER"}
    assert stack.run("preview", "--expect-no-changes").returncode == 0


def test_an_unhandled_exception_fails_with_the_users_traceback_only(pulumi_bin, pulumi_env, tmp_path):
    stack = program_stack(pulumi_bin, pulumi_env, tmp_path / "boom", "boom", """
        import pulumi

        def explode():
            raise ValueError("boom 42")

        pulumi.export("before", 1)
        explode()
    """)
    result = stack.run("up", "--yes", "--skip-preview", check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Program failed with an unhandled exception" in out
    assert "ValueError: boom 42" in out
    assert 'in explode' in out
    assert "runpy" not in out  # the traceback starts at the user's program
    assert "non-zero exit code" not in out  # exit code 32: the message was already shown

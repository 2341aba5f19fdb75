"""The docs check: README.md, docs/*.md and bench/README.md against the code (issue 20 item 8).

* every relative link resolves, and so does its `#anchor` (GitHub's heading anchors);
* every fenced code block names its language, and what it holds is checked by a rule:
  - `python`: parses (`ast.parse`), and every name imported from `ddm_resources` exists;
  - `yaml`: parses; a `Pulumi.yaml` (one with `runtime:`) is a Python or a YAML project;
  - `typescript`, `go`, `csharp`: the plugin's resource in those languages (docs/plugin.md), not
    checked here: tests/engine/test_plugin_sdks.py generates the SDKs they use;
  - `sh`: the README's two commands exactly as `scripts/` has them; any other block passes
    `bash -n` (a placeholder such as `<backup ID>` read as one word), each of its commands
    starts with a program of `SHELL_PROGRAMS`, every `scripts/`, `bench/`, `examples/`... path
    it names exists, `pulumi config set ddm:<key>` names a key the provider reads,
    `python -m ddm_emulator` gets options its parser accepts, and `curl` reaches an admin route
    of the emulator with a JSON body that parses (the README's quick start is also run as
    written: tests/engine/test_readme_quick_start.py);
  - `text`: output or an illustration, not checked;
* the `ddm:*` keys and the `OS_*` / `DDM_*` variables of the configuration table are exactly
  those the code reads, and no page mentions a `ddm:*` key the code does not read;
* the inputs and outputs tables of docs/reference.md are exactly the resource's inputs and outputs,
  and its fields table is `ddm_resources.fields.reference_table()`;
* every "ddm-api.md section N" that a docstring cites is a section of docs/ddm-api.md;
* every file the pages name in backticks exists (a renamed module fails here).

The lists from the code come from `code_settings()` and `code_fields()`.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import subprocess
import unicodedata
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

DOC_FILES = sorted([REPO / "README.md", REPO / "bench" / "README.md", *(REPO / "docs").glob("*.md")])
LANGUAGES = {"python", "yaml", "sh", "text", "typescript", "go", "csharp"}
SHELL_PROGRAMS = {"pulumi", "pip", "python", ".venv/bin/python", "export", "mkdir", "curl",
                  "scripts/demo", "scripts/test", "ddm-sdkgen"}
PULUMI_COMMANDS = {"login", "stack", "config", "up", "preview", "refresh", "destroy", "cancel", "import", "package"}
TWO_COMMANDS = """\
scripts/demo    # start the local DDM API emulator, `pulumi up` the root project against it, print the job_id
scripts/test    # the whole test suite: unit, emulator, provider process over gRPC, real Pulumi engine
"""
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)
PLACEHOLDER = re.compile(r"<[^<>\n]*>")
"""A placeholder such as `<backup ID>` in a command: one word for `bash -n`."""
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


# the lists from the code ----------------------------------------------------------------------

def code_settings() -> tuple[set[str], set[str]]:
    """The `ddm:*` keys (without the prefix) and the environment variables the provider reads."""
    from ddm_resources.settings import _SOURCES, CONFIG_KEYS

    return set(CONFIG_KEYS), {name for _, names, _ in _SOURCES.values() for name in names} | {"OS_CLOUD"}


def code_fields() -> tuple[set[str], set[str]]:
    """The resource's inputs (dotted paths, as users write them) and its outputs."""
    from ddm_resources.fields import FIELDS, OUTPUT_KEYS

    nested = {f.parent for f in FIELDS if f.parent}
    inputs = {f.path for f in FIELDS if f.kind != "output" and f.path not in nested}
    return inputs, set(OUTPUT_KEYS)


# reading markdown -----------------------------------------------------------------------------

def _name(path: Path) -> str:
    return str(path.relative_to(REPO))


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block."""
    return [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer(text)]


def prose(text: str) -> str:
    """`text` without fenced blocks and inline code: where links are."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def anchors(text: str) -> set[str]:
    """GitHub's anchors of the headings: lower case, punctuation dropped, spaces as `-`,
    a repeated heading numbered `-1`, `-2`, ..."""
    seen: dict[str, int] = {}
    found = set()
    for line in FENCE.sub("", text).splitlines():
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        title = heading.group(1).replace("`", "").lower()
        slug = "".join(c for c in title if c in " -_" or unicodedata.category(c)[0] in "LN").replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def table(text: str, header: str) -> list[list[str]]:
    """The rows (cells stripped) of the markdown table whose header line starts with `header`."""
    start = text.index("\n" + header) + 1
    lines = text[start:].split("\n\n", 1)[0].splitlines()
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines[2:]]


def test_the_doc_pages_exist():
    names = {_name(p) for p in DOC_FILES}
    expected = {"reference", "configuration", "safety", "troubleshooting", "emulator", "ddm-api", "design",
                "contributing"}
    assert {f"docs/{page}.md" for page in expected} <= names
    assert "bench/README.md" in names


def test_the_readme_is_short():
    assert len((REPO / "README.md").read_text().splitlines()) <= 150


# links ----------------------------------------------------------------------------------------

def _links():
    for path in DOC_FILES:
        for target in LINK.findall(prose(path.read_text())):
            if not re.match(r"[a-z]+:", target):
                yield pytest.param(path, target, id=f"{_name(path)}:{target}")


@pytest.mark.parametrize(("page", "target"), list(_links()))
def test_every_relative_link_and_anchor_resolves(page, target):
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve() if path else page
    assert resolved.exists(), f"{_name(page)} links to {target}, which does not exist"
    assert REPO in resolved.parents or resolved == REPO, f"{_name(page)} links outside the repository: {target}"
    if anchor:
        assert resolved.suffix == ".md", f"{_name(page)}: an anchor into {path}, which is not markdown"
        assert anchor in anchors(resolved.read_text()), f"{_name(page)}: no heading #{anchor} in {_name(resolved)}"


# files named -----------------------------------------------------------------------------------

FILE_NAMED = re.compile(r"`([\w./<>-]+\.(?:py|md|toml|txt|yaml|yml|json|go|sum|mod))`"
                        r"|`((?:scripts|tools|tests|bench|examples|ddm_resources|ddm_emulator|docs|\.ci)/[\w./<>-]*)`")
USER_FILES = {"clouds.yaml", "./clouds.yaml", "secure.yaml", "Pulumi.<stack>.yaml", "openstack/client.go"}
"""Files the docs name that are the user's (or another project's), not this repository's."""


def _tracked() -> set[str]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return set(out.splitlines())


def test_every_file_the_docs_name_exists():
    """A path (`ddm_resources/adoption.py`, `scripts/test`) exists from the repository's root; a bare
    name (`sanitize.py`) is the name of a file of the repository. So a renamed module fails here."""
    tracked = _tracked()
    names = {path.rsplit("/", 1)[-1] for path in tracked}
    folders = {"/".join(path.split("/")[:i]) + "/" for path in tracked for i in range(1, path.count("/") + 1)}
    missing = []
    for page in DOC_FILES:
        for match in FILE_NAMED.finditer(page.read_text()):
            named = match.group(1) or match.group(2)
            if named in USER_FILES or "<" in named or "..." in named:
                continue
            if "/" in named.rstrip("/"):
                found = named in tracked or named in folders or (REPO / named).exists()
            else:
                found = named.rstrip("/") in names or named.rstrip("/") + "/" in folders
            if not found:
                missing.append(f"{_name(page)}: {named}")
    assert not missing


# code blocks ----------------------------------------------------------------------------------

def _blocks(language: str | None = None):
    for path in DOC_FILES:
        for index, (lang, body) in enumerate(code_blocks(path.read_text())):
            if language is None or lang == language:
                yield pytest.param(path, lang, body, id=f"{_name(path)}#{index}")


@pytest.mark.parametrize(("page", "lang", "body"), list(_blocks()))
def test_every_code_block_names_its_language(page, lang, body):
    assert lang in LANGUAGES, f"{_name(page)}: a block tagged {lang!r}; tag it one of {sorted(LANGUAGES)}"


@pytest.mark.parametrize(("page", "lang", "body"), list(_blocks("python")))
def test_python_blocks_parse_and_import_what_exists(page, lang, body):
    import ddm_resources

    tree = ast.parse(body)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "ddm_resources":
            for alias in node.names:
                assert hasattr(ddm_resources, alias.name), f"{_name(page)}: ddm_resources has no {alias.name}"


@pytest.mark.parametrize(("page", "lang", "body"), list(_blocks("yaml")))
def test_yaml_blocks_parse(page, lang, body):
    data = yaml.safe_load(body)
    if isinstance(data, dict) and "runtime" in data:
        runtime = data["runtime"]["name"] if isinstance(data["runtime"], dict) else data["runtime"]
        assert runtime in ("python", "yaml") and data["name"]


def test_the_readme_has_the_two_commands_as_they_work():
    readme = (REPO / "README.md").read_text()
    assert ("sh", TWO_COMMANDS) in code_blocks(readme)
    for script in ("scripts/demo", "scripts/test"):
        assert (REPO / script).stat().st_mode & 0o111, f"{script} is not executable"
    assert (REPO / ".ci" / "run").read_text().strip().endswith("scripts/test")


def _commands(body: str) -> list[list[str]]:
    """The block's commands as words: continuation lines joined, comments and `&` dropped."""
    joined = body.replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        words = [w for w in shlex.split(line, comments=True) if w != "&"]
        if words:
            commands.append(words)
    return commands


@pytest.mark.parametrize(("page", "lang", "body"), list(_blocks("sh")))
def test_shell_blocks_follow_the_rule(page, lang, body):
    if body == TWO_COMMANDS:
        return
    subprocess.run(["bash", "-n"], input=PLACEHOLDER.sub("X", body), text=True, check=True)
    keys, _ = code_settings()
    for words in _commands(body):
        program = words[0]
        assert program in SHELL_PROGRAMS, f"{_name(page)}: `{program}` is not a program the docs check knows"
        for word in words:
            if re.match(r"(scripts|bench|examples|tests|docs)/", word):
                assert (REPO / word).exists(), f"{_name(page)}: {word} does not exist"
        if program == "pulumi":
            assert words[1] in PULUMI_COMMANDS, f"{_name(page)}: pulumi {words[1]}"
            if words[1:3] == ["config", "set"]:
                key = next(w for w in words[3:] if not w.startswith("--"))
                if key.startswith("ddm:"):
                    assert key[4:] in keys, f"{_name(page)}: the provider reads no {key}"
        if words[:3] in (["python", "-m", "ddm_emulator"], [".venv/bin/python", "-m", "ddm_emulator"]):
            from ddm_emulator.__main__ import build_parser

            build_parser().parse_args(words[3:])
        if program == "curl":
            _check_curl(page, words)


def _check_curl(page: Path, words: list[str]) -> None:
    """`curl` reaches a route of the emulator's admin API with its method; a `-d` body is JSON."""
    from ddm_emulator.admin_api import ROUTES

    method = words[words.index("-X") + 1] if "-X" in words else ("POST" if "-d" in words else "GET")
    url = next(w for w in words[1:] if "/_emulator/" in w)
    path = "/_emulator/" + url.split("/_emulator/", 1)[1].split("?")[0]
    routes = {(re.sub(r"<\w+>", "[^/]+", route.path), route.method) for route in ROUTES}
    assert any(re.fullmatch(pattern, path) and m == method for pattern, m in routes), \
        f"{_name(page)}: the emulator's admin API has no {method} {path}"
    if "-d" in words:
        json.loads(words[words.index("-d") + 1])


# configuration keys, inputs and outputs ---------------------------------------------------------

def test_the_configuration_table_is_the_code():
    """Every `ddm:*` key and variable the code reads is in the table, and nothing else (moved from
    tests/unit/test_settings.py with the table)."""
    rows = table((REPO / "docs" / "configuration.md").read_text(), "| setting | stack config | environment |")
    documented_keys = {key for row in rows for key in re.findall(r"`ddm:(\w+)`", row[1])}
    documented_env = {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row[2])}
    keys, env = code_settings()
    assert documented_keys == keys
    assert documented_env == env


def test_no_page_names_a_ddm_key_the_code_does_not_read():
    """A key written as a typo's example (`a typo such as ddm:projectID`) is not a documented key."""
    keys, _ = code_settings()
    for path in DOC_FILES:
        text = re.sub(r"typo such as `ddm:\w+`", "", path.read_text())
        named = set(re.findall(r"(?<![/\w])ddm:(?!index:)([A-Za-z]\w*)", text))  # not a type token
        assert named <= keys, f"{_name(path)} names ddm:{sorted(named - keys)}, which the provider does not read"


def test_the_reference_lists_every_input_and_output_and_nothing_else():
    text = (REPO / "docs" / "reference.md").read_text()
    inputs, outputs = code_fields()
    documented_inputs = {row[0].strip("`") for row in table(text, "| input |")}
    documented_outputs = {name for row in table(text, "| output |") for name in re.findall(r"`(\w+)`", row[0])}
    assert documented_inputs == inputs
    assert documented_outputs == outputs


def test_the_reference_shows_the_fields_table_of_the_code():
    from ddm_resources.fields import reference_table

    assert reference_table() in (REPO / "docs" / "reference.md").read_text()


# API notes --------------------------------------------------------------------------------------

def _cited_sections() -> set[str]:
    """Every section number a file that mentions ddm-api.md cites ("section 2.1", "sections 2.3
    and 2.7", "sections 1-3, 6", "ddm-api.md 3.1")."""
    cited = set()
    for folder in ("ddm_resources", "ddm_emulator", "tests", "bench"):
        for path in (REPO / folder).rglob("*.py"):
            text = path.read_text()
            if "ddm-api" not in text:
                continue
            for run in re.findall(r"(?:sections?|ddm-api\.md)\s+((?:\d+(?:\.\d+)?(?:\s*(?:,|and|-)\s*)?)+)", text):
                numbers = re.findall(r"\d+(?:\.\d+)?", run)
                if "-" in run and len(numbers) == 2 and "." not in run:
                    numbers = [str(n) for n in range(int(numbers[0]), int(numbers[1]) + 1)]
                cited.update(numbers)
    return cited


def test_every_cited_api_section_is_in_the_api_notes():
    text = (REPO / "docs" / "ddm-api.md").read_text()
    sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", text, re.M))
    cited = _cited_sections()
    assert cited, "no docstring cites ddm-api.md: the pattern no longer finds the citations"
    assert cited <= sections, f"cited but not in docs/ddm-api.md: {sorted(cited - sections)}"

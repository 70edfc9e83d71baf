"""CI, release, the composite action and the pre-commit hook, tested as their tools and GitHub
would take them: the vendored schemas, zizmor offline, and the workflows' own shell steps run
here in a notes repository with a history, so a renamed command or flag cannot break CI quietly.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import sysconfig
import textwrap
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO
from .preview.folder_text import page_with_cards

WORKFLOWS = REPO / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
RELEASE = WORKFLOWS / "release.yml"
ACTION = REPO / "action.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
SCRIPTS = Path(sysconfig.get_path("scripts"))  # where pip put ankigen, zizmor, check-jsonschema

# What GitHub runs for `shell: bash` (docs: "Using a specific shell").
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
PINNED = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+$")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

BASE_TIME = 1_704_110_400  # 2024-01-01 12:00 UTC: the notes' first commit
FEATURE_TIME = BASE_TIME + 86_400
TAG_TIME = BASE_TIME + 7 * 86_400


# --- reading the files ----------------------------------------------------------------------


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """The `on:` table (PyYAML reads the bare key `on` as True)."""
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict)
    return on


def run_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [step for step in steps if "run" in step]


def step_running(steps: list[dict[str, Any]], command: str) -> dict[str, Any]:
    """The one run step whose script starts with `command`."""
    found = [s for s in run_steps(steps) if s["run"].lstrip().startswith(command)]
    assert len(found) == 1, f"expected one step running {command!r}, found {len(found)}"
    return found[0]


def step_containing(steps: list[dict[str, Any]], text: str) -> dict[str, Any]:
    """The one run step whose script contains `text`."""
    found = [s for s in run_steps(steps) if text in s["run"]]
    assert len(found) == 1, f"expected one step with {text!r}, found {len(found)}"
    return found[0]


def tool(name: str) -> str:
    path = SCRIPTS / name
    assert path.is_file(), f"{name} is not installed next to this Python: pip install '.[test]'"
    return str(path)


# --- a notes repository with a history ----------------------------------------------------------


def png() -> bytes:
    """A valid 1x1 PNG, so the deck has a media file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


DECK = r"""
---
tags: [workflow-test]
---
# Workflow Deck

## Probability

### Sum Rule {#sum-rule}

For mutually exclusive events: $P(A \cup B) = P(A) + P(B)$

### Bayes Rule

$P(A \mid B) = \frac{P(B \mid A) P(A)}{P(B)}$

## Regularization

1. ==dropout==
2. ==weight decay==

## A Picture

![a dot](pictures/dot.png)
"""

# The pull request: one card changed, one added, one removed.
DECK_FEATURE = (
    DECK.replace("For mutually exclusive events", "When A and B are mutually exclusive")
    .replace("### Bayes Rule", "### Product Rule")
    .replace(
        r"$P(A \mid B) = \frac{P(B \mid A) P(A)}{P(B)}$",
        "For independent events: $P(AB) = P(A)P(B)$",
    )
)

BROKEN = "# Broken\n\n## Unclosed\n\n{{c1::never closed\n"  # the error is on line 5


def clean_environ() -> dict[str, str]:
    """This process's environment without anything GitHub, git or a build time would set."""
    drop = ("GITHUB_", "RUNNER_", "GIT_", "SOURCE_DATE_EPOCH", "ANKIGEN_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PATH"] = f"{SCRIPTS}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.invalid",
    )
    return env


def git(cwd: Path, *args: str, time: int | None = None) -> str:
    env = clean_environ()
    if time is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{time} +0000"
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def notes_upstream(tmp_path: Path) -> Path:
    """A notes repository: `main` with the deck, `feature` changing three cards."""
    root = tmp_path / "upstream"
    root.mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    write(root, "source_notes/deck.md", DECK)
    (root / "source_notes" / "pictures").mkdir()
    (root / "source_notes" / "pictures" / "dot.png").write_bytes(png())
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "Notes", time=BASE_TIME)
    git(root, "checkout", "--quiet", "-b", "feature")
    write(root, "source_notes/deck.md", DECK_FEATURE)
    git(root, "commit", "--quiet", "-am", "Edit, add and remove cards", time=FEATURE_TIME)
    git(root, "checkout", "--quiet", "main")
    return root


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A clone of the notes at the pull request's branch, with `origin/main` to compare with."""
    clone = tmp_path / "workspace"
    git(tmp_path, "clone", "--quiet", str(notes_upstream(tmp_path)), str(clone))
    git(clone, "checkout", "--quiet", "feature")
    return clone


# --- running steps as GitHub does -------------------------------------------------------------


class Runner:
    """Runs `run:` steps with bash as GitHub does, with GitHub's files pointed at temp files."""

    def __init__(self, workspace: Path, temp: Path, **github: str) -> None:
        temp.mkdir(parents=True, exist_ok=True)
        self.workspace = workspace
        self.temp = temp
        self.summary = temp / "step_summary.md"
        self.summary.touch()
        self.env = clean_environ()
        self.env.update(
            CI="true",
            GITHUB_ACTIONS="true",
            GITHUB_WORKSPACE=str(workspace),
            GITHUB_STEP_SUMMARY=str(self.summary),
            GITHUB_ENV=str(temp / "env"),
            GITHUB_PATH=str(temp / "path"),
            RUNNER_TEMP=str(temp),
            **github,
        )
        self.count = 0

    def run(
        self, step: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
        """Run one step; its result and what it wrote to $GITHUB_OUTPUT."""
        self.count += 1
        script = self.temp / f"step-{self.count}.sh"
        script.write_text(step["run"], encoding="utf-8")
        output = self.temp / f"output-{self.count}"
        output.touch()
        done = subprocess.run(
            [*BASH, str(script)],
            cwd=self.workspace / step.get("working-directory", "."),
            env={**self.env, **(env or {}), "GITHUB_OUTPUT": str(output)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return done, parse_output(output.read_text(encoding="utf-8"))

    def must(self, step: Mapping[str, Any], env: Mapping[str, str] | None = None) -> str:
        done, _ = self.run(step, env)
        assert done.returncode == 0, (
            f"step {step.get('name', step['run'])!r} failed with {done.returncode}:\n"
            f"{done.stdout}\n{done.stderr}"
        )
        return done.stdout


def parse_output(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT's `name=value` and `name<<DELIMITER` ... `DELIMITER` forms."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for item in lines:
                if item == delimiter:
                    break
                body.append(item)
            else:
                raise AssertionError(f"$GITHUB_OUTPUT: {name} is never closed by {delimiter}")
            values[name] = "\n".join(body)
        elif line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def ankigen(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    done = subprocess.run(
        [tool("ankigen"), *args],
        cwd=cwd,
        env={**clean_environ(), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"ankigen {' '.join(args)}: {done.stderr}"
    return done.stdout


# --- the files are valid for the tools that read them -------------------------------------------


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        (CI, "vendor.github-workflows"),
        (RELEASE, "vendor.github-workflows"),
        (ACTION, "vendor.github-actions"),
    ],
    ids=["ci.yml", "release.yml", "action.yml"],
)
def test_valid_for_the_vendored_schema(path: Path, schema: str) -> None:
    done = check_jsonschema(schema, path)
    assert done.returncode == 0, done.stdout + done.stderr


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with one of the schemas it vendors (so it needs no network)."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_workflow_file_is_tested() -> None:
    assert sorted(p.name for p in WORKFLOWS.iterdir()) == ["ci.yml", "release.yml"]


def test_pre_commit_manifest_is_valid_for_pre_commit() -> None:
    # check-jsonschema vendors no schema for .pre-commit-hooks.yaml; pre-commit's own check does.
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(HOOKS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (hook,) = load_hooks()
    assert hook["id"] == "ankigen-check"
    assert hook["entry"] == "ankigen check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    assert [re.search(hook["files"], p) is not None for p in ("a.md", "c.markdown", "d.txt")] == [
        True,
        True,
        False,
    ]


def load_hooks() -> list[dict[str, Any]]:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    return hooks


def zizmor(*inputs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            tool("zizmor"),
            "--offline",
            "--no-config",
            "--persona=auditor",  # the strictest: false positives included
            "--strict-collection",
            "--format=json",
            "--no-progress",
            *map(str, inputs),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**clean_environ(), "NO_COLOR": "1"},
    )


def test_zizmor_offline_finds_nothing() -> None:
    done = zizmor(WORKFLOWS, ACTION, HOOKS)
    assert json.loads(done.stdout) == [], done.stdout
    assert done.returncode == 0, done.stderr
    for path in (CI, RELEASE, ACTION, HOOKS):  # each was audited, none skipped
        assert f"completed {path.relative_to(REPO)}" in done.stderr.replace(str(REPO) + "/", "")


def test_the_validators_do_reject(tmp_path: Path) -> None:
    """Both tools fail a broken workflow, so that their passing means something."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    text = CI.read_text(encoding="utf-8").replace(
        "run: ankigen build\n", 'run: ankigen build "${{ github.head_ref }}"\n'
    )
    bad.write_text(text, encoding="utf-8")
    findings = json.loads(zizmor(bad).stdout)
    assert "template-injection" in {finding["ident"] for finding in findings}
    bad.write_text(text.replace("runs-on:", "run-on:"), encoding="utf-8")
    done = check_jsonschema("vendor.github-workflows", bad)
    assert done.returncode == 1
    assert "'runs-on' is a required property" in done.stdout


# --- the workflows' shape ---------------------------------------------------------------------


def test_actions_are_pinned_to_full_commits_with_their_version() -> None:
    for path in (CI, RELEASE, ACTION):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if "uses:" in line]
        uses = [line for line in lines if not line.lstrip().startswith("#")]
        assert uses, path
        for line in uses:
            assert PINNED.match(line), f"{path.name}: not pinned to a commit: {line.strip()}"


def test_ci_triggers_permissions_and_checkout() -> None:
    ci = load(CI)
    assert set(triggers(ci)) == {"push", "pull_request"}
    assert ci["permissions"] == {"contents": "read"}
    assert ci["defaults"] == {"run": {"shell": "bash"}}
    (job,) = ci["jobs"].values()
    assert "permissions" not in job
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"] == {"fetch-depth": 0, "persist-credentials": False}
    assert job["steps"][1]["with"]["python-version"] == "3.11"


def test_release_writes_only_in_the_publish_job() -> None:
    release = load(RELEASE)
    assert triggers(release) == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {}
    jobs = release["jobs"]
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "build": {"contents": "read"},
        "publish": {"contents": "write"},
    }
    assert jobs["publish"]["needs"] == "build"
    create = step_containing(jobs["publish"]["steps"], "gh release create")
    assert 'gh release create "$TAG" release/*.apkg release/SHA256SUMS' in create["run"]
    assert create["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert create["env"]["TAG"] == "${{ github.ref_name }}"
    checkout = jobs["build"]["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["persist-credentials"] is False


# --- CI's steps, run in a pull request of a notes repository ------------------------------------


def ci_steps() -> list[dict[str, Any]]:
    (job,) = load(CI)["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def test_ci_steps_run_in_a_pull_request(pull_request: Path, tmp_path: Path) -> None:
    steps = ci_steps()
    # Installing and testing this project cannot run inside its own tests; they must be there.
    skipped = [
        step_running(steps, "python -m pip install -c constraints.txt '.[test]'"),
        step_running(steps, "pytest"),
    ]
    assert [step["run"] for step in skipped] == [
        "python -m pip install -c constraints.txt '.[test]'",
        "pytest",
    ]
    runner = Runner(
        pull_request,
        tmp_path / "runner",
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_BASE_REF="main",
        GITHUB_HEAD_REF="feature",
        GITHUB_REF="refs/pull/1/merge",
    )
    ran = []
    for step in run_steps(steps):
        if step in skipped:
            continue
        assert "${{" not in step["run"] and "env" not in step, "keep run steps runnable here"
        assert step.get("if", "github.event_name == 'pull_request'") == (
            "github.event_name == 'pull_request'"
        ), "the test knows this one condition; teach it any other"
        ran.append((step["run"], runner.must(step)))
    commands = [shlex.split(run)[:2] for run, _ in ran]
    assert commands == [
        ["ankigen", "check"],
        ["ankigen", "build"],
        ["ankigen", "check"],  # --against the base branch: no change of namespace
        ["ankigen", "diff"],
        ["ankigen", "preview"],
    ]
    # The three against the base branch built its notes once, for all of them.
    assert len(list((pull_request / "build" / ".cache" / "revisions").glob("*.json"))) == 1

    check_output = ran[0][1]
    assert "::error" not in check_output and "::warning" not in check_output

    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert steps.index(upload) > steps.index(step_running(steps, "ankigen build"))
    assert upload["with"]["if-no-files-found"] == "error"
    assert sorted(pull_request.glob(upload["with"]["path"])) == [
        pull_request / "build" / "workflow-deck.apkg"
    ]

    diff = step_running(steps, "ankigen diff")
    assert diff["if"] == "github.event_name == 'pull_request'"  # no base branch on a push
    summary = runner.summary.read_text(encoding="utf-8")
    expected = ankigen(pull_request, "diff", "--against", "origin/main", "--format", "markdown")
    assert summary == expected
    for card in ("product", "bayes", "sum"):  # added, removed, changed
        assert card in summary.lower()

    uploads = {
        s["with"]["name"]: s for s in steps if s.get("uses", "").startswith("actions/upload")
    }
    preview = uploads["preview"]
    assert preview["if"] == "github.event_name == 'pull_request'"
    page = page_with_cards(pull_request / preview["with"]["path"])
    assert "Product" in page  # the changed and added cards are in the preview
    assert uploads["test-screenshots"]["if"] == "always()"


def test_ci_check_step_annotates_a_broken_note(pull_request: Path, tmp_path: Path) -> None:
    write(pull_request, "source_notes/more/broken.md", BROKEN)
    runner = Runner(pull_request, tmp_path / "runner", GITHUB_EVENT_NAME="push")
    done, _ = runner.run(step_running(ci_steps(), "ankigen check --format"))
    assert done.returncode == 1
    assert "::error file=source_notes/more/broken.md,line=5,col=1::" in done.stdout


def test_ci_stops_a_pull_request_that_renames_the_deck(pull_request: Path, tmp_path: Path) -> None:
    deck = pull_request / "source_notes" / "deck.md"
    text = deck.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("# "))
    deck.write_text(text.replace(title, "# A Renamed Deck", 1), encoding="utf-8")
    git(pull_request, "commit", "--quiet", "-am", "Rename the deck", time=FEATURE_TIME + 60)
    runner = Runner(
        pull_request, tmp_path / "runner", GITHUB_EVENT_NAME="pull_request", GITHUB_BASE_REF="main"
    )
    done, _ = runner.run(step_running(ci_steps(), "ankigen check --against"))
    assert done.returncode == 1
    assert "::error file=source_notes/deck.md,line=1,col=1::" in done.stdout
    assert "namespace" in done.stdout


# --- the composite action -----------------------------------------------------------------------


def evaluate(text: str, context: Mapping[str, str]) -> str:
    """Replace each `${{ name }}` with its value; an unknown expression fails the test."""

    def value(match: re.Match[str]) -> str:
        assert match.group(1) in context, f"the test cannot evaluate ${{{{ {match.group(1)} }}}}"
        return context[match.group(1)]

    return EXPRESSION.sub(value, text)


class StepFailed(Exception):
    """A step of the action exited with an error."""


def run_action(workspace: Path, temp: Path, given: Mapping[str, str]) -> dict[str, str]:
    """Run action.yml's steps with `given` inputs: its outputs, the job summary and the log."""
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    unknown = set(given) - set(action["inputs"])
    assert not unknown, f"action.yml has no inputs {unknown}"
    context = {f"inputs.{name}": str(spec["default"]) for name, spec in action["inputs"].items()}
    context.update({f"inputs.{name}": value for name, value in given.items()})
    runner = Runner(workspace, temp, GITHUB_EVENT_NAME="pull_request")
    setup, install, *steps = action["runs"]["steps"]
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["update-environment"] is False  # leaves the caller's Python alone
    # Installing from the action's own checkout needs the network; here ankigen is installed.
    assert (
        "pip install --quiet --disable-pip-version-check \\\n"
        '  -c "$GITHUB_ACTION_PATH/constraints.txt" "$GITHUB_ACTION_PATH"'
    ) in install["run"]  # with the pinned libraries, as every other install
    context[f"steps.{install['id']}.outputs.ankigen"] = tool("ankigen")
    log: list[str] = []
    for step in steps:
        assert step["shell"] == "bash"
        condition = step.get("if")
        if condition is not None:
            match = re.fullmatch(r"(inputs\.[\w-]+) != ''", condition)
            assert match, f"the test cannot evaluate if: {condition}"
            if context[match.group(1)] == "":
                continue
        env = {name: evaluate(str(value), context) for name, value in step.get("env", {}).items()}
        where = evaluate(step.get("working-directory", "."), context)
        done, outputs = runner.run({**step, "working-directory": where}, env)
        if done.returncode != 0:
            raise StepFailed(f"{step['name']}:\n{done.stdout}\n{done.stderr}")
        log.append(done.stdout)
        for name, value in outputs.items():
            context[f"steps.{step.get('id')}.outputs.{name}"] = value
    result = {name: evaluate(spec["value"], context) for name, spec in action["outputs"].items()}
    result["summary"] = runner.summary.read_text(encoding="utf-8")
    result["log"] = "".join(log)
    return result


def test_action_with_its_defaults(pull_request: Path, tmp_path: Path) -> None:
    outputs = run_action(pull_request, tmp_path / "runner", {})
    package = str(pull_request / "build" / "workflow-deck.apkg")
    assert outputs["package"] == outputs["packages"] == package
    assert outputs["summary"] == ""  # no diff-against, nothing in the summary
    assert Path(package).is_file()


def test_action_with_every_input(pull_request: Path, tmp_path: Path) -> None:
    write(pull_request, "extra/more.md", "# More\n\n## Extra Card\n\nbody\n")
    inputs = {
        "source": "source_notes\n  extra/more.md ",  # spaces and newlines separate sources
        "output": "decks/all.apkg",
        "strict": "true",
        "diff-against": "origin/main",
        "working-directory": ".",
        "python-version": "3.11",
    }
    outputs = run_action(pull_request, tmp_path / "runner", inputs)
    package = pull_request / "decks" / "all.apkg"
    assert outputs["package"] == outputs["packages"] == str(package)
    # Both sources went into the one package: the deck's four notes and the extra one.
    assert re.search(r"^decks/all\.apkg: \d+ decks, 5 notes ", outputs["log"], re.M)
    assert outputs["summary"] == ankigen(
        pull_request, "diff", "--against", "origin/main", "--format", "markdown"
    )
    assert "product" in outputs["summary"].lower()


def test_action_fails_on_a_broken_note(pull_request: Path, tmp_path: Path) -> None:
    write(pull_request, "source_notes/broken.md", BROKEN)
    with pytest.raises(StepFailed, match=re.escape("::error file=source_notes/broken.md,line=5,")):
        run_action(pull_request, tmp_path / "runner", {})
    assert not (pull_request / "build").exists()


def test_action_strict_turns_warnings_into_failure(pull_request: Path, tmp_path: Path) -> None:
    write(pull_request, "source_notes/code.md", "# Code\n\n## Snippet\n\n```klingon\nx\n```\n")
    outputs = run_action(pull_request, tmp_path / "lenient", {})
    assert "::warning file=source_notes/code.md,line=5," in outputs["log"]
    with pytest.raises(StepFailed, match=re.escape("::warning file=source_notes/code.md,line=5,")):
        run_action(pull_request, tmp_path / "strict", {"strict": "true"})


# --- the pre-commit hook --------------------------------------------------------------------


def run_hook(repo: Path) -> subprocess.CompletedProcess[str]:
    """The hook's entry with the tracked and new files its `files` pattern selects."""
    (hook,) = load_hooks()
    listed = git(repo, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    files = [name for name in listed if re.search(hook["files"], name)]
    assert files, "the hook would not run on any note"
    return subprocess.run(
        shlex.split(hook["entry"]) + files,
        cwd=repo,
        env=clean_environ(),
        capture_output=True,
        text=True,
        check=False,
    )


def test_pre_commit_hook_passes_clean_notes_and_stops_a_broken_one(pull_request: Path) -> None:
    done = run_hook(pull_request)
    assert done.returncode == 0, done.stderr
    write(pull_request, "source_notes/broken.md", BROKEN)
    done = run_hook(pull_request)
    assert done.returncode == 1
    assert "source_notes/broken.md:5:1: error: " in done.stderr


# --- the release: a tag rebuilt gives the same bytes -------------------------------------------


def release_jobs() -> dict[str, list[dict[str, Any]]]:
    return {name: job["steps"] for name, job in load(RELEASE)["jobs"].items()}


def tagged_clone(upstream: Path, where: Path) -> Path:
    git(where.parent, "clone", "--quiet", "--branch", "v1.0.0", str(upstream), str(where))
    return where


def release_build(clone: Path, temp: Path) -> str:
    """The release build job's shell steps in `clone`; the SHA256SUMS they write."""
    steps = release_jobs()["build"]
    install = step_running(steps, "python -m pip install")
    assert install["run"] == "python -m pip install -c constraints.txt ."
    runner = Runner(clone, temp, GITHUB_EVENT_NAME="push", GITHUB_REF="refs/tags/v1.0.0")
    for step in run_steps(steps):
        if step is not install:
            assert "${{" not in step["run"]
            runner.must(step)
    return (clone / "build" / "SHA256SUMS").read_text(encoding="utf-8")


def test_release_build_is_reproducible(tmp_path: Path) -> None:
    upstream = notes_upstream(tmp_path)
    write(upstream, "README.md", "Study notes.\n")  # the tag is later than the notes' commit
    git(upstream, "add", "README.md")
    git(upstream, "commit", "--quiet", "-m", "Readme", time=TAG_TIME)
    git(upstream, "tag", "v1.0.0")

    first = release_build(tagged_clone(upstream, tmp_path / "first"), tmp_path / "runner-1")
    second_clone = tagged_clone(upstream, tmp_path / "second")
    for path in (second_clone / "source_notes").rglob("*"):
        os.utime(path, (BASE_TIME + 12_345, BASE_TIME + 12_345))  # file times do not matter
    second = release_build(second_clone, tmp_path / "runner-2")
    assert first == second
    assert re.fullmatch(r"[0-9a-f]{64}  workflow-deck\.apkg\n", first)

    # The bytes carry the tagged commit's time, not the notes' last commit's.
    def checksum(epoch: int) -> str:
        out = tmp_path / f"at-{epoch}.apkg"
        ankigen(second_clone, "build", "-q", "-o", str(out), env={"SOURCE_DATE_EPOCH": str(epoch)})
        return subprocess.run(
            ["sha256sum", out.name], cwd=out.parent, capture_output=True, text=True, check=True
        ).stdout.split()[0]

    assert checksum(TAG_TIME) == first.split()[0]
    assert checksum(BASE_TIME) != first.split()[0]

    # The publish job verifies what it downloaded (the artifact's files, flat) before it uploads.
    release = tmp_path / "downloaded" / "release"
    release.mkdir(parents=True)
    for name in ("workflow-deck.apkg", "SHA256SUMS"):
        shutil.copy(second_clone / "build" / name, release / name)
    verify = step_running(release_jobs()["publish"], "sha256sum --check")
    runner = Runner(release.parent, tmp_path / "runner-3", GITHUB_EVENT_NAME="push")
    assert "workflow-deck.apkg: OK" in runner.must(verify)
    (release / "workflow-deck.apkg").write_bytes(b"tampered")
    assert runner.run(verify)[0].returncode == 1


# --- CONTRIBUTING.md: its examples are notes that pass ---------------------------------------


def test_contributing_examples_pass_check_and_cover_every_plot_kind(tmp_path: Path) -> None:
    from ankigen.diagrams import KINDS

    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    blocks = [m[1] for m in re.findall(r"^(`{3,4})markdown\n(.*?)^\1$", text, re.S | re.M)]
    notes = tmp_path / "source_notes" / "examples.md"
    notes.parent.mkdir()
    notes.write_text("# Examples\n\n" + "\n".join(blocks), encoding="utf-8")
    ankigen(tmp_path, "check", "--strict")  # fails the test on any problem

    shown = set(re.findall(r"^```plot ([\w-]+)$", "\n".join(blocks), re.M))
    assert shown == set(KINDS), "give every plot kind an example in CONTRIBUTING.md"
    for kind, entry in KINDS.items():
        (row,) = [line for line in text.splitlines() if line.startswith(f"| `{kind}` |")]
        for name in entry.params:
            assert f"`{name}`" in row, f"CONTRIBUTING.md: plot {kind} does not list {name}"


# --- the libraries a release is built with --------------------------------------------------


def test_every_library_ankigen_and_its_tests_load_is_pinned() -> None:
    """constraints.txt pins the whole tree of ankigen's requirements, the test tools included,
    and every way of installing it that a release or CI relies on installs from it."""
    from importlib.metadata import distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    needed, queue = set(), [Requirement("ankigen[test]")]
    while queue:
        requirement = queue.pop()
        name = canonicalize_name(requirement.name)
        if name in needed:
            continue
        needed.add(name)
        extras = requirement.extras or {""}
        for text in distribution(name).requires or []:
            nested = Requirement(text)
            if nested.marker is None or any(nested.marker.evaluate({"extra": e}) for e in extras):
                queue.append(nested)
    assert sorted(needed - {"ankigen"} - set(pins)) == []
    assert all(version.count(".") >= 1 for version in pins.values())
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "pip install -c constraints.txt '.[test]' && pytest" in readme
    assert "pip install -c constraints.txt . && ankigen build" in readme
    for document in (REPO / "docs" / "releases.md", REPO / "CONTRIBUTING.md", RELEASE):
        text = document.read_text(encoding="utf-8")
        assert "pip install . " not in text and "pip install .\n" not in text, document
        assert "pip install -c constraints.txt ." in text, document

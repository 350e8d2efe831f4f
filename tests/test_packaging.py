"""The container, the lock file and the build files agree with each other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lock_pins() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    return {m[1].lower(): m[2] for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", text, re.MULTILINE)}


def test_every_locked_requirement_is_exact_and_hashed() -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements.lock").read_text())
    pinned = [b for b in blocks if re.match(r"[A-Za-z0-9_.\-]+==", b)]
    assert len(pinned) > 50
    assert all("--hash=sha256:" in block for block in pinned)
    assert "torch" not in lock_pins()  # torch comes from requirements-torch.txt / the base image


def test_core_dependencies_are_locked() -> None:
    pins = lock_pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [
        re.split(r"[<>=!~\[ ]", dep)[0].lower()
        for dep in project["dependencies"] + project["optional-dependencies"]["dev"]
    ]
    missing = [n for n in names if n != "torch" and n.replace("_", "-") not in pins]
    assert not missing


def test_docker_base_image_torch_matches_the_torch_pin() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(
        r"^FROM\s+pytorch/pytorch:(\d+\.\d+\.\d+)-cuda[\d.]+-cudnn\d+-runtime\s*$", dockerfile, re.MULTILINE
    )
    assert base, "the base image must be pinned by an exact pytorch/pytorch version tag"
    torch_pin = (ROOT / "requirements-torch.txt").read_text().strip()
    assert torch_pin == f"torch=={base.group(1)}"


def test_dockerfile_installs_the_lock_runs_unprivileged_and_reproduces() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "latexmk" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^VOLUME .*huggingface", dockerfile, re.MULTILINE)
    assert re.search(r'^ENTRYPOINT \["/work/reproduce.sh"\]', dockerfile, re.MULTILINE)


def test_tox_lint_env_uses_the_locked_ruff() -> None:
    tox = (ROOT / "tox.ini").read_text()
    assert f"ruff=={lock_pins()['ruff']}" in tox
    assert "requirements.lock" in tox


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make test" in ci

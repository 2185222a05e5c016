"""The repository's address is written once, as pyproject.toml's [project.urls] Repository; every other
place that names it must agree: the Colab install cell of every chapter and assignment, the grading
environment, _config.yml (launch and repository buttons), the book's address, and any link to the project in
the pages and the README.

Every install names the branch that _config.yml publishes the book and its Colab buttons from, so the
notebook a reader opens and the package it installs come from the same commit."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import tomllib
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
REPOSITORY = PROJECT["urls"]["Repository"]
OWNER, NAME = REPOSITORY.removeprefix("https://github.com/").split("/")
PAGES = f"https://{OWNER}.github.io/{NAME}"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
BRANCH = CONFIG["repository"]["branch"]
REQUIREMENT = f'{PROJECT["name"]} @ git+{REPOSITORY}@{BRANCH}'
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
ASSIGNMENTS = sorted((ROOT / "assignments").glob("*/*.ipynb"))
INSTALL = re.compile(r"[\w.-]+ @ git\+https?://[^\s\"']+")


def first_code_cell(path):
    cells = json.loads(path.read_text())["cells"]
    return next("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_repository_is_a_github_repository():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPOSITORY), REPOSITORY


def test_config_names_the_repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == REPOSITORY
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


def test_homepage_is_the_book_on_github_pages():
    assert PROJECT["urls"]["Homepage"] == PAGES


def test_the_published_branch_exists():
    """The branch every install names is a branch of this repository (a clone has it, or its remote)."""
    refs = subprocess.run(["git", "for-each-ref", "--format=%(refname:lstrip=-1)", "refs/heads", "refs/remotes"],
                          capture_output=True, text=True, cwd=ROOT, check=True).stdout.split()
    assert BRANCH in refs, f"_config.yml publishes from branch {BRANCH!r}, which this repository lacks: {refs}"


@pytest.mark.parametrize("path", NOTEBOOKS + ASSIGNMENTS, ids=lambda p: p.name)
def test_colab_cell_installs_this_repository_from_the_published_branch(path):
    source = first_code_cell(path)
    assert 'if "google.colab" in sys.modules:' in source, f"{path.name}: the install must run on Colab only"
    assert INSTALL.findall(source) == [REQUIREMENT], f"{path.name}: the first code cell must install {REQUIREMENT}"
    assert "%pip" not in source, f"{path.name}: %pip goes on after a failed install; the cell must stop"
    assert "raise RuntimeError(" in source, f"{path.name}: a failed install must stop the notebook"


def test_the_grading_environment_and_the_instructors_page_install_the_same():
    for path in (ROOT / "assignments" / "requirements.txt", ROOT / "book" / "instructors.md"):
        found = set(INSTALL.findall(path.read_text()))
        assert found == {REQUIREMENT}, f"{path.name} installs {found}, expected {REQUIREMENT}"


def test_colab_keeps_its_torch_and_numpy():
    """Installing rnntutor on Colab must not replace the torch and numpy already there: every dependency
    of the package is a lower bound, which Colab's own versions satisfy."""
    for dependency in map(Requirement, PROJECT["dependencies"]):
        operators = {spec.operator for spec in dependency.specifier}
        assert operators <= {">="}, f"{dependency}: the package's dependencies must be lower bounds only"


def test_every_link_to_the_project_is_the_repository_or_the_book():
    project_link = re.compile(rf"https?://(?:www\.)?(?:github\.com/[\w.-]+/{NAME}|[\w-]+\.github\.io/{NAME})(?![\w.-])[^\s\"')<>]*")
    files = [ROOT / "README.md", ROOT / "_config.yml", *sorted((ROOT / "book").glob("*.md")), *NOTEBOOKS]
    stray = [
        f"{path.name}: {link}"
        for path in files
        for link in project_link.findall(path.read_text())
        if not link.startswith((REPOSITORY, PAGES))
    ]
    assert not stray, f"links to {NAME} that are neither {REPOSITORY} nor {PAGES}: {stray}"

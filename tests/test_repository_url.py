"""The repository's address is written once, as pyproject.toml's [project.urls] Repository; every other
place that names it must agree: the Colab install cell of every chapter, _config.yml (launch and
repository buttons), the book's address, and any link to the project in the pages and the README."""

import json
import re
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
COLAB_INSTALL = f'%pip install --quiet "{PROJECT["name"]} @ git+{REPOSITORY}@v{PROJECT["version"]}"'
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_cell_installs_this_repository_at_the_package_version(path):
    lines = [line.strip() for line in first_code_cell(path).splitlines()]
    assert 'if "google.colab" in sys.modules:' in lines, f"{path.name}: the install must run on Colab only"
    assert COLAB_INSTALL in lines, f"{path.name}: the first code cell must hold {COLAB_INSTALL}"


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

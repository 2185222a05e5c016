"""What `pip install` puts on a reader's machine (and on Colab, from the repository): a wheel built from
the sources must hold every module of rnntutor, its subpackages included, and the bundled data. An editable
install, as in .venv, would hide a missing one."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_holds_every_module_and_data_file(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT / "rnntutor", source / "rnntutor", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist")],
        check=True, capture_output=True, cwd=source,
    )
    (wheel,) = (tmp_path / "dist").glob("rnntutor-*.whl")
    packaged = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        path.relative_to(source).as_posix()
        for path in (source / "rnntutor").rglob("*")
        if path.suffix in (".py", ".csv")
    }
    assert expected - packaged == set(), f"missing from the wheel: {sorted(expected - packaged)}"

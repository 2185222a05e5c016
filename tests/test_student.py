"""Student notebooks: solutions removed (tagged cells and solution directives), stubs shown, outputs cleared;
a solution that shares its cell with what must stay is refused; every chapter of the book converts."""

from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat import v4

from rnntutor.student import student_notebook, write_student_notebooks

ROOT = Path(__file__).resolve().parents[1]


def exercise_notebook():
    check = v4.new_code_cell("check_step(step)", execution_count=4,
                             outputs=[v4.new_output("execute_result", {"text/plain": "'✓ right'"}, execution_count=4)])
    check.metadata["mystnb"] = {"image": {"alt": "unused"}}
    cells = [
        v4.new_markdown_cell("## Exercises\n\n```{exercise}\n:label: ex-x-1\nWhy?\n```"),
        v4.new_markdown_cell("```{solution} ex-x-1\n:class: dropdown\nBecause.\n```"),
        v4.new_markdown_cell(":::{solution} ex-x-2\nAlso because.\n:::"),
        v4.new_markdown_cell("```{exercise}\n:label: ex-x-3\nWrite `step`.\n```"),
        v4.new_code_cell("def step(x):\n    raise NotImplementedError", metadata={"tags": ["skeleton", "remove-cell"]}),
        v4.new_markdown_cell("```{solution-start} ex-x-3\n:class: dropdown\n```"),
        v4.new_code_cell("def step(x):\n    return 2 * x", metadata={"tags": ["solution"]}),
        v4.new_markdown_cell("```{solution-end}\n```"),
        check,
        v4.new_markdown_cell("A remark only for the book.", metadata={"tags": ["solution"]}),
        v4.new_markdown_cell("Where to go next."),
    ]
    return v4.new_notebook(cells=cells)


def test_solutions_go_stubs_show_outputs_clear():
    nb = exercise_notebook()
    student = student_notebook(nb)
    sources = [c.source for c in student.cells]
    assert sources == [nb.cells[i].source for i in (0, 3, 4, 8, 10)]
    skeleton, check = student.cells[2], student.cells[3]
    assert skeleton.metadata["tags"] == ["skeleton"]
    assert check.outputs == [] and check.execution_count is None and check.metadata == {}
    assert len(nb.cells) == 11 and nb.cells[8].outputs, "the notebook given must stay unchanged"


@pytest.mark.parametrize("text", [
    "```{exercise}\n:label: ex-x-1\nWhy?\n```\n\n```{solution} ex-x-1\n:class: dropdown\nBecause.\n```",
    "```{solution} ex-x-1\nBecause.\n```\n\n## Next section",
    "```{solution} ex-x-1\nBecause.\n```\n```{solution} ex-x-2\nAlso.\n```",
    "Some words first.\n\n```{solution} ex-x-1\nBecause.\n```",
])
def test_a_solution_sharing_its_cell_is_refused(text):
    nb = v4.new_notebook(cells=[v4.new_code_cell("x = 1"), v4.new_markdown_cell(text)])
    with pytest.raises(ValueError, match=r"chapter\.ipynb, cell 1: a solution directive shares its markdown cell"):
        student_notebook(nb, name="chapter.ipynb")
    nb.cells[1].metadata["tags"] = ["solution"]
    assert [c.source for c in student_notebook(nb).cells] == ["x = 1"]


def test_write_student_notebooks(tmp_path):
    source = tmp_path / "chapter.ipynb"
    nbformat.write(exercise_notebook(), source)
    [written] = write_student_notebooks([source], tmp_path / "student")
    assert written == tmp_path / "student" / "chapter.ipynb"
    assert len(nbformat.read(written, as_version=4).cells) == 5
    with pytest.raises(ValueError, match="holds chapter.ipynb itself"):
        write_student_notebooks([source], tmp_path)
    with pytest.raises(ValueError, match="expected .ipynb notebook files"):
        write_student_notebooks([tmp_path / "missing.ipynb"], tmp_path / "student")
    with pytest.raises(ValueError, match="no notebooks given"):
        write_student_notebooks([], tmp_path / "student")


def toc_notebooks():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [c["file"] for c in toc.get("chapters", [])]
    return [ROOT / f"{e}.ipynb" for e in entries if (ROOT / f"{e}.ipynb").is_file()]


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.name)
def test_every_chapter_has_a_student_version_without_solutions(path):
    nb = nbformat.read(path, as_version=4)
    student = student_notebook(nb, name=path.name)
    assert student.cells[0].source == nb.cells[0].source, "the Colab install cell stays first"
    for cell in student.cells:
        assert "solution" not in cell.metadata.get("tags", []) and "{solution" not in cell.source
        assert cell.cell_type != "code" or (cell.outputs == [] and cell.execution_count is None)
    skeletons = [c for c in student.cells if "skeleton" in c.metadata.get("tags", [])]
    assert all("remove-cell" not in c.metadata["tags"] for c in skeletons)
    assert len(skeletons) == sum("skeleton" in c.metadata.get("tags", []) for c in nb.cells)

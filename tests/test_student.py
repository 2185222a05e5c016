"""Student notebooks: solutions removed (tagged cells and solution directives, also from a cell they share
with an exercise), stubs shown, outputs cleared; every chapter of the book converts."""

import re

import nbformat
import pytest
import yaml
from book_files import ROOT, toc_notebooks
from nbformat import v4

from rnntutor.student import read_references, student_notebook, write_student_notebooks


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
    assert sources == ["## Exercises\n\n**Exercise 1.** Why?", "**Exercise 2.** Write `step`.",
                       *(nb.cells[i].source for i in (4, 8, 10))]
    skeleton, check = student.cells[2], student.cells[3]
    assert skeleton.metadata["tags"] == ["skeleton"]
    assert check.outputs == [] and check.execution_count is None and check.metadata == {}
    assert len(nb.cells) == 11 and nb.cells[8].outputs, "the notebook given must stay unchanged"


@pytest.mark.parametrize("text, kept", [
    ("```{exercise}\n:label: ex-x-1\nWhy?\n```\n\n```{solution} ex-x-1\n:class: dropdown\nBecause.\n```",
     "**Exercise 1.** Why?"),
    ("```{solution} ex-x-1\nBecause.\n```\n\n## Next section", "## Next section"),
    ("Words.\n\n````{solution} ex-x-1\nBecause:\n```python\nx = 1\n```\n````\n:::{solution} ex-x-2\nAlso.\n:::\nEnd.",
     "Words.\n\nEnd."),
    ("A word about `{solution}` directives.\n\n```python\nsolution = 1\n```",
     "A word about `{solution}` directives.\n\n```python\nsolution = 1\n```"),
])
def test_solution_directives_go_from_cells_they_share(text, kept):
    nb = v4.new_notebook(cells=[v4.new_markdown_cell(text)])
    assert [c.source for c in student_notebook(nb).cells] == [kept]


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


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.name)
def test_every_chapter_has_a_student_version_without_solutions(path):
    nb = nbformat.read(path, as_version=4)
    student = student_notebook(nb, read_references(path.parent.parent / "references.bib"), path.parent)
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    assert next(c.source for c in student.cells if c.cell_type == "code") == first_code, "the Colab cell stays first"
    for cell in student.cells:
        assert "solution" not in cell.metadata.get("tags", [])
        assert not re.search(r"^(`{3,}|:{3,})\{solution", cell.source, re.MULTILINE), cell.source
        assert cell.cell_type != "code" or (cell.outputs == [] and cell.execution_count is None)
        if cell.cell_type == "markdown":
            assert not re.search(r"\{[\w:-]+\}`|^\s*(`{3,}|:{3,})\{", cell.source, re.MULTILINE), cell.source
            assert not re.search(r"\([a-z]+\d{4}[a-z]*\)", cell.source), f"a citation key left: {cell.source}"
    skeletons = [c for c in student.cells if "skeleton" in c.metadata.get("tags", [])]
    assert all("remove-cell" not in c.metadata["tags"] for c in skeletons)
    assert len(skeletons) == sum("skeleton" in c.metadata.get("tags", []) for c in nb.cells)


def test_myst_becomes_plain_markdown(tmp_path):
    """Directives, citations, glued values and cross-references as Jupyter and Colab can show them."""
    nbformat.write(v4.new_notebook(cells=[v4.new_markdown_cell("# Other page")]), tmp_path / "other.ipynb")
    (tmp_path / "references.bib").write_text(
        "@article{elman1990,\n  author = {Elman, Jeffrey L.},\n  year = {1990},\n}\n"
        "@article{hochreiter1997,\n  author = {Sepp Hochreiter and J{\\\"u}rgen Schmidhuber},\n  year = {1997}\n}\n"
        "@inproceedings{cho2014,\n  author = {Cho, Kyunghyun and van Merri{\\\"e}nboer, Bart and Bengio, Yoshua},\n"
        "  year = {2014},\n}\n")
    glue = v4.new_output("display_data", {"application/papermill.record/text/plain": "'0.93'"},
                         metadata={"scrapbook": {"name": "accuracy", "mime_prefix": "application/papermill.record/"}})
    number = v4.new_output("display_data", {"application/papermill.record/text/plain": "0.123456"},
                           metadata={"scrapbook": {"name": "loss", "mime_prefix": "application/papermill.record/"}})
    cells = [
        v4.new_markdown_cell("Elman {cite}`elman1990` and later work {cite}`hochreiter1997,cho2014`; "
                             "Cho et al. {cite:p}`cho2014`. Code: `{cite}` and\n```\n{cite}`x`\n```"),
        v4.new_code_cell("glue()", outputs=[glue, number]),
        v4.new_markdown_cell("Right {glue:text}`accuracy` of the time, loss {glue:text}`loss:.2f`; "
                             "see {ref}`ex-z-2`, {ref}`the table <tab-1>` and {doc}`other`."),
        v4.new_markdown_cell("```{exercise}\n:label: ex-z-1\nFirst.\n```\n\n````{exercise}\n:label: ex-z-2\n"
                             "- a list\n\n```{note}\nNested {math}`x^2`.\n```\n````"),
    ]
    source = tmp_path / "chapter.ipynb"
    nbformat.write(v4.new_notebook(cells=cells), source)
    [written] = write_student_notebooks([source], tmp_path / "student")
    student = [c.source for c in nbformat.read(written, as_version=4).cells]
    assert student[0] == ("Elman (1990) and later work (Hochreiter and Schmidhuber, 1997; Cho et al., 2014); "
                          "Cho et al. (2014). Code: `{cite}` and\n```\n{cite}`x`\n```")
    assert student[2] == "Right 0.93 of the time, loss 0.12; see Exercise 2, the table and Other page."
    assert student[3] == "**Exercise 1.** First.\n\n**Exercise 2.**\n\n- a list\n\n**Note.** Nested $x^2$."


def test_command_line(tmp_path, capsys):
    from rnntutor.cli import main

    source = tmp_path / "chapter.ipynb"
    nbformat.write(exercise_notebook(), source)
    assert main(["student", str(source), "--output", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "out" / "chapter.ipynb")
    assert main(["student", str(source), "--output", str(tmp_path)]) == 2
    assert "rnntutor student: error: the output folder" in capsys.readouterr().err


def test_every_solution_form_goes():
    """Untagged cells between {solution-start} and {solution-end}, solutions nested in lists, block quotes and
    admonitions, cells tagged Solution in any case: none reaches the student."""
    cells = [
        v4.new_markdown_cell("```{exercise}\n:label: ex-y-1\nWrite `f`.\n```"),
        v4.new_markdown_cell("```{solution-start} ex-y-1\n:class: dropdown\n```\nThe idea: SECRET-1."),
        v4.new_code_cell("def f():\n    return 'SECRET-2'"),
        v4.new_markdown_cell("Why it works: SECRET-3."),
        v4.new_code_cell("f()  # SECRET-4", metadata={"tags": ["hide-input"]}),
        v4.new_code_cell("def f():\n    raise NotImplementedError", metadata={"tags": ["skeleton", "remove-cell"]}),
        v4.new_markdown_cell("More: SECRET-5\n\n```{solution-end}\n```\n\nBack to the chapter."),
        v4.new_markdown_cell("1. First question.\n\n   ```{solution} ex-y-2\n   SECRET-6\n   ```\n2. Second."),
        v4.new_markdown_cell("> Quoted.\n>\n> :::{solution} ex-y-3\n> SECRET-7\n> :::\n\nAfter the quote."),
        v4.new_markdown_cell("````{admonition} Try it\nDo it.\n\n```{solution} ex-y-4\nSECRET-8\n```\n````"),
        v4.new_markdown_cell("::::{note}\nA note.\n:::{solution} ex-y-5\n:class: dropdown\nSECRET-9\n:::\n::::"),
        v4.new_code_cell("answer = 'SECRET-10'", metadata={"tags": ["Solution"]}),
        v4.new_markdown_cell("SECRET-11", metadata={"tags": ["SOLUTION"]}),
        v4.new_markdown_cell("```{solution-start} ex-y-6\n```\nSECRET-12\n```{solution-end}\n```\nKept too."),
        v4.new_code_cell("print('the end')"),
    ]
    student = student_notebook(v4.new_notebook(cells=cells))
    text = "\n".join(c.source for c in student.cells)
    assert "SECRET" not in text, text
    assert [c.source for c in student.cells] == [
        "**Exercise 1.** Write `f`.", cells[5].source, "Back to the chapter.", "1. First question.\n\n2. Second.",
        "> Quoted.\n>\n\nAfter the quote.", "**Try it.** Do it.", "**Note.** A note.",
        "Kept too.", "print('the end')"]


def test_the_instructors_page_opens_every_student_notebook_on_colab():
    """Each student chapter and assignment has one Colab link, to the file that `make student-notebooks`
    writes and the workflow publishes as the branch student-notebooks, and no link points elsewhere."""
    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    base = "https://colab.research.google.com/github/" + repository.removeprefix("https://github.com/")
    branch = "student-notebooks"
    workflow = (ROOT / ".github" / "workflows" / "student-notebooks.yml").read_text()
    assert "make student-notebooks" in workflow and f"--initial-branch {branch}" in workflow
    recipe = (ROOT / "Makefile").read_text().split("\nstudent-notebooks:")[1].split("\n\n")[0]
    assert "cp student/*.ipynb $(STUDENT_NOTEBOOKS)/chapters/" in recipe
    assert "cp build/assignments/*/student/*.ipynb $(STUDENT_NOTEBOOKS)/assignments/" in recipe
    chapters = {f"chapters/{p.name}" for p in (ROOT / "book").glob("*.ipynb")}
    assignments = {f"assignments/{p.name}" for p in (ROOT / "assignments").glob("*/*.ipynb")
                   if p.stem == p.parent.name}
    assert len(chapters) >= 10 and len(assignments) >= 10
    page = (ROOT / "book" / "instructors.md").read_text()
    links = re.findall(r"\]\((https://colab\.research\.google\.com/[^)]+)\)", page)
    assert sorted(links) == sorted(f"{base}/blob/{branch}/{path}" for path in chapters | assignments)

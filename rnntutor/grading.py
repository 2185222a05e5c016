"""Grade a class: every notebook in a folder, each in its own sandboxed process with a time limit.

    python -m rnntutor.grading AUTOGRADER.zip SUBMISSIONS/ --output grades.csv [--timeout 300]

otter-grader does the grading (``otter.api.grade_submission``, what ``otter run`` calls); this module
runs it once per submission in a child process and collects the scores:

- **Time limit and crash isolation.** A submission whose cells run past ``--timeout`` seconds (counted
  from its first cell), or whose functions keep otter's tests running past as long again, is killed; one
  whose kernel dies (``os._exit``, a segmentation fault) or whose grading fails stops only itself.
  Either is graded again without the cell where it stopped and the cells after it, so that it keeps the
  points of the questions it answered before (or gets 0), and the run goes on.
- **Memory and CPU limits.** Every process of a submission (its kernel, and what it starts) may map at
  most ``--memory`` gigabytes of address space and use at most ``--cpu-time`` CPU seconds (``setrlimit``,
  inherited by the children). An allocation past the memory limit fails in the cell that asked for it
  (``MemoryError``, or torch's "can't allocate memory"): that cell's answers fail, the others are graded,
  and the summary line says which cell it was. A kernel that uses up its CPU seconds is killed, and the
  submission is graded again as when it crashes.
- **Sandbox.** ``--sandbox bwrap`` (the default where bubblewrap works) runs each child with the whole
  file system read-only, only its own temporary folder writable, a private ``/tmp``, no network, its own
  process table and no capabilities; the submissions folder and home folders are hidden.
  ``--sandbox user`` (for root without bubblewrap) runs it as the user ``nobody``: it can write only
  where everyone may (its folder, ``/tmp``), and it can reach the network. ``--sandbox none`` runs it as
  yourself, for submissions you trust. Without bubblewrap and without root, grading stops with one line.
- **Results.** One CSV row per submission: ``submission``, one column per question, ``total``; and one
  summary line per submission (graded, timed out, crashed). The child sends its scores back through a
  pipe that the student's kernel does not inherit.
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .kernels import ATTEMPTS, died_at_start

SANDBOXES = ("auto", "bwrap", "user", "none")
STATUSES = ("graded", "out of memory", "timed out", "crashed")
DEFAULT_TIMEOUT = 300  # seconds the cells of one submission may run, from its first cell
DEFAULT_MEMORY = 4.0  # gigabytes of address space each process of a submission may map
STARTUP_TIMEOUT = 120  # seconds to start Python, otter and the kernel before that
_BWRAP_ISOLATION = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]


@dataclass
class Grade:
    """The outcome for one submission: ``scores`` maps a question to (points, possible)."""

    submission: str
    status: str  # "graded", "out of memory", "timed out", "crashed"
    scores: dict = field(default_factory=dict)
    seconds: float = 0.0
    detail: str = ""

    @property
    def total(self) -> float:
        return sum(points for points, _ in self.scores.values())

    def summary(self, possible: float) -> str:
        line = f"{self.submission}: {self.status}, {_number(self.total)} of {_number(possible)} points"
        line += f" in {self.seconds:.1f} s"
        return line + (f" ({self.detail})" if self.detail else "")


def questions(autograder: Path) -> dict[str, float]:
    """{question: points possible} from the test files in an otter autograder zip."""
    from otter.test_files import ExceptionTestFile

    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(autograder) as z:
        names = [n for n in z.namelist() if n.startswith("tests/") and n.endswith(".py")]
        z.extractall(folder, members=names)
        tests = [ExceptionTestFile.from_file(str(Path(folder) / n)) for n in sorted(names)]
    return {t.name: t.possible for t in sorted(tests, key=lambda t: _natural(t.name))}


def sandbox_available(kind: str) -> str | None:
    """Why the sandbox ``kind`` cannot be used here, or None when it can."""
    if kind == "bwrap":
        if not shutil.which("bwrap"):
            return "bubblewrap is not installed (Debian: apt-get install bubblewrap)"
        probe = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--proc", "/proc", *_BWRAP_ISOLATION, "true"],
                               capture_output=True, text=True)
        if probe.returncode:
            return f"bubblewrap does not work here: {probe.stderr.strip().splitlines()[-1:]}"
    if kind == "user":
        if os.geteuid() != 0:
            return "only root can run submissions as the user nobody"
        try:
            probe = subprocess.run([sys.executable, "-c", "import otter, rnntutor"], capture_output=True, text=True,
                                   user="nobody", group=_nobody_group(), extra_groups=[], cwd="/", timeout=120)
            failed = probe.returncode and (probe.stderr.strip().splitlines() or ["no message"])[-1]
        except (OSError, subprocess.SubprocessError) as error:
            failed = str(error)
        if failed:
            return f"the user nobody cannot run {sys.executable} with otter and rnntutor ({failed})"
    return None


def choose_sandbox(kind: str) -> str:
    """The sandbox to use for ``kind`` ("auto" picks bwrap, else user); raise SystemExit with one line when
    none works."""
    if kind != "auto":
        why = sandbox_available(kind) if kind != "none" else None
        if why:
            raise SystemExit(f"rnntutor.grading: cannot use --sandbox {kind}: {why}")
        return kind
    for candidate in ("bwrap", "user"):
        if sandbox_available(candidate) is None:
            return candidate
    raise SystemExit("rnntutor.grading: no sandbox: install bubblewrap (Debian: sudo apt-get install bubblewrap), "
                     "grade in Docker with `otter grade`, or pass --sandbox none for submissions you trust")


@dataclass(frozen=True)
class Limits:
    """What one submission may use: ``timeout`` seconds of wall-clock time for its cells (and as long again
    for otter's tests), ``memory`` gigabytes of address space and ``cpu_time`` CPU seconds per process
    (default: twice ``timeout``, its cells and its tests)."""

    timeout: float = DEFAULT_TIMEOUT
    memory: float = DEFAULT_MEMORY
    cpu_time: float | None = None

    def __post_init__(self):
        for name in ("timeout", "memory", "cpu_time"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"the {name} limit must be a positive number, got {value!r}")

    @property
    def cpu_seconds(self) -> int:
        return int(round(self.cpu_time if self.cpu_time is not None else 2 * self.timeout))

    @property
    def memory_bytes(self) -> int:
        return int(self.memory * 1024**3)

    def __str__(self) -> str:
        return (f"time limit {_number(self.timeout)} s, memory limit {_number(self.memory)} GB and "
                f"{self.cpu_seconds} CPU seconds per process")


def grade_one(submission: Path, autograder: Path, *, timeout: float = DEFAULT_TIMEOUT, sandbox: str = "none",
              hide: tuple = (), limits: Limits | None = None) -> Grade:
    """Grade ``submission`` in a child process; regrade what ran before the cell where it stopped when it
    timed out or crashed. ``limits`` (default: ``Limits(timeout)``) bounds its time, memory and CPU."""
    start = time.monotonic()
    limits = limits or Limits(timeout)
    try:
        return _grade_one(submission, autograder, limits, sandbox, hide, start)
    except Exception as error:  # the grader's own failure on this submission (an unreadable file, ...)
        return Grade(submission.name, "crashed", {}, time.monotonic() - start, f"{type(error).__name__}: {error}")


def _grade_one(submission: Path, autograder: Path, limits: Limits, sandbox: str, hide: tuple, start: float) -> Grade:
    result, events, problem = _run_child(submission, autograder, limits, sandbox, hide)
    # A kernel that died as it started, before any cell, lost a race for its ports (rnntutor.kernels): not the
    # submission's doing, so it is graded again.
    for _ in range(ATTEMPTS - 1):
        if result is not None or events or not died_at_start(problem[1]):
            break
        result, events, problem = _run_child(submission, autograder, limits, sandbox, hide)
    grade = Grade(submission.name, "graded")
    if result is not None:
        grade.scores = result
        short = _cells_out_of_memory(submission, events)
        if short:
            grade.status = "out of memory"
            grade.detail = (f"{_cells(short)} asked for more memory than the limit of {_number(limits.memory)} GB "
                            "and failed; the rest was graded")
    else:
        grade.status = problem[0]
        grade.detail = problem[1]
        prefix = _cells_before_stop(submission, events)
        if prefix is not None:
            with tempfile.TemporaryDirectory(prefix="rnntutor-prefix-") as folder:
                truncated = Path(folder) / submission.name
                truncated.write_text(json.dumps(prefix))
                os.chmod(folder, 0o755)
                os.chmod(truncated, 0o644)
                again, _, failed = _run_child(truncated, autograder, limits, sandbox, hide)
            if again is not None:
                grade.scores = again
                grade.detail += "; the points of the cells before it kept"
            else:
                grade.detail += f"; graded again without it: {failed[0]} ({failed[1]})"
        elif any(e.startswith("start ") for e in events):
            grade.detail += "; its own cells had all run: 0 points"
        else:
            grade.detail += "; none of its cells ran: 0 points"
    grade.seconds = time.monotonic() - start
    return grade


def grade_folder(autograder: Path, folder: Path, output: Path, *, timeout: float = DEFAULT_TIMEOUT,
                 sandbox: str = "auto", jobs: int = 1, progress: bool = True, echo=print,
                 memory: float = DEFAULT_MEMORY, cpu_time: float | None = None) -> list[Grade]:
    """Grade every .ipynb in ``folder``; write the CSV ``output``; return the grades in file-name order."""
    limits = Limits(timeout, memory, cpu_time)
    autograder, folder, output = Path(autograder).resolve(), Path(folder).resolve(), Path(output).resolve()
    submissions = sorted(folder.glob("*.ipynb"))
    if not submissions:
        raise SystemExit(f"rnntutor.grading: no .ipynb submissions in {folder}")
    sandbox = choose_sandbox(sandbox)
    possible = questions(autograder)
    hide = (folder,)
    echo(f"grading {len(submissions)} submissions to {autograder.name} with sandbox {sandbox}, {limits}")
    from tqdm.auto import tqdm

    grades: dict[Path, Grade] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool, \
            tqdm(total=len(submissions), unit="submission", disable=not progress, file=sys.stderr) as bar:
        futures = {pool.submit(grade_one, s, autograder, sandbox=sandbox, hide=hide, limits=limits): s
                   for s in submissions}
        for future in _as_completed(futures):
            grade = future.result()
            grades[futures[future]] = grade
            bar.update()
            bar.write(grade.summary(sum(possible.values())))
    ordered = [grades[s] for s in submissions]
    write_csv(ordered, possible, output)
    counts = {status: sum(g.status == status for g in ordered) for status in STATUSES}
    echo(f"{output}: {len(ordered)} submissions; " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    return ordered


def write_csv(grades: list[Grade], possible: dict[str, float], output: Path) -> None:
    """One row per submission: the file name, the points of each question, the total."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", *possible, "total"])
        for grade in grades:
            points = [grade.scores.get(q, (0, p))[0] for q, p in possible.items()]
            writer.writerow([grade.submission, *map(_number, points), _number(sum(points))])


# The child process ------------------------------------------------------------------------------------

def _run_child(submission: Path, autograder: Path, limits: Limits, sandbox: str, hide: tuple):
    """Run the worker on a copy of ``submission`` in a fresh folder; return (scores or None, the cell
    events it reported, (status, detail) when it failed)."""
    with tempfile.TemporaryDirectory(prefix="rnntutor-grade-") as work:
        work = Path(work)
        for sub in ("home", "tmp"):
            (work / sub).mkdir()
        shutil.copy(submission, work / submission.name)
        shutil.copy(autograder, work / "autograder.zip")
        read, write = os.pipe()
        command = [sys.executable, "-m", "rnntutor.grading", "--worker", str(write),
                   str(work / submission.name), str(work / "autograder.zip"), str(limits.memory_bytes),
                   str(limits.cpu_seconds)]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work / "home"), "TMPDIR": str(work / "tmp"),
               "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
               **{k: v for k, v in os.environ.items() if k.startswith("RNNTUTOR_") or k == "ATEN_CPU_CAPABILITY"}}
        options = {}
        if sandbox == "bwrap":
            command = _bwrap(work, hide, write) + command
        elif sandbox == "user":
            shutil.chown(work, "nobody")
            for path in work.rglob("*"):
                shutil.chown(path, "nobody")
            options = {"user": "nobody", "group": _nobody_group(), "extra_groups": []}
        lines: list[str] = []
        reader = threading.Thread(target=_read_lines, args=(read, lines), daemon=True)
        child = subprocess.Popen(command, cwd=work, env=env, pass_fds=(write,), start_new_session=True,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 **options)
        os.close(write)
        reader.start()
        stderr = []
        err_reader = threading.Thread(target=lambda: stderr.append(child.stderr.read()), daemon=True)
        err_reader.start()
        problem, launched, last = None, time.monotonic(), f"done {_last_cell_id(submission)}"
        timeout = limits.timeout
        startup = max(STARTUP_TIMEOUT, timeout)
        try:
            while child.poll() is None:
                # Three clocks: starting Python, otter and the kernel (slow on a loaded machine); the
                # submission's cells, from its first; otter's tests, once its last cell is done.
                started = next((t for t, line in lines if line.startswith("start ")), None)
                tested = next((t for t, line in lines if line == last), None)
                now = time.monotonic()
                if started is None and now - launched > startup:
                    problem = ("timed out", f"its kernel did not start within {_number(startup)} s")
                elif tested is None and started is not None and now - started > timeout:
                    problem = ("timed out", f"its cells ran past {_number(timeout)} s")
                elif tested is not None and now - tested > timeout:
                    problem = ("timed out", f"the tests of its functions ran past {_number(timeout)} s")
                if problem:
                    break
                time.sleep(0.1)
        finally:
            _kill_group(child)
        reader.join(timeout=10)
        err_reader.join(timeout=10)
    result, lines = None, [line for _, line in lines]
    reported = [line for line in lines if line.startswith("result ")]
    if len(reported) == 1:
        result = {q: tuple(v) for q, v in json.loads(reported[0][len("result "):]).items()}
    elif reported and problem is None:
        problem = ("crashed", "more than one result reported: something wrote to the grader's pipe")
    if problem is None and result is None:
        tail = (stderr[0] if stderr else b"").decode(errors="replace").strip().splitlines()
        why = tail[-1] if tail else f"exit status {child.returncode}"
        problem = ("crashed", why[:200])
        if any(line == "cpu" for line in lines):
            problem = ("crashed", f"its kernel used up its {limits.cpu_seconds} CPU seconds and was killed")
    return (result if problem is None else None), lines, problem


def _bwrap(work: Path, hide: tuple, fd: int) -> list[str]:
    """The bubblewrap command line: everything read-only, ``work`` writable, a private /tmp, no network, its
    own process table, no capabilities; the submissions folder and home folders hidden."""
    hidden = []
    needed = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(__file__).resolve().parent]
    for path in [*hide, Path.home(), Path("/home"), Path("/root")]:
        path = Path(path).resolve()
        if path.is_dir() and not any(n.is_relative_to(path) for n in needed) and not work.is_relative_to(path):
            hidden += ["--tmpfs", str(path)]
    # The Python environment and the package stay readable where a private /tmp would cover them (a
    # repository cloned under /tmp); read-only, like the rest of the file system.
    kept = [arg for path in dict.fromkeys(needed) for arg in ("--ro-bind", str(path), str(path))]
    return ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", *hidden,
            *kept, "--bind", str(work), str(work), *_BWRAP_ISOLATION, "--chdir", str(work)]


def _nobody_group() -> str:
    import grp

    for name in ("nogroup", "nobody"):
        try:
            grp.getgrnam(name)
            return name
        except KeyError:
            continue
    return "nobody"


def _kill_group(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, 9)
    except (ProcessLookupError, PermissionError):
        pass
    child.wait()


def _read_lines(fd: int, lines: list) -> None:
    with os.fdopen(fd, "r", errors="replace") as f:
        for line in f:
            lines.append((time.monotonic(), line.rstrip("\n")))


def _last_cell_id(submission: Path):
    try:
        return json.loads(submission.read_text())["cells"][-1].get("id")
    except (ValueError, KeyError, IndexError, AttributeError):
        return None


def _cells_before_stop(submission: Path, events: list[str]):
    """The submission without the cell it was executing when it stopped and every cell after it, or None
    when it did not stop in one of its own cells."""
    started = [e.split(" ", 1)[1] for e in events if e.startswith("start ")]
    finished = {e.split(" ", 1)[1] for e in events if e.startswith("done ")}
    if not started or started[-1] in finished:
        return None
    nb = json.loads(submission.read_text())
    ids = [c.get("id") for c in nb["cells"]]
    if started[-1] not in ids:
        return None
    nb["cells"] = nb["cells"][: ids.index(started[-1])]
    return nb


def _cells_out_of_memory(submission: Path, events: list[str]) -> list[int]:
    """The numbers (from 1) of the submission's cells that ran out of memory."""
    short = {e.split(" ", 1)[1] for e in events if e.startswith("memory ")}
    if not short:
        return []
    ids = [c.get("id") for c in json.loads(submission.read_text())["cells"]]
    return [i + 1 for i, cell_id in enumerate(ids) if cell_id in short]


def _cells(numbers: list[int]) -> str:
    return ("cell " if len(numbers) == 1 else "cells ") + ", ".join(map(str, numbers))


def _out_of_memory(cell) -> bool:
    """Whether an executed cell stopped on a failed allocation."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
            if output.get("ename") == "MemoryError" or any(m in text for m in _ALLOCATION_FAILED):
                return True
    return False


_ALLOCATION_FAILED = ("can't allocate memory", "Cannot allocate memory", "std::bad_alloc", "Unable to allocate")


def _limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    """Limit this process and every process it starts: address space, and CPU seconds (SIGXCPU at the
    limit, SIGKILL five seconds later)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))


def _as_completed(futures):
    from concurrent.futures import as_completed

    return as_completed(futures)


def _natural(name: str):
    import re

    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _number(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _worker(fd: int, submission: str, autograder: str, memory_bytes: int, cpu_seconds: int) -> int:
    """In the child: grade with otter, reporting each submission cell as it starts and ends (and "memory ID"
    when it ran out of memory), then the scores, through ``fd`` (which the kernel does not inherit; the
    child is made non-dumpable, so that the kernel, though it runs as the same user, cannot open it through
    /proc). The kernel inherits the child's memory and CPU limits; "cpu" is reported when it used them up."""
    os.set_inheritable(fd, False)
    _limit_resources(memory_bytes, cpu_seconds)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass
    out = os.fdopen(fd, "w", buffering=1)
    ids = {c.get("id") for c in json.loads(Path(submission).read_text()).get("cells", [])} - {None}

    from nbconvert.preprocessors import ExecutePreprocessor

    original = ExecutePreprocessor.preprocess_cell

    def preprocess_cell(self, cell, resources, index):
        mine = cell.get("id") in ids
        if mine:
            out.write(f"start {cell.id}\n")
        result = original(self, cell, resources, index)
        if mine and _out_of_memory(cell):
            out.write(f"memory {cell.id}\n")
        if mine:
            out.write(f"done {cell.id}\n")
        return result

    ExecutePreprocessor.preprocess_cell = preprocess_cell
    from otter.api import grade_submission

    try:
        results = grade_submission(submission, autograder, quiet=True)
    except Exception:
        import resource

        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        if used.ru_utime + used.ru_stime >= cpu_seconds - 1:
            out.write("cpu\n")
        raise
    scores = {name: [r.score, r.possible] for name, r in results.results.items()}
    out.write("result " + json.dumps(scores) + "\n")
    out.close()
    return 0


def main(argv=None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--worker"]:
        return _worker(int(argv[1]), argv[2], argv[3], int(argv[4]), int(argv[5]))
    parser = argparse.ArgumentParser(prog="python -m rnntutor.grading", description=__doc__.split("\n\n")[0])
    parser.add_argument("autograder", type=Path, help="the autograder zip that otter assign wrote")
    parser.add_argument("submissions", type=Path, help="a folder of submitted .ipynb notebooks")
    parser.add_argument("--output", type=Path, default=None, help="the CSV to write (default: grades.csv in "
                        "the submissions folder's parent, named after the folder)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds one submission may run (default {DEFAULT_TIMEOUT})")
    parser.add_argument("--memory", type=float, default=DEFAULT_MEMORY,
                        help=f"gigabytes of address space each process of a submission may map (default "
                             f"{_number(DEFAULT_MEMORY)})")
    parser.add_argument("--cpu-time", type=float, default=None,
                        help="CPU seconds each process of a submission may use (default: twice --timeout)")
    parser.add_argument("--sandbox", choices=SANDBOXES, default="auto",
                        help="bwrap: bubblewrap; user: run as nobody (root only); none: no sandbox (trusted "
                             "submissions only); auto (default): bwrap, else user, else stop")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at the same time (default 1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if not args.autograder.is_file():
        parser.error(f"no autograder zip at {args.autograder}")
    if not args.submissions.is_dir():
        parser.error(f"no folder of submissions at {args.submissions}")
    if args.timeout <= 0 or args.memory <= 0 or (args.cpu_time is not None and args.cpu_time <= 0) or args.jobs < 1:
        parser.error("--timeout, --memory and --cpu-time must be positive and --jobs at least 1")
    output = args.output or args.submissions.resolve().parent / f"{args.submissions.resolve().name}-grades.csv"
    grade_folder(args.autograder, args.submissions, output, timeout=args.timeout, sandbox=args.sandbox,
                 jobs=args.jobs, progress=not args.no_progress, memory=args.memory, cpu_time=args.cpu_time)
    return 0


if __name__ == "__main__":
    sys.exit(main())

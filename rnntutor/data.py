"""Data sets that ship inside the package, so that the book runs with no network.

``load_airline()`` returns the monthly totals of international airline passengers, 1949 to 1960
(Box and Jenkins' series G): the series of the forecasting chapter.
``load_tinyshakespeare()`` returns the text of the chapter on generating text.
"""

from __future__ import annotations

import csv
import warnings
from importlib import resources
from pathlib import Path

import numpy as np


class DataError(ValueError):
    """A data file that cannot be read as the series that was asked for."""


#: Cells that :func:`read_series` reads as "no value" when asked to drop or keep missing values (any case).
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none"})


def read_series(path, column=1, date_column=0, *, missing="error") -> tuple[np.ndarray, np.ndarray]:
    """Read one numeric column of a CSV file with a header row.

    ``column`` and ``date_column`` are a header name or a 0-based index; ``date_column=None`` reads no
    dates. Returns ``(dates, values)``: dates as strings (or ``None``) and values as float64.
    Empty rows are skipped. A missing value (empty, ``NA``, ``NaN``, ``null``, ...) is an error with
    ``missing="error"``; with ``"drop"`` its row is skipped too, and a warning says how many rows were
    dropped and which; with ``"keep"`` its row stays, with the value NaN (rows keep their positions).
    Raises :class:`DataError` for a missing or unreadable file, an unknown column or a value that is not
    a number.
    """
    if missing not in ("error", "drop", "keep"):
        raise ValueError(f"missing must be 'error', 'drop' or 'keep', got {missing!r}")
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: not a readable CSV text file ({exc})") from None
    if len(rows) < 2:
        raise DataError(f"{path}: expected a header row and at least one data row, found {len(rows)} rows")
    header = rows[0]
    value_index = _column_index(header, column, path)
    date_index = None if date_column is None else _column_index(header, date_column, path)
    dates, values, dropped = [], [], []
    for line, row in enumerate(rows[1:], start=2):
        cell = row[value_index].strip() if value_index < len(row) else ""
        absent = missing != "error" and cell.lower() in MISSING
        if not any(c.strip() for c in row) or (missing == "drop" and absent):
            dropped.append(line)
            continue
        try:
            values.append(np.nan if absent else float(cell))
        except ValueError:
            raise DataError(
                f"{path}, row {line}: column {header[value_index]!r} must hold numbers, found {cell!r}"
            ) from None
        if date_index is not None:
            dates.append(row[date_index].strip() if date_index < len(row) else "")
    if not values or np.all(np.isnan(values)):
        raise DataError(f"{path}: column {header[value_index]!r} holds no values")
    if missing == "drop" and dropped:
        shown = ", ".join(map(str, dropped[:10])) + (", ..." if len(dropped) > 10 else "")
        warnings.warn(f"{path}: dropped {len(dropped)} empty row{'s' * (len(dropped) > 1)} or rows with no "
                      f"value in column {header[value_index]!r} (rows {shown})", stacklevel=2)
    return (None if date_index is None else np.array(dates)), np.array(values, dtype=np.float64)


def _column_index(header: list[str], column, path: Path) -> int:
    if isinstance(column, int) and not isinstance(column, bool):
        if not 0 <= column < len(header):
            raise DataError(f"{path}: column index {column} is out of range; the file has {len(header)} "
                            f"columns: {', '.join(header)}")
        return column
    if column in header:
        return header.index(column)
    raise DataError(f"{path}: no column {column!r}; the columns are: {', '.join(header)}")


def airline_path() -> Path:
    """Path of the bundled airline passengers CSV (columns ``Month``, ``Passengers``)."""
    return Path(str(resources.files("rnntutor") / "datasets" / "airline-passengers.csv"))


def load_airline() -> tuple[np.ndarray, np.ndarray]:
    """Monthly international airline passengers, thousands, January 1949 to December 1960.

    Returns ``(months, passengers)``: 144 months as ``datetime64[M]`` and 144 totals as float64.
    Source: Box, Jenkins and Reinsel, *Time Series Analysis*, series G.
    """
    dates, values = read_series(airline_path(), column="Passengers", date_column="Month")
    return dates.astype("datetime64[M]"), values


#: sha256 of the uncompressed tiny Shakespeare text, as published with Karpathy's char-rnn.
TINYSHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
#: The held-out part of tiny Shakespeare starts here: its last 10 % (111,540 characters), never trained on.
TINYSHAKESPEARE_HELD_OUT = 1_003_854


def load_tinyshakespeare(part: str = "all") -> str:
    """The tiny Shakespeare text of Karpathy's char-rnn: 1,115,394 characters of plays, public domain.

    ``part`` is ``"all"``, ``"train"`` (the first 90 %) or ``"held_out"`` (the last 10 %, from character
    :data:`TINYSHAKESPEARE_HELD_OUT`, which the book never trains on). The file ships gzip-compressed in
    ``rnntutor/datasets``; its text is checked against :data:`TINYSHAKESPEARE_SHA256`.
    Source: https://github.com/karpathy/char-rnn (data/tinyshakespeare/input.txt), works of Shakespeare.
    """
    import gzip
    import hashlib

    parts = {"all": slice(None), "train": slice(None, TINYSHAKESPEARE_HELD_OUT),
             "held_out": slice(TINYSHAKESPEARE_HELD_OUT, None)}
    if part not in parts:
        raise ValueError(f"part must be one of {', '.join(map(repr, parts))}, got {part!r}")
    raw = gzip.decompress((resources.files("rnntutor") / "datasets" / "tinyshakespeare.txt.gz").read_bytes())
    if hashlib.sha256(raw).hexdigest() != TINYSHAKESPEARE_SHA256:
        raise DataError("the bundled tinyshakespeare.txt.gz does not hold the published text (sha256 differs)")
    return raw.decode("utf-8")[parts[part]]


def charlm_checkpoint_path() -> Path:
    """Path of the character-level LSTM trained on tiny Shakespeare that the chapter "Generating text" loads
    (with :func:`rnntutor.charlm.load_checkpoint`); ``tools/train_charlm.py`` writes it."""
    return Path(str(resources.files("rnntutor") / "datasets" / "charlm.pt"))

"""Data sets that ship inside the package, so that the book runs with no network.

``load_airline()`` returns the monthly totals of international airline passengers, 1949 to 1960
(Box and Jenkins' series G): the series of the forecasting chapter.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import numpy as np


class DataError(ValueError):
    """A data file that cannot be read as the series that was asked for."""


def read_series(path, column=1, date_column=0) -> tuple[np.ndarray, np.ndarray]:
    """Read one numeric column of a CSV file with a header row.

    ``column`` and ``date_column`` are a header name or a 0-based index; ``date_column=None`` reads no
    dates. Returns ``(dates, values)``: dates as strings (or ``None``) and values as float64.
    Raises :class:`DataError` for a missing file, an unknown column or a value that is not a number.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise DataError(f"{path}: expected a header row and at least one data row, found {len(rows)} rows")
    header, body = rows[0], [row for row in rows[1:] if any(cell.strip() for cell in row)]
    value_index = _column_index(header, column, path)
    date_index = None if date_column is None else _column_index(header, date_column, path)
    values = []
    for line, row in enumerate(body, start=2):
        cell = row[value_index].strip() if value_index < len(row) else ""
        try:
            values.append(float(cell))
        except ValueError:
            raise DataError(
                f"{path}, row {line}: column {header[value_index]!r} must hold numbers, found {cell!r}"
            ) from None
    dates = None if date_index is None else np.array([row[date_index].strip() for row in body])
    return dates, np.array(values, dtype=np.float64)


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

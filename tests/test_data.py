import numpy as np
import pytest

from rnntutor import DataError, load_airline, read_series


def test_bundled_airline_series_is_box_and_jenkins_series_g():
    months, passengers = load_airline()
    assert passengers.shape == (144,)
    assert passengers.sum() == 40363
    assert passengers.min() == 104
    assert passengers.max() == 622
    assert months[0] == np.datetime64("1949-01") and months[-1] == np.datetime64("1960-12")
    assert (np.diff(months) == np.timedelta64(1, "M")).all()


def write(tmp_path, text):
    path = tmp_path / "series.csv"
    path.write_text(text)
    return path


def test_read_series_by_name_and_index_skips_empty_rows(tmp_path):
    path = write(tmp_path, "day,a,b\n2020-01-01,1,10\n\n2020-01-02,2,20\n,,\n")
    dates, values = read_series(path, column="b", date_column="day")
    assert list(dates) == ["2020-01-01", "2020-01-02"]
    assert values.tolist() == [10.0, 20.0]
    assert read_series(path, column=1, date_column=None)[1].tolist() == [1.0, 2.0]


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="no such file: .*absent.csv"):
        read_series(tmp_path / "absent.csv")


def test_non_numeric_column_names_row_and_value(tmp_path):
    path = write(tmp_path, "when,what\n1949-01,112\n1949-02,many\n")
    with pytest.raises(DataError, match=r"row 3: column 'what' must hold numbers, found 'many'"):
        read_series(path)


@pytest.mark.parametrize("column", ["Passengers", 5])
def test_unknown_column_lists_the_columns(tmp_path, column):
    path = write(tmp_path, "when,what\n1949-01,112\n")
    with pytest.raises(DataError, match="when, what"):
        read_series(path, column=column)


def test_missing_values_are_an_error_dropped_with_a_warning_or_kept_in_place(tmp_path):
    path = write(tmp_path, "when,what\n1949-01,112\n1949-02,\n\n1949-03,NA\n1949-04,nan\n1949-05,118\n")
    with pytest.warns(UserWarning, match=r"dropped 4 empty rows or rows with no value in column 'what' "
                                         r"\(rows 3, 4, 5, 6\)"):
        dates, values = read_series(path, missing="drop")
    assert dates.tolist() == ["1949-01", "1949-05"] and values.tolist() == [112.0, 118.0]
    dates, values = read_series(path, missing="keep")  # only the empty row goes
    assert dates.tolist() == ["1949-01", "1949-02", "1949-03", "1949-04", "1949-05"]
    assert values[[0, 4]].tolist() == [112.0, 118.0] and np.isnan(values[1:4]).all()
    with pytest.raises(DataError, match="row 3: column 'what' must hold numbers, found ''"):
        read_series(path)
    with pytest.raises(ValueError, match="missing must be 'error', 'drop' or 'keep', got 'skip'"):
        read_series(path, missing="skip")


def test_a_column_without_values_and_a_file_that_is_not_text_are_named(tmp_path):
    with pytest.raises(DataError, match="column 'what' holds no values"):
        read_series(write(tmp_path, "when,what\n1949-01,\n"), missing="drop")
    with pytest.raises(DataError, match="column 'what' holds no values"):
        read_series(write(tmp_path, "when,what\n1949-01,\n"), missing="keep")
    path = tmp_path / "binary.csv"
    path.write_bytes(b"when,what\n\xff\xfe,1\n")
    with pytest.raises(DataError, match="not a readable CSV text file"):
        read_series(path)

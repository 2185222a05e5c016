import json

import pytest

import rnntutor
from rnntutor.claims import ClaimError, claim, glue


def test_a_claim_that_holds_prints_its_statement(capsys):
    claim(3 > 2, "three is more than two")
    assert capsys.readouterr().out == "✓ three is more than two\n"


def test_a_claim_that_fails_raises_and_quotes_it():
    with pytest.raises(ClaimError, match="the book claims that the GRU wins, but this run does not show it"):
        claim(False, "the GRU wins")
    assert issubclass(ClaimError, AssertionError)


@pytest.mark.parametrize("statement", ["", "  ", None, 3])
def test_a_claim_needs_a_statement(statement):
    with pytest.raises(TypeError, match="non-empty str"):
        claim(True, statement)


def test_glue_writes_what_myst_nb_reads(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda data, raw, metadata: shown.append((data, metadata)))
    glue("rmse_lstm", 15.04, ".1f")
    data, metadata = shown[0]
    assert data == {"application/papermill.record/text/plain": "'15.0'"}
    assert metadata == {"scrapbook": {"name": "rmse_lstm", "mime_prefix": "application/papermill.record/"}}
    json.dumps(data)


def test_glue_with_myst_nb_matches_its_own_glue(monkeypatch):
    myst_glue = pytest.importorskip("myst_nb").glue
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda data, raw, metadata: shown.append((data, metadata)))
    glue("answer", "42")
    monkeypatch.setattr("myst_nb.ext.glue.ipy_display", lambda data, raw, metadata: shown.append((data, metadata)))
    myst_glue("answer", "42", display=False)
    assert shown[0] == shown[1]


def test_glue_names_must_be_identifiers():
    with pytest.raises(ValueError, match="Python identifier"):
        glue("rmse lstm", 1.0)
    assert rnntutor.glue is glue and rnntutor.claim is claim

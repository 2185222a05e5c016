"""The self-check of the shared-weight gradient passes the sum over steps and names each usual mistake."""

import pytest
import torch

from rnntutor.checks import check_whh_gradient


def whh_gradient(h, delta):
    return torch.einsum("tbi,tbj->ij", delta, h[:-1])


def test_the_sum_of_per_step_contributions_passes():
    result = check_whh_gradient(whh_gradient)
    assert result and repr(result).startswith("✓")
    loop = check_whh_gradient(lambda h, d: sum(d[t].T @ h[t] for t in range(len(d))))
    assert loop


@pytest.mark.parametrize("bad, words", [
    (lambda h, d: torch.einsum("tbi,tbj->ij", d, h[1:]), "off by one step"),
    (lambda h, d: whh_gradient(h, d).T, "transposed"),
    (lambda h, d: d[-1].T @ h[-2], "only the last step"),
    (lambda h, d: d[0].T @ h[0], "only the first step"),
    (lambda h, d: whh_gradient(h, d) / len(d), "averaged over the 4 steps"),
    (lambda h, d: whh_gradient(h, d) / d.shape[1], "averaged over the batch"),
    (lambda h, d: torch.einsum("tbi,tbj->tij", d, h[:-1]), "one matrix per step"),
    (lambda h, d: torch.einsum("tbi,tbj->bij", d, h[:-1]), "one matrix per sequence"),
    (lambda h, d: 2 * whh_gradient(h, d), "not by one of the usual mistakes"),
    (lambda h, d: d @ h, "raised RuntimeError"),
])
def test_usual_mistakes_are_named(bad, words):
    result = check_whh_gradient(bad)
    assert not result and words in result.message

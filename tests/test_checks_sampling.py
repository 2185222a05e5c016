import math

import pytest
import torch

from rnntutor.checks.sampling import check_sampling_probabilities


def correct(logits, temperature, k):
    kth = logits.topk(k, dim=-1).values[..., -1:]
    return torch.softmax(logits.masked_fill(logits < kth, -math.inf) / temperature, dim=-1)


def test_a_correct_distribution_passes_in_float32_too():
    result = check_sampling_probabilities(correct)
    assert result and str(result).startswith("✓")
    assert check_sampling_probabilities(lambda z, T, k: correct(z.float(), T, k))


def masked(z, k, fill):
    return z.masked_fill(z < z.topk(k, -1).values[..., -1:], fill)


@pytest.mark.parametrize("wrong, named", [
    (lambda z, T, k: correct(z * T, 1.0, k), "multiplied the scores by the temperature"),
    (lambda z, T, k: correct(z, 1.0, k), "the temperature is missing"),
    (lambda z, T, k: torch.softmax(z / T, -1) * (z >= z.topk(k, -1).values[..., -1:]), "no longer sum to 1"),
    (lambda z, T, k: torch.softmax(masked(z, k, 0.0) / T, -1), "set the scores outside the top k to 0"),
    (lambda z, T, k: torch.softmax(z.masked_fill(z > z.topk(k, -1, largest=False).values[..., -1:], -math.inf) / T, -1),
     "kept the k smallest"),
    (lambda z, T, k: correct(z, T, min(k + 1, z.shape[-1])), "kept k + 1 scores"),
    (lambda z, T, k: torch.softmax(masked(z, k, -math.inf) / T, 0), "softmax over the wrong axis"),
    (lambda z, T, k: correct(z, T, k)[:, :-1], "one probability per score"),
    (lambda z, T, k: correct(z, T, k).tolist(), "return a torch.Tensor"),
    (lambda z, T, k: correct(z, T, k) * 1.01, "not by one of the usual mistakes"),
    (lambda z, T, k: 1 / 0, "raised ZeroDivisionError"),
])
def test_each_typical_mistake_is_named(wrong, named):
    result = check_sampling_probabilities(wrong)
    assert not result and named in str(result) and str(result).startswith("✗")

import pytest
import torch

from rnntutor.checks.masking import check_last_real_output, check_masked_mean


def masked_mean(losses, lengths):
    """Written without the package's mask: a loop over the sequences' real steps."""
    real = torch.cat([row[:n] for row, n in zip(losses, lengths.tolist(), strict=True)])
    return real.mean()


def last_real_output(output, lengths):
    return torch.stack([output[b, n - 1] for b, n in enumerate(lengths.tolist())])


def test_right_answers_pass_in_float32_too():
    assert check_masked_mean(masked_mean)
    assert check_masked_mean(lambda x, n: masked_mean(x.float(), n))
    assert check_last_real_output(last_real_output)
    assert str(check_last_real_output(lambda x, n: last_real_output(x, n).float())).startswith("✓")


def keep(x, n, shift=0):
    return torch.arange(x.shape[1]) < n[:, None] + shift


@pytest.mark.parametrize("wrong, named", [
    (lambda x, n: x.mean(), "padding included"),
    (lambda x, n: (x * keep(x, n)).sum() / x.numel(), "divided by every step"),
    (lambda x, n: torch.stack([row[:k].mean() for row, k in zip(x, n.tolist(), strict=True)]).mean(),
     "then the sequences"),
    (lambda x, n: x[keep(x, n, 1)].mean(), "keeps one padded step"),
    (lambda x, n: x[keep(x, n, -1)].mean(), "drops each sequence's last real step"),
    (lambda x, n: masked_mean(x, n) * 1.01, "not by one of the usual mistakes"),
    (lambda x, n: x.sum(1), "return one number"),
    (lambda x, n: 1 / 0, "raised ZeroDivisionError"),
])
def test_each_masked_mean_mistake_is_named(wrong, named):
    result = check_masked_mean(wrong)
    assert not result and named in str(result) and str(result).startswith("✗")


@pytest.mark.parametrize("wrong, named", [
    (lambda y, n: y[:, -1], "the last padded step"),
    (lambda y, n: y[torch.arange(len(n)), n.clamp(max=y.shape[1] - 1)], "one past the last real step"),
    (lambda y, n: y[:, 0], "not one of the usual mistakes"),
    (lambda y, n: y[:, -1, 0], "shape (batch, H)"),
    (lambda y, n: y[n], "raised IndexError"),
])
def test_each_last_real_output_mistake_is_named(wrong, named):
    result = check_last_real_output(wrong)
    assert not result and named in str(result) and str(result).startswith("✗")

import pytest
import torch

from rnntutor.checks import check_adding_target


def correct(x):
    return (x[..., 0] * x[..., 1]).sum(1)


def test_a_correct_target_passes():
    result = check_adding_target(correct)
    assert result and str(result).startswith("✓")


def test_a_float64_target_passes():
    assert check_adding_target(lambda x: correct(x.double()))


def marked_pairs(x):
    return [v[m == 1] for v, m in zip(x[..., 0], x[..., 1], strict=True)]


@pytest.mark.parametrize("wrong, named", [
    (lambda x: x[..., 0] * x[..., 1], "add over the time axis, dim 1"),
    (lambda x: x.sum(1), "multiply the values x[..., 0] by the markers"),
    (lambda x: correct(x).unsqueeze(1), "drop the last axis"),
    (lambda x: (x[..., 0] * x[..., 1]).sum(0), "added over the batch axis"),
    (lambda x: (x[..., 0] * x[..., 1]).sum(), "added over everything"),
    (lambda x: x[..., 0].sum(1), "you added every value"),
    (lambda x: x[..., 1].sum(1), "you added the markers"),
    (lambda x: correct(x) / 2, "the mean of the two marked values"),
    (lambda x: torch.stack([v.prod() for v in marked_pairs(x)]), "the product"),
    (lambda x: torch.stack([v[0] for v in marked_pairs(x)]), "only the first marked value"),
    (lambda x: torch.stack([v[1] for v in marked_pairs(x)]), "only the second marked value"),
    (lambda x: x[:, -1, 0], "the value at the last step"),
    (lambda x: correct(x) + 0.1, "differ from v_i + v_j by up to 0.1"),
])
def test_each_typical_mistake_is_named(wrong, named):
    result = check_adding_target(wrong)
    assert not result
    assert str(result).startswith("✗") and named in str(result)


def test_a_function_that_raises_is_reported():
    def broken(x):
        raise NotImplementedError

    result = check_adding_target(broken)
    assert not result and "raised NotImplementedError" in str(result)


def test_writing_to_x_is_caught():
    def in_place(x):
        x[..., 0] *= x[..., 1]
        return x[..., 0].sum(1)

    result = check_adding_target(in_place)
    assert not result and "changed x in place" in str(result)


def test_a_list_is_refused():
    result = check_adding_target(lambda x: correct(x).tolist())
    assert not result and "got list" in str(result)

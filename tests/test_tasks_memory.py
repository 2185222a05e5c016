import pytest
import torch

from rnntutor.tasks import adding_problem


def test_adding_problem_shapes_and_types():
    x, y = adding_problem(6, 9, generator=torch.Generator().manual_seed(0))
    assert x.shape == (6, 9, 2) and x.dtype == torch.float32
    assert y.shape == (6,) and y.dtype == torch.float32


@pytest.mark.parametrize("length", [2, 3, 7, 10])
def test_two_markers_one_in_each_half(length):
    x, _ = adding_problem(500, length, generator=torch.Generator().manual_seed(length))
    markers = x[..., 1]
    half = length // 2
    assert set(markers.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(markers[:, :half].sum(1), torch.ones(500))
    assert torch.equal(markers[:, half:].sum(1), torch.ones(500))


def test_target_is_the_sum_of_the_marked_values():
    x, y = adding_problem(200, 12, generator=torch.Generator().manual_seed(1))
    values, markers = x[..., 0], x[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    expected = torch.tensor([sum(v for v, m in zip(vs, ms, strict=True) if m == 1) for vs, ms in
                             zip(values.tolist(), markers.tolist(), strict=True)])
    torch.testing.assert_close(y, expected)


def test_every_position_of_each_half_is_marked_sometimes():
    x, _ = adding_problem(2000, 7, generator=torch.Generator().manual_seed(2))
    first, second = x[:, :3, 1].argmax(1), 3 + x[:, 3:, 1].argmax(1)
    assert set(first.tolist()) == {0, 1, 2}
    assert set(second.tolist()) == {3, 4, 5, 6}


def test_the_documented_baselines():
    """Always predicting 1 gives MSE 1/6; remembering only the second value gives 1/12."""
    x, y = adding_problem(200_000, 6, generator=torch.Generator().manual_seed(3))
    assert float(((y - 1) ** 2).mean()) == pytest.approx(1 / 6, abs=2e-3)
    second = (x[:, 3:, 0] * x[:, 3:, 1]).sum(1)
    assert float(((y - (second + 0.5)) ** 2).mean()) == pytest.approx(1 / 12, abs=1e-3)


def test_adding_problem_is_reproducible_with_a_generator():
    a = adding_problem(4, 8, generator=torch.Generator().manual_seed(5))
    b = adding_problem(4, 8, generator=torch.Generator().manual_seed(5))
    c = adding_problem(4, 8, generator=torch.Generator().manual_seed(6))
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))
    assert not torch.equal(a[0], c[0])


@pytest.mark.parametrize("batch, length, message", [(0, 5, "batch must be a positive int"),
                                                    (2, 2.5, "length must be a positive int"),
                                                    (2, True, "length must be a positive int"),
                                                    (2, 1, "length must be at least 2")])
def test_adding_problem_refuses_bad_sizes(batch, length, message):
    with pytest.raises(ValueError, match=message):
        adding_problem(batch, length)

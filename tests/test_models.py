import pytest
import torch

from rnntutor.models import SequenceModel, WindowModel
from rnntutor.tasks import first_symbol


def test_first_symbol_targets_are_the_first_one_hot_symbol():
    x, y = first_symbol(5, 7, symbols=3, generator=torch.Generator().manual_seed(0))
    assert x.shape == (5, 7, 3) and y.shape == (5,)
    assert torch.equal(x.sum(-1), torch.ones(5, 7))
    assert torch.equal(x[:, 0].argmax(-1), y)


def test_first_symbol_is_reproducible_with_a_generator():
    a = first_symbol(4, 6, generator=torch.Generator().manual_seed(1))
    b = first_symbol(4, 6, generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))


@pytest.mark.parametrize("kwargs", [{"batch": 0, "length": 3}, {"batch": 2, "length": 2.5},
                                    {"batch": 2, "length": 3, "symbols": 1}])
def test_first_symbol_refuses_bad_sizes(kwargs):
    with pytest.raises(ValueError, match="must be"):
        first_symbol(**kwargs)


def test_window_model_sees_only_its_window():
    model = WindowModel(window=3, input_size=2, hidden_size=5, output_size=1)
    x = torch.randn(4, 10, 2)
    changed = x.clone()
    changed[:, :7] = torch.randn(4, 7, 2)  # everything before the last 3 steps
    assert torch.equal(model(x), model(changed))
    changed[:, -1] += 1.0
    assert not torch.equal(model(x), model(changed))


def test_window_model_pads_short_sequences_on_the_left_with_zeros():
    model = WindowModel(window=4, input_size=2, hidden_size=5, output_size=1)
    x = torch.randn(3, 2, 2)
    padded = torch.cat([torch.zeros(3, 2, 2), x], dim=1)
    assert torch.equal(model(x), model(padded))


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_sequence_model_is_its_layer_at_the_last_step_then_the_head(kind):
    model = SequenceModel(kind, input_size=3, hidden_size=4, output_size=2)
    x = torch.randn(5, 6, 3)
    outputs, _ = model.recurrent(x)
    assert torch.allclose(model(x), model.head(outputs[:, -1]))
    torch_layer = getattr(torch.nn, kind.upper())(3, 4, batch_first=True)
    torch_layer.load_state_dict(model.recurrent.state_dict())
    assert torch.allclose(model(x), model.head(torch_layer(x)[0][:, -1]), atol=1e-6)
    assert model(torch.randn(5, 11, 3)).shape == (5, 2)  # any length, same parameters


def test_models_refuse_bad_arguments():
    with pytest.raises(ValueError, match="kind must be one of"):
        SequenceModel("transformer", 1, 1, 1)
    with pytest.raises(ValueError, match="window must be a positive int"):
        WindowModel(0, 1, 1, 1)
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, length, features\)"):
        WindowModel(2, 1, 1, 1)(torch.randn(3, 1))

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


def test_pooled_conv_model_runs_on_any_length_and_sees_every_step():
    from rnntutor.models import PooledConvModel

    torch.manual_seed(0)
    model = PooledConvModel(input_size=2, channels=6, kernel_size=3, output_size=4)
    for length in (1, 5, 40):
        assert model(torch.randn(3, length, 2)).shape == (3, 4)
    x = torch.randn(3, 40, 2)
    changed = x.clone()
    changed[:, 0] += 5.0  # the first step, far outside any window of the last steps
    assert not torch.equal(model(x), model(changed))


def test_pooled_conv_model_ignores_the_order_of_far_apart_patterns():
    from rnntutor.models import PooledConvModel

    model = PooledConvModel(input_size=1, channels=4, kernel_size=2, output_size=1)
    a = torch.zeros(1, 20, 1)
    a[0, 3], a[0, 15] = 1.0, -1.0
    b = torch.zeros(1, 20, 1)
    b[0, 3], b[0, 15] = -1.0, 1.0
    assert torch.allclose(model(a), model(b))  # the same two isolated commands, in the other order


@pytest.mark.parametrize("kwargs", [{"channels": 0}, {"kernel_size": 1.5}])
def test_pooled_conv_model_refuses_bad_sizes(kwargs):
    from rnntutor.models import PooledConvModel

    with pytest.raises(ValueError, match="must be"):
        PooledConvModel(**{"input_size": 2, "channels": 3, "kernel_size": 2, "output_size": 1, **kwargs})


def test_pooled_conv_model_computes_a_conv1d_with_global_max_pooling():
    from rnntutor.models import PooledConvModel

    torch.manual_seed(0)
    model = PooledConvModel(input_size=3, channels=5, kernel_size=2, output_size=4)
    conv = torch.nn.Conv1d(3, 5, 2)
    x = torch.randn(2, 7, 3)
    with torch.no_grad():
        conv.weight.copy_(model.filters.weight.view(5, 2, 3).transpose(1, 2))
        conv.bias.copy_(model.filters.bias)
        expected = model.head(torch.relu(conv(torch.nn.functional.pad(x.transpose(1, 2), (1, 1)))).amax(-1))
        assert torch.allclose(model(x), expected, atol=1e-6)

import math

import pytest
import torch
from torch import nn

from rnntutor.train import History, evaluate, fit

mse = nn.functional.mse_loss


def regression(n=128, seed=0):
    """y = x @ w + noise: a linear model can learn it to the noise level 0.01."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1 * torch.randn(n, 1, generator=g)
    return x, y


def model(seed=0):
    torch.manual_seed(seed)
    return nn.Linear(3, 1)


def test_loss_falls_from_its_initial_value_to_the_noise_level():
    x, y = regression()
    net = model()
    initial = evaluate(net, mse, (x, y))
    history = fit(net, mse, (x, y), epochs=60, lr=0.05, batch_size=16, seed=0)
    assert history.epochs == 60 and len(history.train_loss) == 60
    assert history.train_loss[-1] < 0.05 * initial
    assert evaluate(net, mse, (x, y)) < 0.02  # noise variance 0.01
    assert len(history.grad_norms) == 60 * 8  # 128 samples in batches of 16
    assert history.best_epoch is None and history.val_loss == []


def test_same_seed_same_run_and_a_list_of_batches_works():
    x, y = regression()
    runs = [fit(model(), mse, (x, y), epochs=5, lr=0.05, batch_size=16, seed=3).train_loss for _ in range(2)]
    assert runs[0] == runs[1]
    batches = list(zip(x.split(32), y.split(32), strict=True))
    history = fit(model(), mse, batches, epochs=5, lr=0.05)
    assert len(history.grad_norms) == 5 * 4 and history.train_loss[-1] < history.train_loss[0]


def test_early_stopping_restores_the_weights_of_the_best_epoch():
    # Fitting pure noise: the validation loss rises once the model starts to memorise the training set.
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(20, 30, generator=g), torch.randn(20, 1, generator=g)
    xv, yv = torch.randn(50, 30, generator=g), torch.randn(50, 1, generator=g)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(30, 64), nn.Tanh(), nn.Linear(64, 1))
    history = fit(net, mse, (x, y), epochs=500, lr=0.01, val=(xv, yv), patience=10)
    assert history.stopped_early
    assert history.epochs == history.best_epoch + 11
    assert history.best_val_loss == min(history.val_loss)
    assert min(history.val_loss) < history.val_loss[-1]
    assert evaluate(net, mse, (xv, yv)) == pytest.approx(history.best_val_loss, rel=1e-6)


class RecordingSGD(torch.optim.SGD):
    """SGD that records the global gradient norm it is handed at each step."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.norms = []

    def step(self, closure=None):
        grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
        self.norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))
        return super().step(closure)


def test_clipping_bounds_the_norm_of_every_step():
    x, y = regression()
    y = 100 * y  # large errors, large gradients
    net = model()
    opt = RecordingSGD(net.parameters(), lr=1e-3)
    history = fit(net, mse, (x, y), epochs=3, optimizer=opt, batch_size=32, clip_norm=1.0)
    assert max(history.grad_norms) > 10  # the raw gradients were large ...
    assert max(opt.norms) <= 1.0 + 1e-5  # ... and the optimizer saw them clipped
    assert opt.norms[0] == pytest.approx(1.0)


def test_grad_norms_match_torch_without_clipping():
    x, y = regression(n=16)
    net = model()
    history = fit(net, mse, (x, y), epochs=1, optimizer=torch.optim.SGD(net.parameters(), lr=0.0))
    reference = model()
    mse(reference(x), y).backward()
    expected = math.sqrt(sum(float(p.grad.pow(2).sum()) for p in reference.parameters()))
    assert history.grad_norms == [pytest.approx(expected, rel=1e-6)]


def test_an_optimizer_class_gets_lr_and_divergence_stops_training():
    x, y = regression()
    history = fit(model(), mse, (x, y), epochs=200, lr=10.0, optimizer=torch.optim.SGD)
    assert history.diverged and history.epochs < 200
    assert not math.isfinite(history.train_loss[-1])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"epochs": 0, "lr": 0.1}, ValueError, "epochs must be a positive int, got 0"),
        ({"epochs": 2.5, "lr": 0.1}, ValueError, "epochs must be a positive int"),
        ({"epochs": 1}, ValueError, "give lr"),
        ({"epochs": 1, "lr": -1}, ValueError, "lr must be a positive number, got -1"),
        ({"epochs": 1, "lr": 0.1, "batch_size": 0}, ValueError, "batch_size must be a positive int"),
        ({"epochs": 1, "lr": 0.1, "clip_norm": 0}, ValueError, "clip_norm must be a positive number"),
        ({"epochs": 1, "lr": 0.1, "patience": 3}, ValueError, "patience needs validation data"),
        ({"epochs": 1, "lr": 0.1, "val": [1, 2]}, TypeError, "val must be a pair of tensors"),
        ({"epochs": 1, "lr": 0.1, "optimizer": "adam"}, TypeError, "optimizer must be a torch.optim"),
    ],
)
def test_bad_arguments_say_what_was_expected(kwargs, error, message):
    x, y = regression(n=8)
    with pytest.raises(error, match=message):
        fit(model(), mse, (x, y), **kwargs)


def test_bad_data_and_models_say_what_was_expected():
    x, y = regression(n=8)
    with pytest.raises(ValueError, match="same number of samples, got 8 and 7"):
        fit(model(), mse, (x, y[:7]), epochs=1, lr=0.1)
    with pytest.raises(TypeError, match="can be walked only once"):
        fit(model(), mse, iter([(x, y)]), epochs=1, lr=0.1)
    with pytest.raises(ValueError, match="batch_size applies to"):
        fit(model(), mse, [(x, y)], epochs=1, lr=0.1, batch_size=4)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        fit(lambda t: t, mse, (x, y), epochs=1, lr=0.1)
    net = model().requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        fit(net, mse, (x, y), epochs=1, lr=0.1)
    with pytest.raises(ValueError, match="either lr or an optimizer instance"):
        net = model()
        fit(net, mse, (x, y), epochs=1, lr=0.1, optimizer=torch.optim.SGD(net.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="does not hold the model's parameters"):
        fit(model(), mse, (x, y), epochs=1, optimizer=torch.optim.SGD(model().parameters(), lr=0.1))


def test_history_of_an_empty_run():
    assert History().epochs == 0 and History().best_val_loss is None

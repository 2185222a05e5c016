"""Truncated backpropagation through time: fit_truncated against torch.nn, and copy k of
Ensemble.fit_truncated against a separate run with seed k."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnntutor.ensemble import Ensemble
from rnntutor.runtime import seed_everything
from rnntutor.tasks import delayed_copy
from rnntutor.truncated import StreamModel, chunk_starts, detach_state, fit_truncated

SEEDS = [0, 4, 9]


@pytest.fixture
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def step_loss(outputs, y):
    return nn.functional.cross_entropy(outputs.flatten(0, 1), y.flatten())


def streams(seed, batch=5, length=11, delay=2):
    x, y = delayed_copy(batch, length, delay, symbols=3, generator=torch.Generator().manual_seed(seed))
    return x.to(torch.get_default_dtype()), y


def largest_difference(a: nn.Module, b: nn.Module) -> float:
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    return max((x - y).abs().max().item() for x, y in pairs)


@pytest.mark.parametrize("chunk", [1, 3, 4, 11, 50])
def test_fit_truncated_equals_torch_rnn_with_the_state_detached_between_chunks(float64, chunk):
    """The reference is written with torch.nn.RNN: SGD on each chunk, the final state detached into the next."""
    x, y = streams(1)
    model = StreamModel("rnn", 3, 6, 3)
    rnn, head = nn.RNN(3, 6, batch_first=True), nn.Linear(6, 3)
    rnn.load_state_dict(model.recurrent.state_dict())
    head.load_state_dict(model.head.state_dict())
    reference = torch.optim.SGD([*rnn.parameters(), *head.parameters()], lr=0.3)
    for _ in range(2):
        h = None
        for start in range(0, 11, chunk):
            out, h = rnn(x[:, start:start + chunk], h)
            loss = step_loss(head(out), y[:, start:start + chunk])
            reference.zero_grad()
            loss.backward()
            reference.step()
            h = h.detach()
    history = fit_truncated(model, step_loss, (x, y), chunk=chunk, epochs=2, lr=0.3, optimizer=torch.optim.SGD)
    assert largest_difference(model.recurrent, rnn) < 1e-12
    assert largest_difference(model.head, head) < 1e-12
    assert len(history.grad_norms) == 2 * len(chunk_starts(11, chunk)) and history.epochs == 2


def test_a_chunk_as_long_as_the_stream_is_full_backpropagation(float64):
    """Without a cut, the update equals the one of the whole stream's loss, computed by torch.nn.GRU."""
    x, y = streams(2)
    model = StreamModel("gru", 3, 4, 3)
    gru, head = nn.GRU(3, 4, batch_first=True), nn.Linear(4, 3)
    gru.load_state_dict(model.recurrent.state_dict())
    head.load_state_dict(model.head.state_dict())
    step_loss(head(gru(x)[0]), y).backward()
    expected = {name: p - 0.1 * p.grad for name, p in gru.named_parameters()}
    fit_truncated(model, step_loss, (x, y), chunk=11, epochs=1, lr=0.1, optimizer=torch.optim.SGD)
    for name, value in model.recurrent.named_parameters():
        torch.testing.assert_close(value, expected[name], rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_no_gradient_crosses_a_chunk_boundary(float64, kind):
    """The loss of the second chunk reaches every input of its own chunk and none of the first's; without
    detach_state it would reach them too."""
    x, y = streams(3, length=8, delay=4)
    model = StreamModel(kind, 3, 5, 3)
    for cut in (True, False):
        inputs = x.clone().requires_grad_()
        _, state = model(inputs[:, :4])
        outputs, _ = model(inputs[:, 4:], detach_state(state) if cut else state)
        (grad,) = torch.autograd.grad(step_loss(outputs, y[:, 4:]), inputs)
        per_step = grad.abs().sum((0, 2))
        assert (per_step[4:] > 0).all()
        assert (per_step[:4] == 0).all() if cut else (per_step[:4] > 0).all()


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("data_per_copy", [False, True])
def test_copy_k_equals_a_separate_run_with_seed_k(float64, kind, data_per_copy):
    sets = [streams(20 + k) for k in range(len(SEEDS))]
    data = tuple(torch.stack(parts) for parts in zip(*sets, strict=True)) if data_per_copy else sets[0]
    options = dict(chunk=4, epochs=3, lr=0.05, clip_norm=0.5)

    def make():
        return StreamModel(kind, 3, 5, 3)

    ensemble = Ensemble(make, SEEDS)
    histories = ensemble.fit_truncated(step_loss, data, data_per_copy=data_per_copy, **options)
    for k, seed in enumerate(SEEDS):
        seed_everything(seed)
        model = make()
        history = fit_truncated(model, step_loss, sets[k] if data_per_copy else sets[0], seed=seed, **options)
        assert largest_difference(model, ensemble[k]) < 1e-10
        assert histories[k].train_loss == pytest.approx(history.train_loss, abs=1e-10)
        assert histories[k].grad_norms == pytest.approx(history.grad_norms, abs=1e-9)


def test_delayed_copy_targets_are_the_inputs_delay_steps_back():
    x, y = delayed_copy(7, 20, 5, symbols=4, generator=torch.Generator().manual_seed(0))
    assert x.shape == (7, 20, 4) and x.dtype == torch.float32 and y.shape == (7, 20) and y.dtype == torch.int64
    assert torch.equal(y[:, 5:], x[:, :-5].argmax(-1))
    assert torch.equal(x.sum(-1), torch.ones(7, 20))
    assert set(y[:, :5].unique().tolist()) <= {0, 1, 2, 3}


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: delayed_copy(2, 5, 0), ValueError, "delay must be a positive int"),
        (lambda: delayed_copy(2, 5, 1, symbols=1), ValueError, "symbols must be at least 2"),
        (lambda: StreamModel("tcn", 1, 2, 1), ValueError, "kind must be one of"),
        (lambda: chunk_starts(10, 0), ValueError, "chunk must be a positive int"),
        (lambda: fit_truncated(StreamModel("rnn", 3, 2, 3), step_loss, streams(0), chunk=0, epochs=1, lr=0.1),
         ValueError, "chunk must be a positive int"),
        (lambda: fit_truncated(StreamModel("rnn", 3, 2, 3), step_loss, (torch.zeros(2, 5, 3), torch.zeros(2, 4)),
                               chunk=2, epochs=1, lr=0.1), ValueError, "same length"),
        (lambda: fit_truncated(StreamModel("rnn", 3, 2, 3), step_loss, [torch.zeros(2, 5, 3)], chunk=2, epochs=1,
                               lr=0.1), TypeError, "pair of tensors"),
        (lambda: Ensemble(lambda: StreamModel("rnn", 3, 2, 3), [0, 1]).fit_truncated(
            step_loss, streams(0), chunk=2, epochs=1, lr=0.1, data_per_copy=True), ValueError, "one set of streams"),
    ],
)
def test_bad_arguments_say_what_was_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()

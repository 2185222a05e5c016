"""Every training and evaluation path of the package honours the device it is given, checked without a GPU.

CI has no GPU, and on a CPU every tensor is on the one device, so a model or batch that ignores ``device``
goes unnoticed until a reader runs the chapter on Colab. These tests run each path on the stand-in device
of tools/standin_device.py: the CPU under another name, with CUDA's rules about mixing devices. A path that
leaves a model, a batch or a state on the CPU fails there as it would on a GPU; a path that honours the
device runs to the end and computes the same numbers as on the CPU. The first tests show that the stand-in
device catches each kind of mistake, so that the others can fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rnntutor.charlm import CharRNN, Vocabulary, sample
from rnntutor.ensemble import Ensemble
from rnntutor.layers import GRU
from rnntutor.models import SequenceModel
from rnntutor.runtime import setup
from rnntutor.tasks import delayed_copy
from rnntutor.train import evaluate, fit
from rnntutor.truncated import StreamModel, fit_truncated

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from standin_device import STANDIN, WAITS, DeviceMismatch, on_standin, standin_device  # noqa: E402

matplotlib.use("Agg")


def data(n=16, length=5):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, length, 4, generator=g), torch.randint(0, 4, (n,), generator=g)


def model(kind="lstm"):
    torch.manual_seed(0)
    return SequenceModel(kind, 4, 8, 4)


# What the stand-in device catches.

def test_setup_returns_the_stand_in_device_and_tensors_report_it():
    with standin_device():
        device = setup()
        x = torch.zeros(3).to(device)
        assert device == STANDIN and x.device == STANDIN
        assert torch.ones(2, device=x.device).device == STANDIN
        assert (x + 1).device == STANDIN and x.cpu().device == torch.device("cpu")
    assert setup(device="cpu") == torch.device("cpu")


def test_a_model_left_on_the_cpu_fails_as_on_a_gpu():
    with standin_device() as device, pytest.raises(DeviceMismatch, match=r"one of shape \(2, 3\) on the CPU"):
        nn.Linear(3, 2)(torch.randn(4, 3).to(device))


def test_a_batch_left_on_the_cpu_fails_as_on_a_gpu():
    with standin_device() as device, pytest.raises(DeviceMismatch, match="move it with .to"):
        nn.Linear(3, 2).to(device)(torch.randn(4, 3))


def test_torch_recurrent_layer_left_on_the_cpu_fails_as_on_a_gpu():
    with standin_device() as device, pytest.raises(DeviceMismatch, match="gru: expected all tensors"):
        nn.GRU(4, 8, batch_first=True)(torch.randn(2, 5, 4).to(device))


def test_the_book_layers_say_which_device_is_which():
    with standin_device() as device, pytest.raises(ValueError, match="input is on device cpu:0, but the "
                                                                      "parameters are on cpu"):
        GRU(4, 8, batch_first=True)(torch.randn(2, 5, 4).to(device))


def test_numpy_and_plots_refuse_a_tensor_on_the_device():
    import matplotlib.pyplot as plt

    with standin_device() as device:
        x = torch.arange(3.0).to(device)
        for convert in (lambda: x.numpy(), lambda: np.asarray(x), lambda: plt.plot(x)):
            with pytest.raises(TypeError, match="use .cpu"):
                convert()
        assert x.cpu().numpy().tolist() == [0.0, 1.0, 2.0] and x.sum().item() == 3.0
    plt.close("all")


def test_a_cpu_generator_cannot_draw_on_the_device():
    with standin_device() as device, pytest.raises(DeviceMismatch, match="Generator"):
        torch.randn(3, generator=torch.Generator().manual_seed(0), device=device)


def test_what_cuda_allows_is_allowed():
    with standin_device() as device:
        x = torch.arange(6.0).reshape(2, 3).to(device)
        assert on_standin(x * torch.tensor(2.0))  # a CPU tensor of no dimensions
        assert on_standin(x[torch.tensor([1, 0])])  # CPU indices
        x[0] = torch.zeros(3)  # a copy from the CPU
        moved = x.cpu()
        assert on_standin(x) and on_standin(moved) is False  # a move leaves the original where it was
        net = nn.Linear(3, 1).to(device)
        net(x).sum().backward()
        assert net.weight.grad.device == STANDIN
        packed = nn.utils.rnn.pack_padded_sequence(x.unsqueeze(-1), torch.tensor([3, 2]), batch_first=True)
        assert on_standin(packed.data) and on_standin(packed.batch_sizes) is False
        output, _ = nn.LSTM(1, 2).to(device)(packed)  # the batch sizes stay on the CPU, as on CUDA
        assert on_standin(output.data)


def test_every_wait_for_the_device_is_counted():
    """Reads into Python, and copies from the CPU, which torch ends by waiting for the GPU."""
    with standin_device() as device:
        x, on_cpu = torch.arange(3.0).to(device), torch.arange(3.0)
        WAITS.clear()
        x.tolist(), x[0].item(), float(x[1]), f"{x[2]:.1f}", x.cpu(), x.to("cpu"), bool(x[1] > 0), repr(x)
        assert sum(WAITS.values()) == 8
        on_cpu.tolist(), on_cpu[0].item(), x.to(device), x.sum(), x.detach(), on_cpu.to(device, non_blocking=True)
        x[0] = 1.0
        assert sum(WAITS.values()) == 8
        on_cpu.to(device), torch.tensor([1.0, 2.0], device=device)
        x[:2] = on_cpu[:2]
        assert sum(WAITS.values()) == 11


def test_torch_clipping_and_optimizers_stay_on_the_device_and_read_nothing():
    with standin_device() as device:
        net = nn.Linear(3, 2).to(device)
        net(torch.randn(4, 3).to(device)).sum().backward()
        WAITS.clear()
        norm = nn.utils.clip_grad_norm_(net.parameters(), 0.1)
        torch.optim.Adam(net.parameters(), lr=0.1, foreach=True).step()
        assert on_standin(norm) and on_standin(net.weight) and not WAITS


# The package's paths on the stand-in device: they run to the end and compute what they compute on the CPU.

def test_fit_moves_the_model_and_every_batch_and_computes_the_same():
    args = dict(epochs=2, lr=0.1, batch_size=8, clip_norm=1.0, val=data(8))
    on_cpu = fit(model(), F.cross_entropy, data(), **args)
    with standin_device() as device:
        net = model()
        on_device = fit(net, F.cross_entropy, data(), device=device, **args)
        assert net.head.weight.device == STANDIN
    assert on_device.train_loss == on_cpu.train_loss and on_device.val_loss == on_cpu.val_loss


@pytest.mark.parametrize("path", ["fit", "Ensemble.fit"])
def test_a_list_of_batches_moves_to_the_device_once_not_every_epoch(path):
    """A list of batches moves before the first step; the steps then wait for nothing, and each epoch adds
    only its one read of the losses and norms. A DataLoader's batches are moved as they come."""
    def train(epochs, on_cpu=False):
        with standin_device() as device:
            batches = [data(4), data(4), data(4)]  # made in the stand-in's world: on its CPU
            device = "cpu" if on_cpu else device
            net = model().to(device) if path == "fit" else Ensemble(model, [0, 1], device=device)
            WAITS.clear()
            if path == "fit":
                losses = fit(net, F.cross_entropy, batches, epochs=epochs, lr=0.1, device=device).train_loss
            else:
                losses = [h.train_loss for h in net.fit(F.cross_entropy, batches, epochs=epochs, lr=0.1)]
            return losses, sum(WAITS.values())

    (_, once), (losses, thrice) = train(1), train(3)
    assert thrice - once == 2, "one read an epoch"
    assert losses == train(3, on_cpu=True)[0]
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*data(12)), batch_size=4)
    with standin_device() as device:
        assert np.isfinite(fit(model(), F.cross_entropy, loader, epochs=2, lr=0.1, device=device).train_loss).all()


def test_evaluate_moves_the_data_to_the_model():
    expected = evaluate(model(), F.cross_entropy, data())
    with standin_device() as device:
        assert evaluate(model().to(device), F.cross_entropy, data()) == expected


@pytest.mark.parametrize("make", [model, lambda: nn.Sequential(nn.Flatten(), nn.Linear(20, 4))],
                         ids=["book cells", "vmap"])
@pytest.mark.parametrize("clip_norm", [None, 1.0])
def test_an_ensemble_trains_evaluates_and_copies_on_its_device(make, clip_norm):
    args = dict(epochs=2, lr=0.1, batch_size=8, clip_norm=clip_norm)
    on_cpu = Ensemble(make, [0, 1]).fit(F.cross_entropy, data(), **args)
    with standin_device() as device:
        ensemble = Ensemble(make, [0, 1], device=device)
        on_device = ensemble.fit(F.cross_entropy, data(), **args)
        losses = ensemble.evaluate(F.cross_entropy, data())
        assert on_standin(losses) and ensemble(data()[0].to(device)).device == STANDIN
        assert next(ensemble[1].parameters()).device == STANDIN
    assert [h.train_loss for h in on_device] == [h.train_loss for h in on_cpu]


@pytest.mark.parametrize("on_ensemble", [False, True], ids=["fit_truncated", "Ensemble.fit_truncated"])
def test_truncated_backpropagation_carries_the_state_on_the_device(on_ensemble):
    x, y = delayed_copy(4, 12, 2, symbols=3, generator=torch.Generator().manual_seed(0))

    def make():
        torch.manual_seed(0)
        return StreamModel("lstm", 3, 4, 3)

    def train(device=None):
        options = dict(chunk=4, epochs=2, lr=0.1, clip_norm=1.0)
        if on_ensemble:
            return Ensemble(make, [0, 1], device=device).fit_truncated(step_loss, (x, y), **options)[1].train_loss
        return fit_truncated(make().to(device or "cpu"), step_loss, (x, y), **options).train_loss

    on_cpu = train()
    with standin_device() as device:
        assert train(device) == on_cpu


def step_loss(outputs, y):
    return F.cross_entropy(outputs.flatten(0, 1), y.flatten())


@pytest.mark.parametrize("path", ["fit", "Ensemble.fit", "fit_truncated", "Ensemble.fit_truncated"])
def test_training_waits_for_the_device_once_an_epoch_not_at_every_step(path):
    """On a GPU every read into Python and every copy from the CPU waits for the GPU: the loops move the
    data once, and read their losses and norms at the end of each epoch, so the number of waits does not
    grow with the number of steps: at most four an epoch (the epoch's order, the norms, the losses, the
    validation loss), and four for the data."""
    epochs = 3

    def waits(steps: int) -> int:
        with standin_device() as device:
            if path.endswith("fit_truncated"):
                x, y = delayed_copy(4, 4 * steps, 2, symbols=3, generator=torch.Generator().manual_seed(0))
                options = dict(chunk=4, epochs=epochs, lr=0.1, clip_norm=1.0)
                if path == "fit_truncated":
                    net = StreamModel("lstm", 3, 4, 3).to(device)
                    WAITS.clear()
                    fit_truncated(net, step_loss, (x, y), **options)
                else:
                    ensemble = Ensemble(lambda: StreamModel("lstm", 3, 4, 3), [0, 1], device=device)
                    WAITS.clear()
                    ensemble.fit_truncated(step_loss, (x, y), **options)
            else:
                options = dict(epochs=epochs, lr=0.1, batch_size=4, clip_norm=1.0, val=data(4), patience=5)
                net = model().to(device) if path == "fit" else Ensemble(model, [0, 1], device=device)
                WAITS.clear()
                if path == "fit":
                    fit(net, F.cross_entropy, data(4 * steps), device=device, **options)
                else:
                    net.fit(F.cross_entropy, data(4 * steps), **options)
            return sum(WAITS.values())

    assert 0 < waits(2) == waits(8) <= 4 + 4 * epochs


@pytest.mark.parametrize("temperature", [0.8, 0])
def test_sampling_writes_the_same_text_on_the_device_and_waits_once_a_character(temperature):
    """Generating text reads each character's distribution into Python (it is drawn on the CPU, the same on
    every device), and feeds the character back without a copy from the CPU: one wait a character."""
    vocab = Vocabulary.from_text("the cat sat on the mat")
    torch.manual_seed(0)
    net = CharRNN(len(vocab), 8, embedding_size=3)

    def generate(length, device="cpu"):
        return sample(net.to(device), vocab, "the ", length, temperature=temperature,
                      generator=torch.Generator().manual_seed(1))

    on_cpu = generate(12)
    with standin_device() as device:
        assert generate(12, device) == on_cpu
        WAITS.clear()
        generate(5, device)
        five = sum(WAITS.values())
        WAITS.clear()
        generate(12, device)
        assert sum(WAITS.values()) - five == 12 - 5

import random

import numpy as np
import pytest
import torch

import rnntutor
from rnntutor.validate import check_positive_ints


def draws():
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_setup_makes_every_generator_repeat_and_uses_one_thread():
    rnntutor.setup(seed=3)
    first = draws()
    rnntutor.setup(seed=3)
    assert draws() == first
    assert torch.get_num_threads() == 1
    rnntutor.setup(seed=4)
    assert draws() != first


def test_setup_picks_cuda_exactly_when_present():
    device = rnntutor.setup()
    assert device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert rnntutor.setup(device="cpu").type == "cpu"


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_bad_seed_is_refused(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        rnntutor.seed_everything(seed)


def test_bad_device_is_refused():
    with pytest.raises(ValueError, match="'cpu' or 'cuda', got 'tpu'"):
        rnntutor.pick_device("tpu")


@pytest.mark.parametrize("value", [0, -3, 2.0, True, "4", None])
def test_check_positive_ints_names_the_argument_and_what_came(value):
    with pytest.raises(ValueError, match=rf"^GRU: hidden_size must be a positive int, got {value!r}$"):
        check_positive_ints("GRU", hidden_size=value)
    check_positive_ints(hidden_size=1, num_layers=3)  # every int of at least 1 passes


def test_the_seed_offset_shifts_every_seed(monkeypatch):
    rnntutor.seed_everything(5)
    five = draws()
    plain = torch.randn(3, generator=rnntutor.generator(5))
    monkeypatch.setenv("RNNTUTOR_SEED_OFFSET", "2")
    assert rnntutor.seed_offset() == 2
    rnntutor.setup(seed=3)
    assert draws() == five
    assert torch.equal(torch.randn(3, generator=rnntutor.generator(3)), plain)


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_a_bad_seed_offset_says_what_is_expected(monkeypatch, value):
    monkeypatch.setenv("RNNTUTOR_SEED_OFFSET", value)
    with pytest.raises(ValueError, match=r"RNNTUTOR_SEED_OFFSET must be a non-negative integer, got"):
        rnntutor.seed_offset()


def test_seeds_are_consecutive_from_start():
    assert rnntutor.seeds(3) == [0, 1, 2]
    assert rnntutor.seeds(2, start=10) == [10, 11]
    with pytest.raises(ValueError, match="n must be a positive int, got 0"):
        rnntutor.seeds(0)


def test_threads_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RNNTUTOR_THREADS", "2")
    rnntutor.setup()
    assert torch.get_num_threads() == 2
    monkeypatch.setenv("RNNTUTOR_THREADS", "zero")
    with pytest.raises(ValueError, match="RNNTUTOR_THREADS must be a positive integer, got 'zero'"):
        rnntutor.setup()
    monkeypatch.delenv("RNNTUTOR_THREADS")
    rnntutor.setup()
    assert torch.get_num_threads() == 1

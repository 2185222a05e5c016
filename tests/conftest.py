"""Fixtures shared by the test modules."""

import socket

import pytest
import torch


@pytest.fixture
def one_thread():
    """Tiny models run fastest, and the same on every run, on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def a_taken_port(monkeypatch):
    """jupyter_client's port race (rnntutor.kernels), lost on purpose: the next kernel started in this
    process is given, as its first port, one that another socket holds. Yields that port."""
    from jupyter_client.connect import LocalPortCache

    find = LocalPortCache.find_available_port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        given = []

        def find_available_port(self, ip):
            if given:
                return find(self, ip)
            given.append(port)
            return port

        monkeypatch.setattr(LocalPortCache, "find_available_port", find_available_port)
        yield port

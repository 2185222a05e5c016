"""Forward + backward time of rnntutor's LSTM and GRU against torch.nn.LSTM and torch.nn.GRU on the CPU.

Each measurement builds both modules with the same weights, runs ``output.sum().backward()`` on the same
batch, alternating between the two modules (so that a busy machine slows both alike), and reports the
median over ``--repeats`` runs of each (after ``--warmup`` runs) and the ratio rnntutor / torch.
Run it from the repository root:

    python benchmarks/bench_layers.py --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from rnntutor.layers import GRU, LSTM

#: name -> (seq, batch, input_size, hidden_size, num_layers)
SIZES = {
    "tutorial": (50, 32, 16, 64, 2),
    "larger": (100, 64, 64, 256, 2),
}
MODELS = {"LSTM": (LSTM, torch.nn.LSTM), "GRU": (GRU, torch.nn.GRU)}


def forward_backward_seconds(module: torch.nn.Module, x: torch.Tensor) -> float:
    """Seconds of one forward and backward pass of ``module`` on ``x``."""
    module.zero_grad(set_to_none=True)
    start = time.perf_counter()
    output, _ = module(x)
    output.sum().backward()
    return time.perf_counter() - start


def median_seconds(modules: list[torch.nn.Module], x: torch.Tensor, repeats: int, warmup: int) -> list[float]:
    """Median seconds of a forward and backward pass of each module, the modules taking turns."""
    times = [[] for _ in modules]
    for run in range(warmup + repeats):
        for module, record in zip(modules, times, strict=True):
            seconds = forward_backward_seconds(module, x)
            if run >= warmup:
                record.append(seconds)
    return [statistics.median(record) for record in times]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per measurement (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=list(SIZES), help="which sizes")
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS), help="which models")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), float32, CPU; "
          f"median of {args.repeats} runs after {args.warmup} warm-up runs")
    print(f"{'size':9} {'seq':>4} {'batch':>5} {'in':>4} {'hidden':>6} {'layers':>6} {'model':5} "
          f"{'rnntutor ms':>11} {'torch ms':>9} {'ratio':>6}")
    for size in args.sizes:
        seq, batch, input_size, hidden_size, num_layers = SIZES[size]
        x = torch.randn(seq, batch, input_size, generator=torch.Generator().manual_seed(0))
        for model in args.models:
            ours_class, torch_class = MODELS[model]
            reference = torch_class(input_size, hidden_size, num_layers)
            ours = ours_class(input_size, hidden_size, num_layers)
            ours.load_state_dict(reference.state_dict())
            ours_s, torch_s = median_seconds([ours, reference], x, args.repeats, args.warmup)
            print(f"{size:9} {seq:4d} {batch:5d} {input_size:4d} {hidden_size:6d} {num_layers:6d} {model:5} "
                  f"{ours_s * 1e3:11.2f} {torch_s * 1e3:9.2f} {ours_s / torch_s:6.2f}")


if __name__ == "__main__":
    main()

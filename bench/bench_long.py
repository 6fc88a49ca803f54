"""Benchmark: a 2,000-step nn.Module + SGD training loop, captured, against plain Python.

Three runs of the same program text, medians of `--repeats` rounds taken in
turn (so a burst of load elsewhere slows all three alike):

* plain   -- the program compiled and `exec`'d as it is, in this process;
* capture -- `graphs.api.run_in_process`: naming pass, Recorder, hooks on
             every node of every pass, optimizer step events, record built;
* worker  -- `graphs.api.run_source`: the same in a locked sandbox worker,
             including fork, lockdown and the JSON result.

Torch runs on one thread everywhere (the worker always does). The ratios
printed are against plain; the target for the worker is <= 1.5x.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphs import sandbox  # noqa: E402
from graphs.api import run_in_process, run_source  # noqa: E402
from graphs.program import run_program  # noqa: E402

PROGRAM = """\
import torch
import torch.nn as nn

torch.manual_seed(0)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear({inputs}, {width})
        self.out = nn.Linear({width}, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


model = MLP()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
x = torch.randn({batch}, {inputs})
y = x.sum(dim=1, keepdim=True).sin()
for step in range({steps}):
    optimizer.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
print(f"loss {{loss.item():.5f}}")
"""


def median_times(fns: dict, repeats: int) -> dict[str, float]:
    for fn in fns.values():
        fn()  # warm-up: imports, the zygote, first-call caches
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--inputs", type=int, default=8)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    source = PROGRAM.format(steps=args.steps, batch=args.batch, inputs=args.inputs, width=args.width)
    sandbox.start()
    times = median_times({"plain": lambda: run_program(source), "capture": lambda: run_in_process(source),
                          "worker": lambda: run_source(source)}, args.repeats)
    record = run_in_process(source)
    shape = f"{args.steps} steps, batch {args.batch}, {args.inputs}->{args.width}->1 MLP, SGD"
    print(f"| loop | plain s | capture s | worker s | capture/plain | worker/plain | passes kept | "
          f"losses | record KB | peak MB plain | peak MB capture |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {shape} | {times['plain']:.3f} | {times['capture']:.3f} | {times['worker']:.3f} | "
          f"{times['capture'] / times['plain']:.2f}x | {times['worker'] / times['plain']:.2f}x | "
          f"{len(record.passes)} | {len(record.losses)} | {len(record.to_json(indent=None)) / 1e3:.0f} | "
          f"{peak_mb(lambda: run_program(source)):.1f} | {peak_mb(lambda: run_in_process(source)):.1f} |")
    ratio = times["worker"] / times["plain"]
    print(f"\n- worker/plain {ratio:.2f}x (target <= 1.5x) {'met' if ratio <= 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()

"""Benchmark: capture and drawing cost against plain PyTorch and torchviz.

Everything runs in one process, so each ratio compares two measurements taken
on the same machine moments apart:
  run/plain      = forward + backward under a `Recorder` (every op observed,
                   every node hooked) / the same forward + backward alone: the
                   issue's "capture time", judged against the 1.5x target;
  floor/plain    = the least any capture of this design costs (every call
                   through a do-nothing TorchFunctionMode, one Python hook per
                   grad_fn holding its gradient) / the same forward + backward
                   alone: how far below the floor a run/plain target may lie;
  capture/plain  = `graphs.worker.capture.capture` end to end (the run, then building
                   the JSON-able record) / the same forward + backward alone;
  record/plain   = building the record from a finished Recorder / the same
                   forward + backward alone (target <= 1x);
  ours/torchviz  = `graphs.render.to_dot(record).source` / `torchviz.make_dot(...)
                   .source` for the same graph, although ours carries values
                   and gradients in every label;
  CLI start      = `python -m graphs run two_layer_sigmoid --json` in a fresh
                   process / `python -c "import torch"` (target <= 1.3x).
The `dot` column is the real Graphviz layout (`dot -Tsvg`) of our DOT of the
whole graph (unfolded), with the layout settings the renderer
chose for the graph's size and a time limit; "first view" is what the app and
`to_dot(record)` draw for it by default (large graphs folded by module,
graphs.views.folding): its boxes (nodes and collapsed modules) and its `dot` time.

    python bench/bench_graphs.py [--models mlp,cnn,...] [--repeats N] [--json]
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode
from torchviz import make_dot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.models import build  # noqa: E402
from graphs.record import decode  # noqa: E402
from graphs.render import RenderOptions, folded_view, plan_for, to_dot  # noqa: E402
from graphs.sandbox import channel  # noqa: E402
from graphs.sandbox.config import SandboxConfig  # noqa: E402
from graphs.views.folding import MAX_BOXES, UNFOLDED  # noqa: E402
from graphs.worker.capture import Recorder, capture  # noqa: E402
from graphs.worker.walk import walk  # noqa: E402

MODELS = (
    "seeds",
    "mlp",
    "cnn",
    "transformer",
    "rnn",
    "resnet18",
    "resnet50",
    "gpt2_small",
    "rnn_unrolled",
    "lstm",
)
CAPTURE_TARGET = 1.2  # run/plain (forward + backward with hooks), for the models below
RECORD_TARGET = 1.0  # record build/plain, for the same models
CAPTURE_TARGET_MODELS = ("mlp", "cnn", "transformer")
CLI_TARGET = 1.3  # CLI cold start / import torch
CLI_PROGRAM = "two_layer_sigmoid"
DOT_TARGET = 1.0  # our DOT generation/torchviz's, for every model
DECODE_TARGET = 0.1  # the server's decode and gate of the record / capture(), for the model below
DECODE_TARGET_MODEL = "gpt2_small"
# With one torch thread all measured work runs on the calling thread, so its CPU
# time leaves out the time other processes held the cores.
CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}


@dataclass
class Case:
    """One program to measure, as the callables each measurement needs."""

    plain: Callable[[], object]  # forward + backward, no capture
    run: Callable[[], Recorder]  # forward + backward under a Recorder
    full: Callable[[], object]  # capture end to end: run, then build the record
    torchviz: Callable[[], str]  # torchviz's DOT of the same graph
    floor: Callable[[], object] | None = None  # the design's floor (floor_run), for a model


@dataclass
class Row:
    model: str
    grad_fn_nodes: int = 0
    plain_s: float = 0.0
    capture_run_s: float = 0.0
    floor_s: float = 0.0
    record_s: float = 0.0
    capture_s: float = 0.0
    ours_dot_s: float = 0.0
    torchviz_dot_s: float = 0.0
    layout_s: float = 0.0
    layout_timed_out: bool = False
    layout_plan: str = ""
    first_view_boxes: int = 0
    first_view_layout_s: float = 0.0
    plain_peak_mb: float = 0.0
    capture_peak_mb: float = 0.0
    decode_s: float = 0.0
    note: str = ""

    @property
    def capture_ratio(self) -> float:
        return self.capture_s / self.plain_s

    @property
    def run_ratio(self) -> float:
        return self.capture_run_s / self.plain_s

    @property
    def floor_ratio(self) -> float:
        return self.floor_s / self.plain_s

    @property
    def record_ratio(self) -> float:
        return self.record_s / self.plain_s

    @property
    def decode_ratio(self) -> float:
        return self.decode_s / self.capture_s

    @property
    def dot_ratio(self) -> float:
        return self.ours_dot_s / self.torchviz_dot_s


def draw(record) -> str:
    """Our DOT for the whole graph, unfolded: the graph torchviz draws."""
    return to_dot(record, RenderOptions(folding=UNFOLDED)).source


class _PassThrough(TorchFunctionMode):
    """The cheapest mode there is: it sees every torch call and only makes it."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


def _hold(grads: dict, fn, _sent, received) -> None:
    grads[fn] = received[0]


def floor_run(model: torch.nn.Module, inputs: tuple) -> dict:
    """The least a capture that sees every op and every node's gradient does:
    the forward under a mode that only passes calls on, and one Python hook
    per grad_fn that holds the gradient it received (registered, called,
    removed). No values, names, modules, saved attributes or record."""
    model.zero_grad(set_to_none=True)
    with _PassThrough():
        out = model(*inputs)
    grads: dict = {}
    handles = [fn.register_hook(partial(_hold, grads, fn)) for fn, _ in walk([out.grad_fn])]
    out.backward(torch.ones_like(out))
    for handle in handles:
        handle.remove()
    return grads


def module_case(name: str) -> Case:
    work = build(name)
    model, inputs = work.model, work.inputs

    def plain() -> None:
        model.zero_grad(set_to_none=True)
        out = model(*inputs)
        out.backward(torch.ones_like(out))

    def run() -> Recorder:
        model.zero_grad(set_to_none=True)
        with Recorder() as recorder:
            out = model(*inputs)
            out.backward(torch.ones_like(out))
        return recorder

    def full():
        model.zero_grad(set_to_none=True)
        return capture(model, *inputs)

    graph_out = model(*inputs)  # kept alive so torchviz can walk its graph
    params = dict(model.named_parameters())
    return Case(
        plain,
        run,
        full,
        lambda: make_dot(graph_out, params=params).source,
        partial(floor_run, model, inputs),
    )


def seed_cases() -> list[Case]:
    """One case per teaching program of the catalogue (the real models have
    rows of their own), run in this process: the plain run is the program as
    Python runs it, the capture run compiles it with the naming pass and runs
    it under the Recorder (the worker's IPC is not measured)."""
    from graphs.catalogue import TEACHING
    from graphs.worker.capture import capture_program
    from graphs.worker.program import compile_program, run_code

    cases = []
    for entry in TEACHING:
        plain_code = compile_program(entry.source)

        def run(source=entry.source) -> Recorder:
            return capture_program(source)[0]

        recorder = run()
        params = recorder.named_leaves()
        roots = tuple(recorder.roots())
        cases.append(
            Case(
                lambda plain_code=plain_code: run_code(plain_code),
                run,
                lambda run=run: run().record(),
                lambda roots=roots, params=params: make_dot(roots, params=params).source,
            )
        )
    return cases


# Each callable runs at least this long in total (more rounds for fast ones):
# five rounds of a 2 ms MLP step swung its run/plain between 1.1x and 1.4x.
MIN_TOTAL_S = 0.5


def median_times(
    fns: dict[str, Callable[[], object]],
    repeats: int,
    clock: Callable[[], float] = time.perf_counter,
    min_total_s: float = MIN_TOTAL_S,
) -> dict[str, float]:
    """Median time of each callable over at least `repeats` rounds, and enough
    rounds that the fastest one runs `min_total_s` in all, after one untimed
    warm-up round (which times them). The callables take turns within each
    round, so a burst of load from elsewhere on the machine slows all of them alike."""
    fastest = float("inf")
    for fn in fns.values():
        start = clock()
        fn()
        fastest = min(fastest, clock() - start)
    rounds = max(repeats, min(1000, math.ceil(min_total_s / max(fastest, 1e-6))))
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = clock()
            fn()
            times[name].append(clock() - start)
    return {name: statistics.median(values) for name, values in times.items()}


@contextmanager
def deep_recursion(limit: int):
    """torchviz walks the graph recursively: a long unrolled RNN needs a
    higher Python recursion limit than the default 1,000."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def peak_rss_mb(fn: Callable[[], object]) -> float:
    """Peak resident memory added while `fn` runs (Linux: the high-water mark
    is reset through /proc/self/clear_refs, freed heap handed back first)."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    Path("/proc/self/clear_refs").write_text("5")
    base = _rss_kb("VmRSS")
    result = fn()
    peak = _rss_kb("VmHWM")
    del result
    return (peak - base) / 1024


def layout_time(source: str, timeout: float) -> tuple[float, bool]:
    """Seconds `dot -Tsvg` takes on `source`, and whether it hit the limit."""
    start = time.perf_counter()
    try:
        subprocess.run(
            ["dot", "-Tsvg"], input=source, text=True, check=True, stdout=subprocess.DEVNULL, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return timeout, True
    return time.perf_counter() - start, False


def measure(
    name: str, cases: list[Case], repeats: int, layout_timeout: float, clock: Callable[[], float]
) -> Row:
    """Sum each measurement over the cases (one for a model, one per seed program)."""
    row = Row(name)
    plans, notes = set(), []
    for case in cases:
        timed = {"plain": case.plain, "run": case.run, "full": case.full}
        if case.floor is not None:
            timed["floor"] = case.floor
        times = median_times(timed, repeats, clock)
        row.plain_s += times["plain"]
        row.capture_run_s += times["run"]
        row.floor_s += times.get("floor", 0.0)
        row.capture_s += times["full"]
        recorder = case.run()
        row.record_s += median_times({"record": recorder.record}, repeats, clock)["record"]
        record = recorder.record()
        data = wire(record)
        try:
            server_decode(data)
        except decode.TooLarge as refused:  # the hosted server would refuse it: nothing to time
            notes.append(f"not decoded: {refused}")
        else:
            row.decode_s += median_times({"decode": partial(server_decode, data)}, repeats, clock)["decode"]
        nodes = sum(1 for _ in walk(root.grad_fn for root in recorder.roots()))
        row.grad_fn_nodes += nodes
        try:
            case.torchviz()
        except RecursionError:
            notes.append(f"torchviz needs sys.setrecursionlimit({4 * nodes})")
        with deep_recursion(4 * nodes):
            times = median_times(
                {"ours": partial(draw, record), "torchviz": case.torchviz},
                repeats,
                clock,
            )
        row.ours_dot_s += times["ours"]
        row.torchviz_dot_s += times["torchviz"]
        row.plain_peak_mb += peak_rss_mb(case.plain)
        row.capture_peak_mb += peak_rss_mb(case.full)
        plans.add(plan_for(record).describe())
        seconds, timed_out = layout_time(draw(record), layout_timeout - row.layout_s)
        row.layout_s += seconds
        row.layout_timed_out |= timed_out
        first = folded_view(record, RenderOptions())
        row.first_view_boxes += len(record.nodes) if first is None else first.size
        row.first_view_layout_s += layout_time(to_dot(record, RenderOptions()).source, layout_timeout)[0]
        if row.layout_timed_out:
            break
    row.layout_plan = "; ".join(sorted(plans))
    if len(cases) > 1:
        notes.insert(0, f"{len(cases)} programs, times summed")
    row.note = "; ".join(notes)
    return row


def wire(record) -> bytes:
    """The record as a worker sends it (tensor values packed)."""
    return channel.dumps({"ok": record.to_wire()})


def server_decode(data: bytes) -> object:
    """What the server does with a worker's bytes before anything reads them:
    the channel's bounded JSON, then the gate (`graphs.record.decode`)."""
    return decode.record(channel.loads(data, max_values=SandboxConfig().max_result_values)["ok"])


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def markdown(rows: list[Row], layout_timeout: float) -> str:
    head = (
        "| model | grad_fn nodes | plain fwd+bwd ms | capture run ms | record build ms "
        "| capture() ms | run/plain | floor/plain | record/plain | capture/plain "
        "| our DOT ms | torchviz DOT ms "
        "| ours/torchviz "
        "| dot layout s | layout settings | first view boxes | first view dot s "
        "| peak MB plain | peak MB capture | decode ms | decode/capture |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        layout = f"> {layout_timeout:.0f}" if r.layout_timed_out else f"{r.layout_s:.2f}"
        name = f"{r.model} ({r.note})" if r.note else r.model
        lines.append(
            f"| {name} | {r.grad_fn_nodes} | {_ms(r.plain_s)} | {_ms(r.capture_run_s)} "
            f"| {_ms(r.record_s)} | {_ms(r.capture_s)} | {r.run_ratio:.2f}x "
            f"| {f'{r.floor_ratio:.2f}x' if r.floor_s else '-'} | {r.record_ratio:.2f}x "
            f"| {r.capture_ratio:.2f}x "
            f"| {_ms(r.ours_dot_s)} | {_ms(r.torchviz_dot_s)} | {r.dot_ratio:.2f}x "
            f"| {layout} | {r.layout_plan} | {r.first_view_boxes} | {r.first_view_layout_s:.2f} "
            f"| {r.plain_peak_mb:.1f} | {r.capture_peak_mb:.1f} | {_ms(r.decode_s)} | {r.decode_ratio:.2f}x |"
        )
    return "\n".join(lines)


def verdicts(rows: list[Row]) -> list[str]:
    """The issue's targets, each with the measured ratio and whether it was met."""
    lines = []
    for r in rows:
        if r.model in CAPTURE_TARGET_MODELS:
            met = "met" if r.run_ratio <= CAPTURE_TARGET else "MISSED"
            lines.append(
                f"{r.model}: capture run/plain {r.run_ratio:.2f}x "
                f"(target <= {CAPTURE_TARGET}x) {met}; with record building "
                f"{r.capture_ratio:.2f}x; the design's floor {r.floor_ratio:.2f}x"
            )
            met = "met" if r.record_ratio <= RECORD_TARGET else "MISSED"
            lines.append(
                f"{r.model}: record build/plain {r.record_ratio:.2f}x (target <= {RECORD_TARGET}x) {met}"
            )
        if r.model == DECODE_TARGET_MODEL:
            met = "met" if r.decode_ratio <= DECODE_TARGET else "MISSED"
            lines.append(
                f"{r.model}: the server's decode and gate/capture {r.decode_ratio:.2f}x "
                f"(target <= {DECODE_TARGET}x) {met}"
            )
        met = "met" if r.dot_ratio <= DOT_TARGET else "MISSED"
        lines.append(f"{r.model}: our DOT/torchviz {r.dot_ratio:.2f}x (target <= {DOT_TARGET}x) {met}")
        if r.model != "seeds":  # the seeds' boxes are summed over 16 programs
            met = "met" if r.first_view_boxes <= MAX_BOXES else "MISSED"
            lines.append(
                f"{r.model}: first view {r.first_view_boxes} boxes (target <= {MAX_BOXES}), "
                f"dot {r.first_view_layout_s:.2f} s {met}"
            )
    return lines


def cli_start(repeats: int) -> tuple[float, float]:
    """Median wall seconds of a cold CLI run and of a bare `import torch`, taken in turn."""
    root = Path(__file__).resolve().parent.parent
    commands = {
        "cli": [sys.executable, "-m", "graphs", "run", CLI_PROGRAM, "--json"],
        "torch": [sys.executable, "-c", "import torch"],
    }
    runs = {
        name: (
            lambda command=command: subprocess.run(command, cwd=root, check=True, stdout=subprocess.DEVNULL)
        )
        for name, command in commands.items()
    }
    times = median_times(runs, repeats)
    return times["cli"], times["torch"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", default=",".join(MODELS), help=f"comma-separated, from {', '.join(MODELS)}"
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement")
    parser.add_argument(
        "--layout-timeout",
        type=float,
        default=60.0,
        help="seconds `dot` may take per model before it is stopped",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (1 keeps a shared 2-core machine's noise down)",
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: time.perf_counter; cpu: this thread's CPU time, "
        "steadier when other processes share the cores",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--no-cli", dest="cli", action="store_false", help="skip the CLI start-up row")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = set(names) - set(MODELS)
    if unknown:
        parser.error(f"unknown model(s): {', '.join(sorted(unknown))}")
    rows = []
    for name in names:
        cases = seed_cases() if name == "seeds" else [module_case(name)]
        rows.append(measure(name, cases, args.repeats, args.layout_timeout, CLOCKS[args.clock]))
        print(f"measured {name}", file=sys.stderr)
    cli = cli_start(args.repeats) if args.cli else None
    targets = verdicts(rows)
    if cli is not None:
        ratio = cli[0] / cli[1]
        targets.append(
            f"CLI start ({CLI_PROGRAM}) {cli[0]:.2f} s / import torch {cli[1]:.2f} s "
            f"= {ratio:.2f}x "
            f"(target <= {CLI_TARGET}x) {'met' if ratio <= CLI_TARGET else 'MISSED'}"
        )
    if args.json:
        print(
            json.dumps(
                {
                    "rows": [
                        asdict(r)
                        | {
                            "run_ratio": r.run_ratio,
                            "floor_ratio": r.floor_ratio,
                            "record_ratio": r.record_ratio,
                            "capture_ratio": r.capture_ratio,
                            "dot_ratio": r.dot_ratio,
                        }
                        for r in rows
                    ],
                    "targets": targets,
                    "repeats": args.repeats,
                    "clock": args.clock,
                    "torch_threads": torch.get_num_threads(),
                },
                indent=2,
            )
        )
    else:
        print(markdown(rows, args.layout_timeout))
        print()
        print("\n".join(f"- {line}" for line in targets))
    return 0


if __name__ == "__main__":
    sys.exit(main())

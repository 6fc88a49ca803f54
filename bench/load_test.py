"""Load test: many concurrent sessions against a real `streamlit run app.py`.

How it drives the server: each simulated student is a websocket client that
speaks Streamlit's own browser protocol (the protobuf `BackMsg`/`ForwardMsg`
messages the web frontend sends on `/_stcore/stream`).  A session connects,
lets the page run once, learns the widget ids of the catalogue buttons, the
editor and the Run button from the elements the server sends, and then
clicks and types by sending `rerun_script` messages with widget states, just
as the browser does.  So every run goes through the real server process:
session management, script reruns, Streamlit's caches, `graphs.api`, the
sandbox workers and `dot`.  Only the browser's rendering is left out, which
keeps 30+ sessions cheap enough to leave the CPU to the server.

A run is timed from sending the click to the server's `script_finished`.
Catalogue picks and typed programs must show no error alert; hostile
programs and resource bombs must show exactly one; a program that forges the
largest result the server accepts (`FORGED`) at most one; an `exception`
element (a traceback on the page) is always an error.  The server's resident memory is
sampled once a second.  Loopback only; bounded in runs and wall time.

    python bench/load_test.py --sessions 30 --runs 1000 [--think 8] [--write-docs stress]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from graphs.catalogue import TEACHING  # noqa: E402

DOCS = ROOT / "docs" / "hosting.md"

TYPED = """\
import torch

x = torch.tensor([[{a}, {b}]], requires_grad=True)
w = torch.tensor([[{c}], [{d}]], requires_grad=True)
y = torch.sigmoid(x @ w)
loss = ((y - 1) ** 2).mean()
loss.backward()
print(loss.item())
"""

# Real Python the worker must contain: each shows exactly one error line.
HOSTILE = [
    "import subprocess\nsubprocess.run(['touch', '/tmp/load-test-escaped-{n}'])",
    "open('/tmp/load-test-escaped-{n}', 'w')",
    "print(open('/etc/passwd').read())  # {n}",
    "import torch\ntorch.save(torch.ones(1), '/tmp/load-test-escaped-{n}')",
    "import socket\nsocket.create_connection(('127.0.0.1', 9))  # {n}",
    "import os\nos.kill(1, 9)  # {n}",
    "import threading\nthreading.Thread(target=print).start()  # {n}",
    "import requests  # {n}",
    "import torch\nx = torch.ones(100000, 100000)  # {n}",
    "def f(n):\n    return f(n + 1)\nf({n})",
]

# A program that skips the capture and writes its own result to the worker's
# result descriptor: a chain of as many nodes as the server accepts
# (`graphs.record.decode.Limits.max_nodes`), in passes up to the limit (2.8 MB of JSON).
# The gate must take it, the page draw it or say
# in one line why not, and the server's memory stay bounded.
FORGED = """\
import os
n = 25000  # run {n}
node = '{{"id":"n%d","kind":"op","op":"AddBackward0","name":null,"shape":[],"dtype":"float32"}}'
nodes = ",".join(node % i for i in range(n))
edges = ",".join('{{"src":"n%d","dst":"n%d"}}' % (i, i + 1) for i in range(n - 1))
passes = ",".join('{{"index":%d,"kind":"grad","roots":["n0"]}}' % i for i in range(64))
body = '{{"ok":{{"nodes":[%s],"edges":[%s],"passes":[%s]}}}}' % (nodes, edges, passes)
os.write(3, body.encode() + b"\\n")
os._exit(0)
"""


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"catalogue": [], "typed": [], "hostile": [], "forged": []}
    )
    errors: list[str] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    processes: list[int] = field(default_factory=list)
    runs: int = 0


class Session:
    """One simulated student on its own websocket."""

    def __init__(self, url: str, index: int, stats: Stats, think_s: float) -> None:
        self.url, self.index, self.stats, self.think_s = url, index, stats, think_s
        self.rng = random.Random(index)
        self.ids: dict[str, str] = {}
        self.version = 0

    async def rerun(self, websocket, widgets: list[WidgetState]) -> list:
        message = BackMsg()
        message.rerun_script.widget_states.widgets.extend(widgets)
        await websocket.send(message.SerializeToString())
        elements = []
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await websocket.recv())
            if forward.WhichOneof("type") == "delta" and forward.delta.WhichOneof("type") == "new_element":
                elements.append(forward.delta.new_element)
            if forward.WhichOneof("type") == "script_finished":
                return elements

    def learn_ids(self, elements: list) -> None:
        """Widget ids by key (buttons, the pane switch, the editor) and the
        editor's text version, which an edit must quote to be taken."""
        for element in elements:
            kind = element.WhichOneof("type")
            if kind in ("button", "button_group", "bidi_component"):
                widget_id = getattr(element, kind).id
                self.ids[widget_id.rsplit("-", 1)[-1]] = widget_id
            if kind == "bidi_component" and element.bidi_component.json:
                self.version = json.loads(element.bidi_component.json).get("version", self.version)

    async def type_program(self, websocket, source: str) -> None:
        """What a browser sends when a student types: the editor component's
        state (its text, at the version it was given); the Run click follows."""
        if "editor" not in self.ids:  # the editor lives in the Program pane
            self.learn_ids(
                await self.rerun(
                    websocket, [WidgetState(id=self.ids["pane"], string_array_value={"data": ["Program"]})]
                )
            )
        doc = json.dumps({"doc": {"text": source, "version": self.version}})
        self.learn_ids(await self.rerun(websocket, [WidgetState(id=self.ids["editor"], json_value=doc)]))

    async def act(self, websocket, run_number: int) -> None:
        roll = self.rng.random()
        if roll < 0.45:
            kind, slug = "catalogue", self.rng.choice(TEACHING).slug  # the lessons, as in docs/hosting.md
            widgets = [WidgetState(id=self.ids[f"pick_{slug}"], trigger_value=True)]
        else:
            if roll < 0.82:
                kind = "typed"
                values = [f"{self.rng.uniform(-2, 2):.4f}" for _ in range(4)]
                source = TYPED.format(a=values[0], b=values[1], c=values[2], d=values[3])
            elif roll < 0.85:
                kind, source = "forged", FORGED.format(n=run_number)
            else:
                kind = "hostile"
                source = self.rng.choice(HOSTILE).format(n=run_number)
            await self.type_program(websocket, source)
            widgets = [WidgetState(id=self.ids["run"], trigger_value=True)]
        started = time.perf_counter()
        elements = await self.rerun(websocket, widgets)
        self.learn_ids(elements)
        self.stats.latencies[kind].append(time.perf_counter() - started)
        self.check(kind, elements, run_number)

    def check(self, kind: str, elements: list, run_number: int) -> None:
        kinds = [element.WhichOneof("type") for element in elements]
        alerts = [
            element.alert.body
            for element in elements
            if element.WhichOneof("type") == "alert" and element.alert.format == Alert.ERROR
        ]
        if "exception" in kinds:
            self.stats.errors.append(f"run {run_number} ({kind}): the page showed a traceback")
        elif kind == "hostile" and len(alerts) != 1:
            self.stats.errors.append(f"run {run_number}: a hostile program was not refused")
        elif kind == "forged" and len(alerts) > 1:
            self.stats.errors.append(f"run {run_number}: a forged result gave {len(alerts)} errors")
        elif kind not in ("hostile", "forged") and alerts:
            self.stats.errors.append(f"run {run_number} ({kind}): {alerts[0][:120]}")

    async def main(self, budget: dict, deadline: float) -> None:
        async with connect(
            self.url, subprotocols=["streamlit"], max_size=None, open_timeout=60, ping_interval=None
        ) as websocket:
            self.learn_ids(await self.rerun(websocket, []))
            while budget["left"] > 0 and time.monotonic() < deadline:
                budget["left"] -= 1
                if self.think_s:  # a student reads the figure before the next click
                    await asyncio.sleep(self.rng.expovariate(1 / self.think_s))
                self.stats.runs += 1
                await self.act(websocket, self.stats.runs)


def resident_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def descendants(pid: int) -> int:
    """Processes below the server (fork server, monitors, workers, dot)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    below, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - below
        below |= frontier
    return len(below)


async def sample_memory(pid: int, stats: Stats, stop: asyncio.Event) -> None:
    while not stop.is_set():
        stats.rss_mb.append(resident_mb(pid))
        stats.processes.append(descendants(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


async def drive(url: str, pid: int, sessions: int, runs: int, time_limit: float, think_s: float) -> Stats:
    stats, stop = Stats(), asyncio.Event()
    sampler = asyncio.create_task(sample_memory(pid, stats, stop))
    budget, deadline = {"left": runs}, time.monotonic() + time_limit
    outcomes = await asyncio.gather(
        *(Session(url, i, stats, think_s).main(budget, deadline) for i in range(sessions)),
        return_exceptions=True,
    )
    stats.errors += [
        f"session failed: {outcome!r}" for outcome in outcomes if isinstance(outcome, BaseException)
    ]
    stop.set()
    await sampler
    return stats


def start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("the Streamlit server did not come up within 60 s")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def report(stats: Stats, sessions: int, think_s: float, elapsed: float) -> str:
    rows = ["| runs | kind | p50 (s) | p95 (s) | max (s) |", "|---|---|---|---|---|"]
    every = [value for values in stats.latencies.values() for value in values]
    for kind, values in [*stats.latencies.items(), ("all", every)]:
        if values:
            rows.append(
                f"| {len(values)} | {kind} | {percentile(values, 50):.2f} | "
                f"{percentile(values, 95):.2f} | {max(values):.2f} |"
            )
    rss = stats.rss_mb
    quarter = max(1, len(rss) // 4)
    lines = [
        f"{stats.runs} runs from {sessions} concurrent sessions "
        f"({f'{think_s:g} s mean pause between clicks' if think_s else 'no pause between clicks'}) "
        f"in {elapsed:.0f} s ({stats.runs / elapsed:.1f} runs/s) on {os.cpu_count()} cores.",
        "",
        *rows,
        "",
        f"Errors: {len(stats.errors)}.",
        f"Server resident memory (MB): start {rss[0]:.0f}, first-quarter mean "
        f"{statistics.mean(rss[:quarter]):.0f}, last-quarter mean {statistics.mean(rss[-quarter:]):.0f}, "
        f"max {max(rss):.0f}, end {rss[-1]:.0f}.",
        f"Processes under the server: at most {max(stats.processes)} at once, "
        f"{stats.processes[-1]} at the end "
        f"(the fork server plus running workers and `dot`).",
    ]
    return "\n".join(lines)


def write_docs(label: str, text: str) -> None:
    """Replace the block between this label's markers in docs/hosting.md."""
    begin, end = f"<!-- load-test:{label}:begin -->", f"<!-- load-test:{label}:end -->"
    content = DOCS.read_text()
    start, stop = content.index(begin) + len(begin), content.index(end)
    DOCS.write_text(content[:start] + "\n" + text + "\n" + content[stop:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8599)
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between a session's clicks (s)")
    parser.add_argument("--time-limit", type=float, default=900, help="stop after this many seconds")
    parser.add_argument(
        "--write-docs",
        metavar="LABEL",
        help=f"put the results into the LABEL block of {DOCS.name} (stress, paced)",
    )
    args = parser.parse_args()
    server = start_server(args.port)
    try:
        started = time.monotonic()
        stats = asyncio.run(
            drive(
                f"ws://127.0.0.1:{args.port}/_stcore/stream",
                server.pid,
                args.sessions,
                args.runs,
                args.time_limit,
                args.think,
            )
        )
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = report(stats, args.sessions, args.think, elapsed)
    print(text)
    for error in stats.errors[:20]:
        print("  ", error)
    if args.write_docs:
        write_docs(args.write_docs, text)
    escaped = list(Path("/tmp").glob("load-test-escaped-*"))
    if escaped:
        print(f"ESCAPE: {len(escaped)} marker files were written")
    sys.exit(1 if stats.errors or escaped else 0)


if __name__ == "__main__":
    main()

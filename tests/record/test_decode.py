"""The trusted side's gate (`graphs.record.decode`): forged results are refused in one
line or are harmless to every view, and its work stays bounded.

Forged records are made the way a hostile program makes them: it writes its
own JSON to the worker's result descriptor and exits, so the server receives
exactly those bytes (`forged_run`). The property tests mutate an honest
record at random places with random JSON and ask that the gate either
refuses it with a `SandboxError` or hands on a record that every view (the
DOT writer, folding, the pass views, the chain rule, the command line's
table) reads without an exception.
"""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
import textwrap
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.api import check_source, run_in_process, run_source
from graphs.catalogue import get
from graphs.cli.commands import node_table
from graphs.errors import ProgramError
from graphs.record import decode
from graphs.record.model import GraphRecord
from graphs.record.packing import pack
from graphs.render import RenderOptions, dot_source
from graphs.sandbox import SandboxError
from graphs.views.chain import edge_rules, full_jacobians, partials
from graphs.views.folding import all_keys
from graphs.views.passes import ALL_PASSES, PassView

SMALL = """import torch
from torch import nn
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
x = torch.randn(2, 3)
for step in range(2):
    loss = net(x).pow(2).mean()
    loss.backward()
h = torch.tensor([1.0, 2.0], requires_grad=True)
(h * h).sum().backward(retain_graph=True)
print("done")
"""

# Values of 16 entries or more, which the worker's wire form packs (floats,
# float64 ones too), and repeats, which it sends as references.
WIDE = """import torch
from torch import nn
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(8, 4), nn.Tanh(), nn.Linear(4, 2))
x, d = torch.randn(4, 8), torch.randn(16, dtype=torch.float64, requires_grad=True)
for step in range(2):
    (net(x).pow(2).mean() + (d * d).sum()).backward()
"""


def forged_run(document: object) -> str:
    """A typed program that sends `document` as its whole result, then exits."""
    payload = json.dumps({"ok": document}, separators=(",", ":"))
    return textwrap.dedent(
        f"""\
        import os
        os.write(3, {payload.encode()!r} + b"\\n")
        os._exit(0)
        """
    )


@pytest.fixture(scope="module")
def honest() -> dict:
    return json.loads(run_in_process(SMALL).to_json())


@pytest.fixture(scope="module")
def wire() -> dict:
    """A record as a worker sends it: values packed, repeats as references."""
    return json.loads(json.dumps(run_in_process(WIDE).to_wire()))


def chain(length: int) -> dict:
    """A record of a chain of `length` ops (as a stranger could forge it)."""
    nodes = [
        {"id": f"n{i}", "kind": "op", "op": "MulBackward0", "name": None, "shape": [], "dtype": "float32"}
        for i in range(length)
    ]
    edges = [{"src": f"n{i}", "dst": f"n{i + 1}"} for i in range(length - 1)]
    return {"nodes": nodes, "edges": edges}


def views(found: GraphRecord) -> None:
    """Everything the server draws or prints from a record, once."""
    for pass_index in [None, ALL_PASSES, *range(len(found.passes))]:
        options = RenderOptions(pass_index=pass_index)
        dot_source(found, options)
        node_table(found, None, PassView(found, pass_index))
    if found.modules:
        dot_source(found, RenderOptions(folding=all_keys(found)))
        dot_source(found, RenderOptions(folding=frozenset()))
    for run in found.passes:
        full_jacobians(found, run)
        for node in found.nodes:
            edge_rules(found, run, node.id)
            partials(found, run, node.id)


def test_an_honest_record_passes_the_gate_unchanged(honest, wire):
    assert decode.record(copy.deepcopy(honest)) == GraphRecord.from_dict(copy.deepcopy(honest))
    assert decode.record(copy.deepcopy(wire)) == run_in_process(WIDE)
    assert {"f8", "f4", "@"} <= {text[:2] if text[0] != "@" else "@" for text in packed_in(wire)}


def test_catalogue_records_pass_the_gate():
    for slug in ("two_layer_sigmoid", "accumulation", "second_derivatives", "jacobian_rows"):
        data = json.loads(run_in_process(get(slug).source).to_json())
        views(decode.record(data))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["edges"].append({"src": "n0", "dst": "n999"}), "'n999' is not a node of the record"),
        (lambda d: d["nodes"].append(dict(d["nodes"][0])), "is used twice"),
        (lambda d: d["nodes"][0].update(id="n0] [image=x"), "not a node id"),
        (lambda d: d["nodes"][1].update(shape=[2, 2], value=[[1.0, 2.0], ["3", 4.0]]), "not a number (str)"),
        (lambda d: d["nodes"][1].update(shape=[2, 2], value=[1.0] * 5), "shape [5], not [2, 2]"),
        (lambda d: d["nodes"][1].update(shape=[2, 2], value=[[1.0], [2.0, 3.0]]), "rows have different"),
        (lambda d: d["nodes"][1].update(shape=[1], value=[10**30]), "not a number (int)"),
        (lambda d: d["passes"][0]["grads"].update(n999=1.0), "'n999' is not a node"),
        (lambda d: d["passes"][0]["roots"].append("n999"), "'n999' is not a node"),
        (
            lambda d: d["final_grads"].update(n999={"min": 0.0, "mean": 0.0, "max": 0.0}),
            "'n999' is not a node",
        ),
        (
            lambda d: d["modules"].append({"path": "a", "call": 0, "kind": "X", "parent": 99}),
            "not an earlier",
        ),
        (lambda d: d["nodes"][1].update(module="nowhere", call=0), "names a module call"),
        (lambda d: d["nodes"][1].update(shape=[2, 2], value="f8:2,2:AAAA"), "does not hold the 32 bytes"),
        (lambda d: d["nodes"][1].update(shape=[1], value="f9:1:AAAAAAAAAAA="), "not a packed tensor"),
        (lambda d: d["nodes"][1].update(shape=[2], value="f8:2:" + "!" * 24), "not base64"),
        (lambda d: d["nodes"][1].update(shape=[2, 2], value=pack([[1.0] * 8] * 2)), "[2, 8], not [2, 2]"),
        (lambda d: d["nodes"][1].update(shape=[2, 2], value="@0"), "was not sent before it"),
    ],
)
def test_inconsistent_records_are_refused_in_one_line(honest, change, message):
    forged = copy.deepcopy(honest)
    change(forged)
    with pytest.raises(SandboxError, match="^the program's result could not be read: ") as caught:
        decode.record(forged)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_value_nested_past_torchs_dimensions_is_refused(honest):
    forged = copy.deepcopy(honest)
    deep: object = 1.0
    for _ in range(95):
        deep = [deep]
    forged["nodes"][1].update(shape=[1] * 95, value=deep)
    with pytest.raises(SandboxError, match="could not be read"):
        decode.record(forged)


@pytest.mark.parametrize(
    "what, build",
    [
        ("nodes", lambda limits: chain(limits.max_nodes + 1)),
        (
            "passes",
            lambda limits: {
                **chain(2),
                "passes": [
                    {"index": i, "kind": "grad", "roots": ["n0"]} for i in range(limits.max_passes + 1)
                ],
            },
        ),
        (
            "module depth",
            lambda limits: {
                "modules": [
                    {"path": f"m{i}", "call": 0, "kind": "M", "parent": i - 1 if i else None}
                    for i in range(limits.max_module_depth + 1)
                ]
            },
        ),
        (
            "value entries",
            lambda limits: {
                "nodes": [
                    {
                        "id": "n0",
                        "kind": "leaf",
                        "op": None,
                        "name": "w",
                        "shape": [limits.max_value_entries + 1],
                        "dtype": "float32",
                        "value": [0.5] * (limits.max_value_entries + 1),
                    }
                ]
            },
        ),
        ("value entries", lambda limits: leaves(["f8:100000,100000:AAAA"], [10**5, 10**5])),
        ("total entries", lambda limits: leaves([pack([0.5] * 64)] + ["@0"] * 20, [64])),
    ],
)
def test_over_a_limit_is_refused_naming_the_count_and_the_limit(what, build):
    limits = decode.Limits(
        max_nodes=300, max_passes=4, max_module_depth=5, max_value_entries=100, max_total_entries=1_000
    )
    with pytest.raises(
        SandboxError,
        match=rf"^the program's result is larger than this server accepts: "
        rf"[\d,]+ {what}, the limit is [\d,]+$",
    ):
        decode.record(build(limits), limits)


def leaves(values: list, shape: list[int]) -> dict:
    """A forged record of leaves of one shape holding `values` (packed, or references)."""
    node = {"kind": "leaf", "op": None, "name": "w", "shape": shape, "dtype": "float64"}
    return {"nodes": [{**node, "id": f"n{i}", "value": value} for i, value in enumerate(values)]}


def test_limits_are_read_from_the_environment():
    limits = decode.Limits.from_env(
        {"AUTOGRAD_EXPLORER_MAX_NODES": "12", "AUTOGRAD_EXPLORER_MAX_PASSES": "3"}
    )
    assert (limits.max_nodes, limits.max_passes, limits.max_edges) == (12, 3, decode.Limits().max_edges)
    with pytest.raises(ProgramError, match="AUTOGRAD_EXPLORER_MAX_NODES"):
        decode.Limits.from_env({"AUTOGRAD_EXPLORER_MAX_NODES": "many"})


def test_a_forged_record_from_a_real_worker_is_refused_and_the_next_program_runs(monkeypatch):
    monkeypatch.setenv("AUTOGRAD_EXPLORER_MAX_NODES", "1000")  # read by the server, at each result
    with pytest.raises(
        SandboxError,
        match=r"^the program's result is larger than this server accepts: "
        r"1,500 nodes, the limit is 1,000$",
    ):
        run_source(forged_run(chain(1_500)))
    record = run_source(SMALL)
    assert record.prints == ["done"] and len(record.passes) == 3


def test_a_forged_check_result_is_one_line_and_agreement_is_the_servers():
    with pytest.raises(SandboxError, match="^the program's result could not be read: check"):
        check_source(forged_run({"leaves": [], "pass_count": 1}))
    lying = {
        "pass_index": 0,
        "pass_count": 1,
        "agrees": True,
        "leaves": [
            {
                "name": "w",
                "shape": [1],
                "entries": [0],
                "autograd": [1.0],
                "numeric": [5.0],
                "abs_error": 4.0,
                "rel_error": 0.8,
                "agrees": False,
            }
        ],
    }
    assert check_source(forged_run(lying))["agrees"] is False


def test_the_cli_prints_one_line_for_a_forged_check(tmp_path):
    program = tmp_path / "forged.py"
    program.write_text(forged_run({"pass_count": 1, "leaves": [{"name": 3}]}))
    done = subprocess.run(
        [sys.executable, "-m", "graphs", "check", str(program)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "could not be read" in done.stderr


def test_the_largest_record_the_limits_allow_is_read_in_bounded_memory():
    """A fresh process decodes a forged record at every count limit at once and
    then draws it; its peak memory stays under 300 MB (gigabytes before)."""
    script = textwrap.dedent(
        """
        import json, resource, sys
        from graphs.record import decode
        from graphs.sandbox import channel
        from graphs.sandbox.config import SandboxConfig
        from graphs.render import RenderOptions, dot_source
        config = SandboxConfig()
        limits = decode.Limits()
        n = limits.max_nodes
        node = '{"id":"n%d","kind":"op","op":"AddBackward0","name":null,"shape":[],"dtype":"float32"}'
        nodes = ",".join(node % i for i in range(n))
        edges = ",".join('{"src":"n%d","dst":"n%d"}' % (i, i + 1) for i in range(n - 1))
        passes = ",".join('{"index":%d,"kind":"grad","roots":["n0"]}' % i for i in range(limits.max_passes))
        data = ('{"nodes":[%s],"edges":[%s],"passes":[%s]}' % (nodes, edges, passes)).encode()
        assert len(data) <= config.max_result_mb * 1024 * 1024, len(data)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        found = decode.record(channel.loads(data, max_values=config.max_result_values))
        dot = dot_source(found, RenderOptions(pass_index=3))
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(len(found.nodes), len(dot) > 0, (after - before) // 1024)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    count, drew, grown_mb = done.stdout.split()
    assert count == str(decode.Limits().max_nodes) and drew == "True"
    assert int(grown_mb) < 300  # 83 MB measured at 25,000 nodes; 340 MB at the first limits of 100,000


def json_values(depth: int = 3):
    leaves = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
        max_leaves=8,
    )


def places(data: object, path: tuple = ()) -> list[tuple]:
    """Every path into a JSON document."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += places(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += places(value, (*path, index))
    return found


def packed_in(document: object) -> list[str]:
    """The packed values and references of a wire record (its strings that read as one)."""
    return [
        text
        for text in map(lambda path: follow(document, path), places(document))
        if isinstance(text, str) and (text[:1] == "@" or text[:3] in ("f8:", "f4:", "i8:", "b1:"))
    ]


def follow(document: object, path: tuple) -> object:
    for key in path:
        document = document[key]  # type: ignore[index]
    return document


def packed_texts(honest: list[str]):
    """Forged packed values: made-up headers over any data, and honest ones cut,
    lengthened, re-headed or pointing anywhere."""
    dims = st.lists(st.integers(0, 2**40), min_size=0, max_size=70).map(lambda d: ",".join(map(str, d)))
    data = st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()) | st.text(max_size=24)
    made = st.tuples(st.sampled_from(["f8", "f4", "i8", "b1", "f2", ""]), dims, data).map(":".join)
    known = st.sampled_from(honest)
    cut = st.tuples(known, st.integers(0, 400)).map(lambda pair: pair[0][: pair[1]])
    lengthened = st.tuples(known, st.sampled_from(["A", "=", "AAAA", "é", ":"])).map("".join)
    reheaded = st.tuples(st.sampled_from(["f8", "f4", "i8", "b1"]), dims, known).map(
        lambda parts: f"{parts[0]}:{parts[1]}:{parts[2].rpartition(':')[2]}"
    )
    refs = st.integers(0, 10**10).map(lambda n: f"@{n}")
    return made | cut | lengthened | reheaded | refs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_record_is_refused_or_harmless_to_every_view(honest, wire, data):
    forged = copy.deepcopy(data.draw(st.sampled_from([honest, wire])))
    mutations = json_values() | packed_texts(packed_in(wire))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [path for path in places(forged) if path]
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        follow(forged, path[:-1])[path[-1]] = data.draw(mutations)
    try:
        found = decode.record(forged)
    except SandboxError as exc:
        assert "\n" not in str(exc)
        return
    views(found)


@pytest.mark.parametrize("slug", ["two_layer_batch", "gpt2_small", "lstm"])
def test_a_records_footprint_is_within_twice_what_it_holds(slug):
    """The app's caches count a record by `footprint`: it must not undercount much."""
    data = run_in_process(get(slug).source).to_json().encode()
    tracemalloc.start()
    try:
        found = decode.record(json.loads(data))
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert 0.5 <= decode.footprint(found) / held <= 2

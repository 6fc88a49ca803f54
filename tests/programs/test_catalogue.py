"""The catalogue itself: complete, well-formed, runnable, and its gradients
right by an independent measure (float64 central differences)."""

from __future__ import annotations

import dataclasses
import functools
from importlib.resources import files

import numpy as np
import pytest
import torch

from graphs.api import run_source
from graphs.catalogue import CATALOGUE, DIAGNOSIS, REAL_MODELS, TEACHING, TOPICS, Entry, by_topic, get
from graphs.record.model import GraphRecord

SLUGS = [entry.slug for entry in CATALOGUE]
# The programs run here are the seed lessons; the real models have tests/programs/test_real_models.py.
TEACHING_SLUGS = [entry.slug for entry in TEACHING]

# The networks the seed notebooks document, each with a line of its program
# that identifies it (so a rewrite that loses the network fails here).
REQUIRED = {
    "sigmoid_layer": ("000", "l = torch.sum(a_s * a_s)"),
    "two_inputs": ("000", "y = x + x2"),
    "add_one": ("001", "y = torch.add(x, 1)"),
    "second_derivatives": ("001", "create_graph=True"),
    "mean_of_square": ("001", "z = y * y * 3"),
    "matmul_ones": ("001", "torch.ones_like(y)"),
    "weighted_vjp": ("001", "z.backward(gradient=v)"),
    "sum_of_squares": ("002", "b = a ** 2"),
    "jacobian_rows": ("002", "retain_graph=True"),
    "affine_mean": ("002", "l3 = l2 * w2"),
    "two_layer_sigmoid": ("003", "y_2 = torch.sigmoid(z_2)"),
    "frobenius": ("004", "y = (x.mm(w) + b).pow(2).sum()"),
    "accumulation": ("004", "y1 = (w * x + b).pow(2)"),
    "two_layer_batch": ("004", "x = torch.randn(100, 1, requires_grad=True)"),
}


@functools.cache
def record(slug: str) -> GraphRecord:
    return run_source(get(slug).source)


# --- metadata -------------------------------------------------------------


def test_required_networks_are_present():
    for slug, (seed, line) in REQUIRED.items():
        entry = get(slug)
        assert entry.seed == seed, slug
        assert line in entry.source, slug


def test_slugs_are_unique_file_names():
    assert len(set(SLUGS)) == len(SLUGS)
    assert all(slug.isidentifier() and slug.islower() for slug in SLUGS)


def test_every_program_file_belongs_to_an_entry():
    names = sorted(
        p.name for p in files("graphs.catalogue").joinpath("programs").iterdir() if p.name.endswith(".py")
    )
    assert names == sorted(f"{slug}.py" for slug in SLUGS)


@pytest.mark.parametrize("entry", CATALOGUE, ids=SLUGS)
def test_entry_metadata(entry: Entry):
    assert entry.topic in TOPICS
    assert entry.seed in ({"000", "001", "002", "003", "004"} if entry in TEACHING else {""})
    assert entry.title.strip() and entry.explanation.strip()
    assert entry.explanation == entry.explanation.strip()
    # Maths in LaTeX, with every $ and $$ delimiter closed.
    assert "$" in entry.explanation
    assert entry.explanation.count("$$") % 2 == 0
    assert entry.explanation.replace("$$", "").count("$") % 2 == 0


def test_titles_are_distinct():
    assert len({entry.title for entry in CATALOGUE}) == len(CATALOGUE)


def test_topics_and_teaching_order():
    assert list(TOPICS) == [
        "basics",
        "vjp",
        "higher-order",
        "accumulation",
        "two-layer",
        "diagnosis",
        "real-models",
    ]
    assert TOPICS["vjp"] == "Vector-Jacobian products and gradient="
    # Entries come topic by topic, in TOPICS order, and every topic has one.
    ranks = [list(TOPICS).index(entry.topic) for entry in CATALOGUE]
    assert ranks == sorted(ranks)
    assert set(ranks) == set(range(len(TOPICS)))


def test_by_topic_partitions_the_catalogue():
    groups = by_topic()
    assert list(groups) == list(TOPICS)
    assert tuple(entry for group in groups.values() for entry in group) == CATALOGUE


def test_every_seed_is_represented():
    assert {entry.seed for entry in TEACHING} == {"000", "001", "002", "003", "004"}
    assert TEACHING + DIAGNOSIS + REAL_MODELS == CATALOGUE and DIAGNOSIS and REAL_MODELS


def test_get_unknown_slug_lists_known_ones():
    with pytest.raises(KeyError) as info:
        get("no_such_network")
    message = str(info.value)
    assert "no_such_network" in message
    assert all(slug in message for slug in SLUGS)


def test_entries_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CATALOGUE[0].title = "changed"  # type: ignore[misc]


# --- programs -------------------------------------------------------------


@pytest.mark.parametrize("entry", TEACHING, ids=TEACHING_SLUGS)
def test_program_runs_and_every_leaf_gets_a_gradient(entry: Entry):
    rec = record(entry.slug)
    assert rec.source == entry.source
    assert rec.passes and all(run.roots for run in rec.passes)
    assert rec.prints
    leaves = [n for n in rec.nodes if n.kind == "leaf" and n.requires_grad]
    assert leaves
    for leaf in leaves:
        assert leaf.name, leaf.id
        assert any(run.grads.get(leaf.id) is not None for run in rec.passes), leaf.name


@pytest.mark.parametrize("entry", [e for e in TEACHING if "randn" in e.source], ids=lambda e: e.slug)
def test_random_programs_are_seeded_and_reproducible(entry: Entry):
    assert "torch.manual_seed(" in entry.source
    again = run_source(entry.source)
    assert again.to_dict() == record(entry.slug).to_dict()


# --- finite differences ---------------------------------------------------


def central_differences(fn, inputs: dict[str, torch.Tensor], name: str, h: float = 1e-6):
    """d fn / d inputs[name], entry by entry, by float64 central differences."""
    point = {key: value.clone() for key, value in inputs.items()}
    flat = point[name].view(-1)
    grad = torch.zeros_like(flat)
    for k in range(flat.numel()):
        centre = flat[k].item()
        flat[k] = centre + h
        up = fn(**point).item()
        flat[k] = centre - h
        down = fn(**point).item()
        flat[k] = centre
        grad[k] = (up - down) / (2 * h)
    return grad.view_as(point[name])


# Seed 003's constant input and target (not leaves, so not in the record).
INPUT_003 = torch.tensor([[1.0]], dtype=torch.float64)
TARGET_003 = torch.tensor([[1.0], [0.0]], dtype=torch.float64)

FD_CASES = {
    "sigmoid_layer": (lambda xs, ws: torch.sum(torch.sigmoid(ws @ xs) ** 2), ["xs", "ws"]),
    "affine_mean": (lambda x, w1, w2: ((x * w1 + 4.0) * w2).mean(), ["x", "w1", "w2"]),
    "frobenius": (lambda x, w, b: (x @ w + b).pow(2).sum(), ["x", "w", "b"]),
    "two_layer_sigmoid": (
        lambda w1, w2: 0.5 * ((torch.sigmoid(w2 @ torch.sigmoid(w1 @ INPUT_003)) - TARGET_003) ** 2).sum(),
        ["w1", "w2"],
    ),
    "two_layer_batch": (
        lambda x, y, w1, w2, b1, b2: (y - ((torch.sigmoid(x @ w1) + b1) @ w2 + b2)).pow(2).sum(),
        ["x", "y", "w1", "w2", "b1", "b2"],
    ),
}


@pytest.mark.parametrize("slug", list(FD_CASES))
def test_gradients_match_finite_differences(slug):
    """The recorded float32 gradients agree with float64 central differences
    of the same function, evaluated at the recorded leaf values."""
    fn, names = FD_CASES[slug]
    rec = record(slug)
    inputs = {name: torch.tensor(rec.named(name).value, dtype=torch.float64) for name in names}
    for name in names:
        expected = central_differences(fn, inputs, name).numpy()
        actual = np.asarray(rec.passes[-1].grad_after[rec.named(name).id], dtype=float)
        scale = np.abs(expected).max()
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * scale, err_msg=name)

"""The catalogue: every network documented in the seed notebooks, and real models, as programs.

Each entry's program lives in `programs/<slug>.py` so it reads (and lints) as
the plain PyTorch a student would type; the files are read as text and run
as-is, exactly like a typed program (in a sandbox worker), never imported. Titles, topics and explanations
live in `entries.py`, apart from the code they describe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from types import MappingProxyType

from graphs.catalogue.entries import METADATA, TOPIC_TITLES

# Topic id -> human title, in teaching order (read-only so callers cannot edit it).
TOPICS: Mapping[str, str] = MappingProxyType(dict(TOPIC_TITLES))


@dataclass(frozen=True)
class Entry:
    """One catalogue network: what it teaches and the program that shows it."""

    slug: str
    title: str
    topic: str
    seed: str  # the seed notebook it comes from ("000"..."004"), "" for the real models
    explanation: str
    source: str


def _source(slug: str) -> str:
    return files(__package__).joinpath("programs", f"{slug}.py").read_text(encoding="utf-8")


# In teaching order: METADATA is listed topic by topic, simplest first.
CATALOGUE: tuple[Entry, ...] = tuple(
    Entry(
        slug=meta["slug"],
        title=meta["title"],
        topic=meta["topic"],
        seed=meta["seed"],
        explanation=meta["explanation"].strip(),
        source=_source(meta["slug"]),
    )
    for meta in METADATA
)
# The seed tutorials' lessons, small enough to run them all in a test or a
# benchmark loop; the lessons of "Why isn't it learning?", whose networks are
# broken on purpose (NaN, vanishing and exploding gradients, dead ReLUs) and
# are held to their diagnosis (graphs.views.diagnosis) instead; and the "Real
# models" (ResNets, a GPT-2-shaped transformer, long RNNs): seconds each, and
# thousands of nodes.
DIAGNOSIS_TOPIC = "diagnosis"
REAL_MODELS_TOPIC = "real-models"
TEACHING: tuple[Entry, ...] = tuple(
    entry for entry in CATALOGUE if entry.topic not in (DIAGNOSIS_TOPIC, REAL_MODELS_TOPIC)
)
DIAGNOSIS: tuple[Entry, ...] = tuple(entry for entry in CATALOGUE if entry.topic == DIAGNOSIS_TOPIC)
REAL_MODELS: tuple[Entry, ...] = tuple(entry for entry in CATALOGUE if entry.topic == REAL_MODELS_TOPIC)
_BY_SLUG: Mapping[str, Entry] = {entry.slug: entry for entry in CATALOGUE}


def get(slug: str) -> Entry:
    """The entry called `slug`; a KeyError names the slugs that do exist."""
    try:
        return _BY_SLUG[slug]
    except KeyError:
        known = ", ".join(_BY_SLUG)
        raise KeyError(f"no catalogue entry {slug!r}; known entries: {known}") from None


def by_topic() -> dict[str, tuple[Entry, ...]]:
    """Entries grouped under each topic id, both in teaching order."""
    return {topic: tuple(e for e in CATALOGUE if e.topic == topic) for topic in TOPICS}


__all__ = [
    "CATALOGUE",
    "DIAGNOSIS",
    "DIAGNOSIS_TOPIC",
    "REAL_MODELS",
    "REAL_MODELS_TOPIC",
    "TEACHING",
    "TOPICS",
    "Entry",
    "by_topic",
    "get",
]

"""Imported once by the forkserver, before any worker is forked.

Everything a program can need is imported and exercised here so that workers
inherit it through fork: a locked-down worker may not open a file, so it
could not import a module lazily.  Torch is made single-threaded and CPU-only
here too, so no worker ever starts a thread pool.
"""
from __future__ import annotations

import os

os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["OMP_NUM_THREADS"] = "1"

import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

from graphs import api  # noqa: E402
from graphs.sandbox.warmup import warm_up  # noqa: E402

warm_up(api)

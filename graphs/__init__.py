"""Autograd Explorer's UI-free core: program runner, capture, render, export.

Nothing in this package imports Streamlit; the app, the command line and the
tests all go through the same functions. `explore` (the notebook view) is
looked up on first use, so `import graphs` alone imports neither torch nor
Graphviz.
"""

__all__ = ["explore"]


def __getattr__(name: str):
    if name == "explore":
        from graphs.notebook import explore

        return explore
    raise AttributeError(f"module 'graphs' has no attribute {name!r}")

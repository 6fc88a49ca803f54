"""The gradient check as a table, for the command line and the app alike."""

from __future__ import annotations

import pandas as pd

from graphs.views.format import shape_text


def check_frame(result: dict):
    """The check as a table (a pandas DataFrame), one row per leaf, for the
    command line and the app alike. Long leaves show their first entries."""

    def numbers(values: list[float]) -> str:
        shown = ", ".join(f"{value:.6g}" for value in values[:6])
        return f"[{shown}{', …' if len(values) > 6 else ''}]"

    return pd.DataFrame(
        [
            {
                "leaf": leaf["name"],
                "shape": shape_text(leaf["shape"]),
                "entries checked": len(leaf["entries"]),
                "autograd": numbers(leaf["autograd"]),
                "finite difference": numbers(leaf["numeric"]),
                "relative error": f"{leaf['rel_error']:.1e}",
                "agrees": "✓" if leaf["agrees"] else "✗",
            }
            for leaf in result["leaves"]
        ]
    )

"""Streamlit UI pieces for Autograd Explorer, one job per module.

Components only handle what the core hands them (a `GraphRecord`, DOT text,
SVG and bytes); nothing here imports torch.
"""

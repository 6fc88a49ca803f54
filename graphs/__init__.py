"""Autograd Explorer's UI-free core: program runner, capture, render, export.

Nothing in this package imports Streamlit; the app, the command line and the
tests all go through the same functions.
"""

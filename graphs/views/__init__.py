"""Views of a record, on the trusted side: what the page and the files show.

Each reads a validated record (`graphs.record`) and computes one way of
looking at it: `passes` (one backward pass's gradients and order), `chain`
(the chain rule along an edge), `folding` (module calls and repeats folded
into boxes), `pitfalls` (notes on what commonly goes wrong), `check` (the
gradient check as a table) and `format` (numbers as text). None imports torch.
"""

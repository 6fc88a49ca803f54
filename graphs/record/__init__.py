"""The record: the one data model every stage reads, and the gate it passes.

`model` holds the dataclasses (a graph's nodes and edges, its backward
passes, optimizer steps, module calls). `codec` turns them into plain data
and back, packing tensor values on the worker's wire. `decode` is the
trusted side's only reader of what a worker sends: it validates the record
against the types and hard limits (`decode.Limits`) before anything reads it.
"""

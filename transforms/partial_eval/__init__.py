"""Partial evaluation. Importing this package gives the whole table: the
interpreter, then the rules of the primitives that need one (calls and control
flow, which carry sub-Programs; every other primitive is staged as it is)."""
from funcgrad.transforms.partial_eval import control, custom, sharding  # noqa: F401
from funcgrad.transforms.partial_eval import linear_solve  # noqa: F401
from funcgrad.transforms.partial_eval import bounded_while  # noqa: F401
from funcgrad.transforms.partial_eval.interpreter import (PartialEvalTrace, PartialEvalTracer,
                                                          PERule, Split, dce_program,
                                                          partial_eval_program,
                                                          partial_eval_rules, remat_split)

__all__ = ["PERule", "PartialEvalTrace", "PartialEvalTracer", "Split", "dce_program",
           "partial_eval_program", "partial_eval_rules", "remat_split"]

"""vmap's interpreter. Importing this package gives the whole batching table: the
interpreter, then one file of rules per op family, each filling `batch_rules`."""
from funcgrad.transforms.batching import (control, custom, elementwise, fft,  # noqa: F401
                                          indexing, linalg, reductions, structural)
from funcgrad.transforms.batching.interpreter import (NO_RULE, BatchRule, BatchTrace,
                                                      BatchTracer, Dim, batch_program,
                                                      batch_rules, move_bdim)

__all__ = ["NO_RULE", "BatchRule", "BatchTrace", "BatchTracer", "Dim", "batch_program",
           "batch_rules", "move_bdim"]

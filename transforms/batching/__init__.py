"""vmap's interpreter. Importing this package gives the whole batching table: the
interpreter, then one file of rules per op family, each filling `batch_rules`."""
from funcgrad.transforms.batching import (collectives, control, custom,  # noqa: F401
                                          elementwise, fft, indexing, linalg, reductions,
                                          sharding, structural)
from funcgrad.transforms.batching import linear_solve  # noqa: F401
from funcgrad.transforms.batching import tridiagonal  # noqa: F401
from funcgrad.transforms.batching import barrier  # noqa: F401
from funcgrad.transforms.batching import special  # noqa: F401
from funcgrad.transforms.batching import callback  # noqa: F401
from funcgrad.transforms.batching import windowed  # noqa: F401
from funcgrad.transforms.batching import convolution  # noqa: F401
from funcgrad.transforms.batching import rng  # noqa: F401
from funcgrad.transforms.batching import bounded_while  # noqa: F401
from funcgrad.transforms.batching.interpreter import (AXIS_RULES, NO_RULE, BatchAxis, BatchRule,
                                                      BatchTrace, BatchTracer, Dim, axis_rule,
                                                      batch_program, batch_rules, move_bdim)

__all__ = ["AXIS_RULES", "NO_RULE", "BatchAxis", "BatchRule", "BatchTrace", "BatchTracer", "Dim",
           "axis_rule", "batch_program", "batch_rules", "move_bdim"]

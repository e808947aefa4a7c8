"""Program -> StableHLO text (an MLIR module), one lowering rule per primitive.

This package owns the lowering table, `lowering_rules`, and is the only code
that writes into it. `emitter` holds the table, the rule signature
(`LowerRule`), the context rules emit through and the module builder; one file
per op family holds that family's rules (the families every rule table of
funcgrad uses): `elementwise` (with `special_values`), `structural`,
`reductions`, `indexing`, `linalg`, `fft`, `control`, `custom`, `sharding`,
`collectives`, `tridiagonal`, `callback`, `convolution`, `special`,
`windowed`. Importing the
package imports every family, so the table is whole before anything lowers.
Primitives deliberately left unlowered sit in `NOT_LOWERED` with a reason.

Like the rest of `xla_backend`, it knows the IR and the primitives, and
nothing of the interpreters.
"""
from funcgrad.xla_backend.lowering import (  # noqa: F401  (each fills lowering_rules)
    collectives,
    control,
    custom,
    elementwise,
    fft,
    indexing,
    linalg,
    linear_solve,
    reductions,
    sharding,
    structural,
    tridiagonal,
)
from funcgrad.xla_backend.lowering import callback  # noqa: F401
from funcgrad.xla_backend.lowering import windowed  # noqa: F401
from funcgrad.xla_backend.lowering import barrier  # noqa: F401
from funcgrad.xla_backend.lowering import special  # noqa: F401
from funcgrad.xla_backend.lowering import convolution  # noqa: F401
from funcgrad.xla_backend.lowering import rng  # noqa: F401
from funcgrad.xla_backend.lowering import bounded_while  # noqa: F401
from funcgrad.xla_backend.lowering.emitter import (
    NOT_LOWERED,
    TOKEN,
    LoweringContext,
    LowerRule,
    Module,
    ModuleBuilder,
    compare,
    elt_type,
    eqn_program,
    i64_array,
    lower_module,
    lower_program,
    lowering_rules,
    scalar_text,
    tensor_type,
)
from funcgrad.xla_backend.lowering.reductions import identity_value, monoid_op, reduce

__all__ = ["NOT_LOWERED", "TOKEN", "LowerRule", "LoweringContext", "Module", "ModuleBuilder",
           "compare", "elt_type", "eqn_program", "i64_array", "identity_value", "lower_module",
           "lower_program", "lowering_rules",
           "monoid_op", "reduce", "scalar_text", "tensor_type"]

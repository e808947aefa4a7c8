"""Forward mode. Importing this package gives the whole JVP table: the
interpreter, then one file of rules per op family, each filling `jvp_rules`."""
from funcgrad.transforms.jvp import (collectives, control, custom,  # noqa: F401
                                     elementwise, fft, indexing, linalg, reductions, sharding,
                                     structural)
from funcgrad.transforms.jvp import linear_solve  # noqa: F401
from funcgrad.transforms.jvp import tridiagonal  # noqa: F401
from funcgrad.transforms.jvp import barrier  # noqa: F401
from funcgrad.transforms.jvp import special  # noqa: F401
from funcgrad.transforms.jvp import callback  # noqa: F401
from funcgrad.transforms.jvp import windowed  # noqa: F401
from funcgrad.transforms.jvp import convolution  # noqa: F401
from funcgrad.transforms.jvp import rng  # noqa: F401
from funcgrad.transforms.jvp import bounded_while  # noqa: F401
from funcgrad.transforms.jvp.interpreter import (NO_RULE, JVPRule, JVPTrace, JVPTracer,
                                                 jvp_call, jvp_program, jvp_rules)

__all__ = ["NO_RULE", "JVPRule", "JVPTrace", "JVPTracer", "jvp_call", "jvp_program", "jvp_rules"]

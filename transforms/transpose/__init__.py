"""Transposition. Importing this package gives the whole transpose table: the
interpreter, then one file of rules per op family, each filling
`transpose_rules`. A primitive has a transpose rule exactly when it is linear
in some operand."""
from funcgrad.transforms.transpose import (collectives, control, custom,  # noqa: F401
                                           elementwise, fft, indexing, linalg, reductions,
                                           sharding, structural)
from funcgrad.transforms.transpose import linear_solve  # noqa: F401
from funcgrad.transforms.transpose import tridiagonal  # noqa: F401
from funcgrad.transforms.transpose import barrier  # noqa: F401
from funcgrad.transforms.transpose import windowed  # noqa: F401
from funcgrad.transforms.transpose import convolution  # noqa: F401
from funcgrad.transforms.transpose.interpreter import (TransposeRule, backward_pass,
                                                       transpose_linear_flat, transpose_program,
                                                       transpose_rules)

__all__ = ["TransposeRule", "backward_pass", "transpose_linear_flat", "transpose_program",
           "transpose_rules"]

"""Special functions and the remaining lax elementwise ops: the incomplete gamma
and beta functions, Hurwitz zeta, the scaled Bessel functions I0e/I1e, and
square, clamp, clz, mulhi and bitcast_convert_type.

Like every elementwise primitive of funcgrad (see `elementwise`), the n-ary
ones broadcast NumPy-style and never promote; ``funcgrad.lax`` enforces lax's
stricter shape rules (equal shapes or scalars) before it binds them.
"""
from __future__ import annotations

import numpy as np

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.errors import DTypeError
from funcgrad.primitives._shapes import broadcast_shapes, same_dtype
from funcgrad.primitives.elementwise import _elementwise

square_p = _elementwise("square", 1, "num")
clz_p = _elementwise("clz", 1, "int")                  # count leading zero bits
mulhi_p = _elementwise("mulhi", 2, "int")              # high half of the double-width product

# igamma(a, x) = P(a, x), igammac = Q = 1 - P (regularized incomplete gamma);
# igamma_grad_a = dP/da; regularized_incomplete_beta(a, b, x) = I_x(a, b).
igamma_p = _elementwise("igamma", 2, "float")
igammac_p = _elementwise("igammac", 2, "float")
igamma_grad_a_p = _elementwise("igamma_grad_a", 2, "float")
regularized_incomplete_beta_p = _elementwise("regularized_incomplete_beta", 3, "float")
zeta_p = _elementwise("zeta", 2, "float")              # Hurwitz zeta(x, q)
bessel_i0e_p = _elementwise("bessel_i0e", 1, "float")  # exp(-|x|) I0(x)
bessel_i1e_p = _elementwise("bessel_i1e", 1, "float")  # exp(-|x|) I1(x)

# clamp(lo, x, hi): x limited to [lo, hi], elementwise.
clamp_p = Primitive("clamp")


@clamp_p.def_abstract_eval
def _clamp_rule(lo: ShapedArray, x: ShapedArray, hi: ShapedArray) -> ShapedArray:
    dt = same_dtype("clamp", (lo, x, hi))
    if dtypes.is_complex(dt):
        raise DTypeError(f"clamp needs real operands (complex numbers have no order), got {dt}")
    shape = broadcast_shapes("clamp", lo.shape, x.shape, hi.shape)
    return ShapedArray(shape, dt, x.weak_type and lo.weak_type and hi.weak_type)


# bitcast_convert_type(x, new_dtype): the same bits read as another dtype. A wider
# source gains a trailing axis of (old width / new width) elements; a narrower one
# loses its trailing axis, which must hold (new width / old width) elements.
bitcast_convert_type_p = Primitive("bitcast_convert_type")


def bitcast_shape(name: str, shape: tuple[int, ...], old: np.dtype,
                  new: np.dtype) -> tuple[int, ...]:
    """The shape of `shape`'s bits of dtype `old` read as `new`."""
    if old.itemsize == new.itemsize:
        return shape
    if old.itemsize > new.itemsize:
        return (*shape, old.itemsize // new.itemsize)
    last = shape[-1] if shape else 1
    if last * old.itemsize != new.itemsize:
        raise shape_error(name, f"reading {old} as the wider {new} needs a trailing axis of "
                                f"{new.itemsize // old.itemsize} elements, got shape {shape}")
    return shape[:-1]


@bitcast_convert_type_p.def_abstract_eval
def _bitcast_convert_type_rule(x: ShapedArray, *, new_dtype: np.dtype) -> ShapedArray:
    new_dtype = dtypes.canonicalize(new_dtype)
    for dt in (x.dtype, new_dtype):
        if x.dtype != new_dtype and (dt == dtypes.bool_ or dtypes.is_complex(dt)):
            raise DTypeError(f"bitcast_convert_type cannot reinterpret {x.dtype} as "
                             f"{new_dtype}: bool and complex values are only bitcast to "
                             "their own dtype")
    return ShapedArray(bitcast_shape("bitcast_convert_type", x.shape, x.dtype, new_dtype),
                       new_dtype, False)


SPECIAL = (igamma_p, igammac_p, igamma_grad_a_p, regularized_incomplete_beta_p, zeta_p,
           bessel_i0e_p, bessel_i1e_p)

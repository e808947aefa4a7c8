"""Transpose rules of the linear elementwise primitives."""
from __future__ import annotations

from typing import Any

from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.transforms.programs import (UndefinedPrimal, aval, convert, is_undefined, neg,
                                          unbroadcast, weak_scalar)
from funcgrad.transforms.transpose.interpreter import (KEEP, SCALE, SELECT, mask_policy,
                                                       transpose_rules)


def _add_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    return [unbroadcast(ct, x.aval) if is_undefined(x) else None,
            unbroadcast(ct, y.aval) if is_undefined(y) else None]


def _sub_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    return [unbroadcast(ct, x.aval) if is_undefined(x) else None,
            unbroadcast(neg(ct), y.aval) if is_undefined(y) else None]


def _mul_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    if is_undefined(x) and is_undefined(y):
        raise UnsupportedError("cannot transpose mul of two linear values: the function "
                               "is not linear")
    if is_undefined(x):
        return [unbroadcast(P.mul_p.bind(ct, y), x.aval), None]
    return [None, unbroadcast(P.mul_p.bind(x, ct), y.aval)]


def _div_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    if is_undefined(y):
        raise UnsupportedError("cannot transpose div with a linear divisor: the function "
                               "is not linear")
    return [unbroadcast(P.div_p.bind(ct, y), x.aval), None]


transpose_rules[P.add_p] = _add_transpose
transpose_rules[P.sub_p] = _sub_transpose
transpose_rules[P.mul_p] = _mul_transpose
transpose_rules[P.div_p] = _div_transpose


def _integer_pow_transpose(ct: Any, x: Any, *, y: int) -> list[Any]:
    if y != 1:
        raise UnsupportedError(f"cannot transpose integer_pow with exponent {y}: x ** {y} is "
                               "not linear in x")
    return [ct]


transpose_rules[P.integer_pow_p] = _integer_pow_transpose


def _complex_transpose(ct: Any, re: Any, im: Any) -> list[Any]:
    return [unbroadcast(P.real_p.bind(ct), re.aval) if is_undefined(re) else None,
            unbroadcast(neg(P.imag_p.bind(ct)), im.aval) if is_undefined(im) else None]


transpose_rules[P.complex_p] = _complex_transpose


def _select_n_transpose(ct: Any, which: Any, *cases: Any) -> list[Any]:
    if is_undefined(which):
        raise UnsupportedError("cannot transpose select_n with respect to its selector")
    zero = weak_scalar(0, aval(ct).dtype)
    out: list[Any] = [None]
    for i, c in enumerate(cases):
        if not is_undefined(c):
            out.append(None)
            continue
        picked = P.select_n_p.bind(which, *(ct if j == i else zero for j in range(len(cases))))
        out.append(unbroadcast(picked, c.aval))
    return out


transpose_rules[P.select_n_p] = _select_n_transpose

# how each rule treats a cotangent that a select zeroed (see `mask_policy`)
mask_policy[P.select_n_p] = SELECT
mask_policy[P.mul_p] = SCALE
mask_policy[P.div_p] = SCALE
mask_policy[P.add_p] = KEEP
mask_policy[P.sub_p] = KEEP
mask_policy[P.neg_p] = KEEP
mask_policy[P.conj_p] = KEEP
mask_policy[P.real_p] = KEEP
mask_policy[P.imag_p] = KEEP
mask_policy[P.complex_p] = KEEP
mask_policy[P.convert_element_type_p] = KEEP
mask_policy[P.integer_pow_p] = KEEP


def _neg_transpose(ct: Any, x: UndefinedPrimal) -> list[Any]:
    return [neg(ct)]


def _conj_transpose(ct: Any, x: UndefinedPrimal) -> list[Any]:
    return [P.conj_p.bind(ct)]


def _real_transpose(ct: Any, x: UndefinedPrimal) -> list[Any]:
    return [P.complex_p.bind(ct, weak_scalar(0, aval(ct).dtype))]


def _imag_transpose(ct: Any, x: UndefinedPrimal) -> list[Any]:
    return [P.complex_p.bind(weak_scalar(0, aval(ct).dtype), neg(ct))]


def _convert_element_type_transpose(ct: Any, x: UndefinedPrimal, *, new_dtype: Any,
                                    weak_type: bool) -> list[Any]:
    return [convert(ct, x.aval.dtype, x.aval.weak_type)]


transpose_rules[P.neg_p] = _neg_transpose
transpose_rules[P.conj_p] = _conj_transpose
transpose_rules[P.real_p] = _real_transpose
transpose_rules[P.imag_p] = _imag_transpose
transpose_rules[P.convert_element_type_p] = _convert_element_type_transpose

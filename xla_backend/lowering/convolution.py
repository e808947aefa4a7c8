"""Lowering rule of conv_general_dilated: one ``stablehlo.convolution``.

Its dimension numbers are spelled by position, ``[b, f, 0, 1]x[o, i, 0, 1]->[b, f,
0, 1]``: each operand's dimensions in storage order, labelled with their role
(spatial ones by their index in the window). The window params, the group counts
and the precision pair (``precision_config``, the default when absent) are
attributes.

XLA runs complex convolutions as a slow loop on CPU and not at all on GPU, so
off TPU a complex convolution is four real ones: (a + bi)(c + di) = (ac - bd) +
(ad + bc)i. NB: JAX uses three (Gauss's trick), which saves a convolution at the
cost of accuracy when real and imaginary parts differ widely in magnitude.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.primitives.convolution import ConvDimensionNumbers, Pads
from funcgrad.xla_backend import runtime
from funcgrad.xla_backend.lowering.emitter import LoweringContext, i64_array, lowering_rules


def _labels(spec: tuple[int, ...], first: str, second: str) -> str:
    names = {spec[0]: first, spec[1]: second}
    names.update({d: str(k) for k, d in enumerate(spec[2:])})
    return f"[{', '.join(names[d] for d in range(len(spec)))}]"


def _conv_attrs(window_strides: tuple[int, ...], padding: Pads, lhs_dilation: tuple[int, ...],
                rhs_dilation: tuple[int, ...], dimension_numbers: ConvDimensionNumbers,
                feature_group_count: int, batch_group_count: int,
                precision: tuple[Any, Any] | None) -> str:
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    dims = (f"{_labels(lhs_spec, 'b', 'f')}x{_labels(rhs_spec, 'o', 'i')}->"
            f"{_labels(out_spec, 'b', 'f')}")
    attrs = [f"dimension_numbers = #stablehlo.conv<{dims}>",
             f"feature_group_count = {int(feature_group_count)} : i64",
             f"batch_group_count = {int(batch_group_count)} : i64"]
    if window_strides:      # no spatial dimensions: the window attributes are absent
        rows = ", ".join(f"[{int(lo)}, {int(hi)}]" for lo, hi in padding)
        attrs += [f"window_strides = {i64_array(window_strides)}",
                  f"padding = dense<[{rows}]> : tensor<{len(padding)}x2xi64>",
                  f"lhs_dilation = {i64_array(lhs_dilation)}",
                  f"rhs_dilation = {i64_array(rhs_dilation)}"]
    if precision is not None:
        attrs.append("precision_config = ["
                     + ", ".join(f"#stablehlo<precision {p.name}>" for p in precision) + "]")
    return ", ".join(attrs)


def _complex_conv(ctx: LoweringContext, lhs: str, rhs: str, attrs: str) -> str:
    out = ctx.avals_out[0]
    real_out = out.update(dtype=dtypes.real_dtype(out.dtype))

    def part(op: str, x: str) -> str:
        a = ctx.avals[x]
        return ctx.op1(op, [x], a.update(dtype=dtypes.real_dtype(a.dtype)))

    def conv(x: str, y: str) -> str:
        return ctx.op1("stablehlo.convolution", [x, y], real_out, attrs)

    a, b = part("stablehlo.real", lhs), part("stablehlo.imag", lhs)
    c, d = part("stablehlo.real", rhs), part("stablehlo.imag", rhs)
    re = ctx.op1("stablehlo.subtract", [conv(a, c), conv(b, d)], real_out)
    im = ctx.op1("stablehlo.add", [conv(a, d), conv(b, c)], real_out)
    return ctx.op1("stablehlo.complex", [re, im], out)


def _conv_general_dilated_lower(ctx: LoweringContext, lhs: str, rhs: str, *,
                                preferred_element_type: np.dtype | None,
                                **params: Any) -> list[str]:
    attrs = _conv_attrs(**params)
    if dtypes.is_complex(ctx.avals[lhs].dtype) and runtime.platform() != "tpu":
        return [_complex_conv(ctx, lhs, rhs, attrs)]
    return [ctx.op1("stablehlo.convolution", [lhs, rhs], ctx.avals_out[0], attrs)]


lowering_rules[P.conv_general_dilated_p] = _conv_general_dilated_lower

"""Lowering of XLA's random generators: ``stablehlo.rng_bit_generator`` and
``stablehlo.rng`` (UNIFORM).

XLA's RngBitGenerator takes its key as uint64[2]; a uint32[4] key (JAX's
representation) is reshaped to [2, 2] and bitcast on the way in and out, so the
bits equal those JAX draws from the same key. It draws no 8- or 16-bit words:
those are drawn as uint32 and truncated, as JAX does.
"""
from __future__ import annotations

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.primitives.rng import ALGORITHMS
from funcgrad.xla_backend.lowering.emitter import LoweringContext, lowering_rules

_KEY64 = ShapedArray((2,), dtypes.uint64)


def _rng_bit_generator_lower(ctx: LoweringContext, key: str, *, shape: tuple[int, ...],
                             dtype: np.dtype, algorithm: int) -> list[str]:
    key_aval = ctx.avals[key]
    wide = key_aval.dtype == dtypes.uint32
    if wide:
        pairs = ctx.op1("stablehlo.reshape", [key], ShapedArray((2, 2), dtypes.uint32))
        key = ctx.op1("stablehlo.bitcast_convert", [pairs], _KEY64)
    drawn = dtype if dtype.itemsize >= 4 else dtypes.uint32
    new_key, bits = ctx.op("stablehlo.rng_bit_generator", [key],
                           [_KEY64, ShapedArray(shape, drawn)],
                           f"rng_algorithm = #stablehlo<rng_algorithm {ALGORITHMS[algorithm]}>")
    if wide:
        pairs = ctx.op1("stablehlo.bitcast_convert", [new_key], ShapedArray((2, 2), dtypes.uint32))
        new_key = ctx.op1("stablehlo.reshape", [pairs], key_aval)
    return [new_key, ctx.convert(bits, dtype)]


def _rng_uniform_lower(ctx: LoweringContext, a: str, b: str, *,
                       shape: tuple[int, ...]) -> list[str]:
    dims = ctx.op1("stablehlo.constant", [], ShapedArray((len(shape),), dtypes.int64),
                   f"value = dense<[{', '.join(map(str, shape))}]> : tensor<{len(shape)}xi64>")
    return [ctx.op1("stablehlo.rng", [a, b, dims], ctx.avals_out[0],
                    "rng_distribution = #stablehlo<rng_distribution UNIFORM>")]


lowering_rules.update({
    P.rng_bit_generator_p: _rng_bit_generator_lower,
    P.rng_uniform_p: _rng_uniform_lower,
})

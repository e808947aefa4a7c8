"""Lowering rule of `fft_p`: one ``stablehlo.fft``, the same on every platform
(XLA picks the FFT library), except for empty transforms, which XLA rejects."""
from __future__ import annotations

from funcgrad import primitives as P
from funcgrad.xla_backend.lowering.emitter import LoweringContext, i64_array, lowering_rules


def _fft_lower(ctx: LoweringContext, x: str, *, fft_type: str,
               fft_lengths: tuple[int, ...]) -> list[str]:
    out = ctx.avals_out[0]
    if 0 in ctx.avals_in[0].shape or 0 in out.shape:   # an empty result is all zeros
        return [ctx.constant(0, out.dtype, out.shape)]
    return [ctx.op1("stablehlo.fft", [x], out,
                    f"fft_type = #stablehlo<fft_type {fft_type}>, "
                    f"fft_length = {i64_array(fft_lengths)}")]


lowering_rules[P.fft_p] = _fft_lower

"""Lowering rules of the host-callback primitives: an XLA FFI custom call into the
Python callback handler that jaxlib registers (``xla_ffi_python_cpu_callback``,
``..._gpu_callback``), naming the callback by its index in the module's
`host_callbacks` (the runtime hands XLA that list when it compiles).

The effectful callbacks (io_callback, debug_callback) take the function's effect
token first and give the next one first, so they run in program order; the
callback itself receives the token as None and returns it unchanged.
"""
from __future__ import annotations

from typing import Any

from funcgrad import primitives as P
from funcgrad.primitives.callback import HostCallback
from funcgrad.xla_backend import runtime
from funcgrad.xla_backend.lowering.emitter import TOKEN, LoweringContext, lowering_rules


def _target() -> str:
    platform = runtime.platform()
    if platform == "cpu":
        return "xla_ffi_python_cpu_callback"
    if platform in ("cuda", "rocm", "gpu"):
        return "xla_ffi_python_gpu_callback"
    raise NotImplementedError(f"host callbacks are not available on the {platform} backend "
                              "(funcgrad supports them on CPU and GPU)")


def _emit(ctx: LoweringContext, callback: HostCallback, operands: list[str],
          effectful: bool) -> list[str]:
    out_avals = list(ctx.avals_out)
    fn: Any = callback
    if effectful:
        operands = [ctx.effect_token(), *operands]
        out_avals = [TOKEN, *out_avals]

        def fn(token: Any, *args: Any) -> tuple[Any, ...]:
            return (token, *callback(*args))
    mb = ctx.module
    mb.host_callbacks.append(fn)
    index = len(mb.host_callbacks) - 1
    side = ", has_side_effect = true" if effectful else ""
    attrs = (f'api_version = 4 : i32, call_target_name = "{_target()}", '
             f"backend_config = {{index = {index} : ui64}}{side}")
    outs = ctx.op("stablehlo.custom_call", operands, out_avals, attrs)
    if effectful:
        ctx.token, *outs = outs
    return outs


def _pure_callback_lower(ctx: LoweringContext, *args: str, callback: HostCallback,
                         vmap_method: str | None) -> list[str]:
    return _emit(ctx, callback, list(args), False)


def _io_callback_lower(ctx: LoweringContext, *args: str, callback: HostCallback,
                       ordered: bool) -> list[str]:
    return _emit(ctx, callback, list(args), True)


def _debug_callback_lower(ctx: LoweringContext, *args: str,
                          callback: HostCallback) -> list[str]:
    return _emit(ctx, callback, list(args), True)


lowering_rules.update({
    P.pure_callback_p: _pure_callback_lower, P.io_callback_p: _io_callback_lower,
    P.debug_callback_p: _debug_callback_lower,
})

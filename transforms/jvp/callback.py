"""JVP rules of the host callbacks.

debug_callback sees primal values only (a `debug.print` under `grad` prints the
primal, as in JAX): the rule calls it again on the primals and has no outputs.
pure_callback and io_callback have no rule: the host function is opaque to
differentiation. The error names the primitive and points to `custom_jvp`,
which is how a callback gets a derivative (JAX's advice too).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.primitives.callback import HostCallback
from funcgrad.transforms.jvp.interpreter import NO_RULE, jvp_rules


def _debug_callback_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
                        callback: HostCallback) -> tuple[list[Any], list[Any]]:
    P.debug_callback_p.bind(*primals, callback=callback)
    return [], []


jvp_rules[P.debug_callback_p] = _debug_callback_jvp

NO_RULE.update({
    P.pure_callback_p: "a host function is opaque to differentiation: give the callback a "
                       "derivative with fg.custom_jvp / fg.custom_vjp (as in JAX)",
    P.io_callback_p: "a host function with side effects is opaque to differentiation "
                     "(as in JAX)",
})

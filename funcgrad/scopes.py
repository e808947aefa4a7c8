"""Context managers that change how the code inside them is staged or run.

- `named_scope(name)` names the equations staged inside it: the name shows in
  the printed Program (``# name``) and as the location of the StableHLO ops
  they lower to (``loc("name/sin")``, kept by XLA as the op's metadata), so a
  profile or an HLO dump can be read back to the model's structure.
- `disable_jit()` runs jit-decorated functions op by op, and control flow
  (cond, switch, while_loop, scan, fori_loop, map) as Python code, so a
  debugger, ``print`` and Python ``if`` on values work inside them.
- `ensure_compile_time_eval()` computes, while a function is being staged,
  every operation whose operands are all concrete, so their results can steer
  Python control flow; operations on traced values are staged as usual.

Each is local to the thread (or asyncio task) that enters it, and nests; each
also works as a decorator. The state lives below the interpreters
(funcgrad.config and funcgrad.ir), which read it.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from funcgrad.config import compile_time_eval, jit_disabled_here
from funcgrad.ir import extend_scope

__all__ = ["disable_jit", "ensure_compile_time_eval", "named_scope"]


@contextmanager
def named_scope(name: str) -> Iterator[None]:
    """Stage the block's equations under `name` (nested scopes join with "/").

    Raises TypeError when `name` is not a string. Example::

        def mlp(params, x):
            with fg.named_scope("layer1"):
                x = fnp.tanh(x @ params[0])
            return x @ params[1]

        print(fg.make_ir(mlp)(params, x))     # the layer-1 equations end "# layer1"
        fg.jit(mlp).lower(params, x).as_text(debug_info=True)   # loc("layer1/tanh")
    """
    if not isinstance(name, str):
        raise TypeError(f"named_scope takes a string name, got {type(name).__name__} "
                        f"{name!r:.60}")
    with extend_scope(name):
        yield


@contextmanager
def disable_jit(disable: bool = True) -> Iterator[None]:
    """Inside the block, jit-decorated functions run their Python body op by op
    (each operation executed at once) and control-flow functions run their
    Python bodies in a Python ``if``/``while``/``for``; ``disable_jit(False)``
    turns jit back on inside an outer ``disable_jit()`` or the config option
    ``fg.config.update("disable_jit", True)``.

    NB: a `while_loop` whose condition is not concrete here (under `vmap`, say)
    is staged as usual, like JAX. Example::

        with fg.disable_jit():
            f(x)          # a jitted f: its prints run, `if x > 0` works
    """
    token = jit_disabled_here.set(bool(disable))
    try:
        yield
    finally:
        jit_disabled_here.reset(token)


@contextmanager
def ensure_compile_time_eval() -> Iterator[None]:
    """While staging (under `jit`, in control-flow bodies), compute at once every
    operation in the block whose operands are all concrete (no traced value):
    the results are concrete Arrays, usable in Python control flow. Operations
    on traced values are still staged. Example::

        @fg.jit
        def f(x):
            with fg.ensure_compile_time_eval():
                positive = fnp.sin(3.0) > 0      # a concrete Array
            return fnp.sin(x) if positive else fnp.cos(x)
    """
    token = compile_time_eval.set(True)
    try:
        yield
    finally:
        compile_time_eval.reset(token)

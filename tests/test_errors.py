"""Errors are API (DESIGN decision 8): each error's type and what its message
says (the op, the shapes, the user's line, what to do instead), and that a
failed call leaves nothing broken behind."""
from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import primitives as P
from funcgrad.errors import (ConcretizationError, DTypeError, EscapedTracerError, ShapeError,
                             UnsupportedError)

HERE = __file__


def _next_line() -> int:
    """The line number after the caller's current line."""
    return sys._getframe(1).f_lineno + 1


# ---------------------------------------------------------------------------
# shape errors name the op, both shapes and the user's line


def test_shape_mismatch_eager_names_op_shapes_and_line() -> None:
    x, y = fnp.ones((2, 3)), fnp.ones((4,))
    line = _next_line()
    with pytest.raises(ShapeError) as info:
        x + y
    msg = str(info.value)
    assert "add" in msg and "(2, 3)" in msg and "(4,)" in msg
    assert f"{HERE}:{line + 1}" in msg


def test_shape_mismatch_under_jit_points_into_the_users_function() -> None:
    def f(a: Any, b: Any) -> Any:
        c = a * 2
        line[0] = _next_line()
        return fnp.maximum(c, b)
    line = [0]
    with pytest.raises(ShapeError) as info:
        fg.jit(f)(fnp.ones((2, 3)), fnp.ones((3, 2)))
    msg = str(info.value)
    assert "max" in msg and "(2, 3)" in msg and "(3, 2)" in msg
    assert f"{HERE}:{line[0]}" in msg and "(f)" in msg
    assert isinstance(info.value, ValueError)


def test_matmul_mismatch() -> None:
    line = _next_line()
    with pytest.raises(ValueError) as info:
        fg.jit(lambda a, b: a @ b)(fnp.ones((2, 3)), fnp.ones((4, 5)))
    msg = str(info.value)
    assert "(2, 3)" in msg and "(4, 5)" in msg
    assert "matmul" in msg or "dot_general" in msg
    assert f"{HERE}:{line + 1}" in msg


def test_reshape_and_concatenate_errors_name_the_op() -> None:
    with pytest.raises(ShapeError, match=r"reshape.*\(2, 3\).*\(4, 2\)"):
        fnp.ones((2, 3)).reshape(4, 2)
    with pytest.raises(ShapeError, match=r"concatenate.*\(2, 3\).*\(2, 4\)") as info:
        fnp.concatenate([fnp.ones((2, 3)), fnp.ones((2, 4))], axis=0)
    assert HERE in str(info.value)


def test_primitive_dtype_error() -> None:
    with pytest.raises(DTypeError, match="add: operands must have one dtype.*float64.*float32"):
        P.add_p.bind(fnp.ones(2), fnp.ones(2, fnp.float32))
    with pytest.raises(DTypeError, match="sin needs a floating or complex operand"):
        P.sin_p.bind(fnp.ones(2, fnp.int32))
    assert issubclass(DTypeError, TypeError)


# ---------------------------------------------------------------------------
# concretization


def _branchy(x: Any, flag: Any) -> Any:
    if flag > 0:
        return x
    return -x


@pytest.mark.parametrize("make", [
    lambda: fg.jit(_branchy),
    lambda: fg.make_ir(_branchy),
], ids=["jit", "make_ir"])
def test_if_on_traced_value(make: Any) -> None:
    with pytest.raises(ConcretizationError) as info:
        make()(fnp.ones(2), fnp.asarray(1.0))
    msg = str(info.value)
    assert isinstance(info.value, TypeError)
    assert "bool()" in msg and "flag" in msg
    assert "lax.cond" in msg and "static_argnums" in msg
    assert f"{HERE}:" in msg and "(_branchy)" in msg


@pytest.mark.parametrize("conv,what", [(int, "int()"), (float, "float()"), (bool, "bool()"),
                                       (complex, "complex()")])
def test_conversions_of_traced_values(conv: Any, what: str) -> None:
    def f(scale: Any) -> Any:
        return fnp.ones(2) * conv(scale)
    with pytest.raises(ConcretizationError) as info:
        fg.jit(f)(fnp.asarray(2.0))
    msg = str(info.value)
    assert what in msg and "scale" in msg and "static_argnums" in msg


def test_concretization_names_pytree_argument_paths() -> None:
    with pytest.raises(ConcretizationError, match=r"params\['lr'\]"):
        fg.jit(lambda x, params: x * int(params["lr"]))(fnp.ones(2), {"lr": fnp.asarray(1)})


def test_other_concretizing_uses() -> None:
    cases = [
        lambda x: np.asarray(x),
        lambda x: x.item(),
        lambda x: x.tolist(),
        lambda x: range(x),
        lambda x: [0, 1, 2][x],
    ]
    for f in cases:
        with pytest.raises(ConcretizationError, match="static_argnums"):
            fg.jit(f)(fnp.asarray(1))


def test_static_argnums_is_the_fix() -> None:
    assert float(fg.jit(_branchy, static_argnums=1)(fnp.ones(2), 1.0)[0]) == 1.0
    assert float(fg.jit(_branchy, static_argnums=1)(fnp.ones(2), -1.0)[0]) == -1.0


def test_concrete_arrays_convert_fine() -> None:
    x = fnp.asarray(2.5)
    assert bool(x) and int(x) == 2 and float(x) == 2.5
    if x > 0:
        pass
    else:   # pragma: no cover
        pytest.fail("concrete comparison gave the wrong branch")


# ---------------------------------------------------------------------------
# escaped tracers


def test_escaped_tracer_used_eagerly() -> None:
    leaked: list[Any] = []

    def f(x: Any) -> Any:
        leaked.append(x * 2)
        return x
    fg.jit(f)(fnp.ones(2))
    t = leaked[0]
    with pytest.raises(EscapedTracerError, match="escaped") as info:
        t + 1
    assert "jit" in str(info.value) and "f64[2]" in str(info.value)
    with pytest.raises(EscapedTracerError):
        fnp.sin(t)
    with pytest.raises(EscapedTracerError):
        fnp.sum(t)
    assert isinstance(info.value, RuntimeError)


def test_escaped_tracer_used_inside_another_jit() -> None:
    store: dict[str, Any] = {}
    fg.jit(lambda x: store.setdefault("t", x) * 1)(fnp.ones(3))
    with pytest.raises(EscapedTracerError):
        fg.jit(lambda y: y + store["t"])(fnp.ones(3))
    # a clean function still works afterwards
    np.testing.assert_array_equal(np.asarray(fg.jit(lambda y: y + 1)(fnp.ones(3))), [2, 2, 2])


def test_escaped_tracer_in_global() -> None:
    global _LEAK
    fg.jit(_leak_into_global)(fnp.ones(2))
    with pytest.raises(EscapedTracerError):
        _LEAK * 3


_LEAK: Any = None


def _leak_into_global(x: Any) -> Any:
    global _LEAK
    _LEAK = x
    return x + 1


# ---------------------------------------------------------------------------
# immutability and hashing


def test_setitem_points_to_at() -> None:
    x = fnp.zeros(3)
    with pytest.raises(TypeError, match=r"immutable.*\.at\[idx\]\.set\(v\)"):
        x[0] = 1
    np.testing.assert_array_equal(np.asarray(x), np.zeros(3))

    def f(y: Any) -> Any:
        y[0] = 1
        return y
    with pytest.raises(TypeError, match=r"\.at\["):
        fg.jit(f)(fnp.zeros(3))


def test_array_static_argument_is_not_hashable() -> None:
    f = fg.jit(lambda x, n: x * n, static_argnums=1)
    with pytest.raises(TypeError, match="static argument 1 is an Array, which is not hashable"):
        f(fnp.ones(2), fnp.asarray(2.0))
    with pytest.raises(TypeError, match="not hashable"):
        fg.jit(lambda x, n: x, static_argnames="n")(fnp.ones(2), n=np.ones(2))
    with pytest.raises(TypeError, match="list.*not hashable.*tuples"):
        f(fnp.ones(2), [1, 2])
    # the function still works with a hashable static
    assert float(f(fnp.ones(2), 3)[0]) == 3.0


def test_arrays_are_unhashable() -> None:
    with pytest.raises(TypeError, match="unhashable"):
        hash(fnp.ones(2))
    with pytest.raises(TypeError, match="unhashable"):
        {fnp.ones(2): 1}


# ---------------------------------------------------------------------------
# failures corrupt nothing


def test_failed_trace_does_not_poison_the_cache() -> None:
    state = {"fail": True}

    def f(x: Any) -> Any:
        if state["fail"]:
            return x + fnp.ones(5)          # shape error on the first trace
        return x * 2
    jf = fg.jit(f)
    with pytest.raises(ShapeError):
        jf(fnp.ones(3))
    state["fail"] = False
    np.testing.assert_array_equal(np.asarray(jf(fnp.ones(3))), [2, 2, 2])


def test_next_call_after_errors_works() -> None:
    jf = fg.jit(lambda a, b: a + b)
    with pytest.raises(ShapeError):
        jf(fnp.ones(2), fnp.ones(3))
    with pytest.raises(ConcretizationError):
        fg.jit(lambda a: int(a))(fnp.ones(()))
    with pytest.raises(ShapeError):
        fnp.ones(2) * fnp.ones(3)
    np.testing.assert_array_equal(np.asarray(jf(fnp.ones(2), fnp.ones(2))), [2, 2])
    np.testing.assert_array_equal(np.asarray(fnp.ones(2) * fnp.ones(2)), [1, 1])
    # the trace context is back to eager: eager conversions work
    assert int(fnp.asarray(3)) == 3


def test_error_inside_nested_jit_restores_state() -> None:
    inner = fg.jit(lambda x: x.reshape(7))
    outer = fg.jit(lambda x: inner(x) + 1)
    with pytest.raises(ShapeError, match="reshape"):
        outer(fnp.ones(3))
    np.testing.assert_array_equal(np.asarray(fg.jit(lambda x: inner(x) + 1)(fnp.ones(7))),
                                  np.full(7, 2.0))


# ---------------------------------------------------------------------------
# unsupported NumPy arguments raise instead of being ignored


@pytest.mark.parametrize("call", [
    lambda o: fnp.add(fnp.ones(2), 1.0, out=o),
    lambda o: fnp.sin(fnp.ones(2), out=o),
    lambda o: fnp.sum(fnp.ones(2), out=o),
    lambda o: fnp.max(fnp.ones(2), out=o),
    lambda o: fnp.mean(fnp.ones(2), out=o),
    lambda o: fnp.argmax(fnp.ones(2), out=o),
    lambda o: fnp.cumsum(fnp.ones(2), out=o),
    lambda o: fnp.round(fnp.ones(2), out=o),
], ids=["add", "sin", "sum", "max", "mean", "argmax", "cumsum", "round"])
def test_out_argument_raises(call: Any) -> None:
    with pytest.raises(UnsupportedError, match="out=.*immutable"):
        call(fnp.zeros(2))
    assert issubclass(UnsupportedError, NotImplementedError)


def test_invalid_values_raise_clear_type_errors() -> None:
    with pytest.raises(TypeError, match="not a valid funcgrad value"):
        fnp.sin(object())
    with pytest.raises(TypeError, match="Python objects"):
        fnp.array([object()])

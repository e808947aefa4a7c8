"""fg.jit: caching and retracing, static arguments, pytrees, nesting, closures,
lowering to StableHLO, ahead-of-time compilation, and fg.make_ir."""
from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.ir import Program

Point = namedtuple("Point", ["x", "y"])


class Counter:
    """Counts how often a function body runs in Python (= how often it is traced)."""

    def __init__(self) -> None:
        self.n = 0

    def wrap(self, f: Any) -> Any:
        def g(*args: Any, **kwargs: Any) -> Any:
            self.n += 1
            return f(*args, **kwargs)
        g.__name__ = getattr(f, "__name__", "g")
        return g


def test_second_call_does_not_retrace() -> None:
    c = Counter()
    f = fg.jit(c.wrap(lambda x, y: fnp.sin(x) * y + 1.0))
    x, y = fnp.arange(3.0), fnp.ones(3)
    r1 = f(x, y)
    r2 = f(x + 1, y * 2)          # same signature, new values
    assert c.n == 1
    np.testing.assert_allclose(np.asarray(r1), np.sin(np.arange(3.0)) + 1)
    np.testing.assert_allclose(np.asarray(r2), np.sin(np.arange(3.0) + 1) * 2 + 1)


@pytest.mark.parametrize("second", [
    fnp.arange(4.0),                               # new shape
    fnp.arange(3.0).astype(fnp.float32),           # new dtype
    fnp.arange(3),                                 # new kind
], ids=["shape", "dtype", "kind"])
def test_retrace_on_new_signature(second: Any) -> None:
    c = Counter()
    f = fg.jit(c.wrap(lambda x: x * 2))
    f(fnp.arange(3.0))
    out = f(second)
    assert c.n == 2
    assert out.dtype == second.dtype and out.shape == second.shape
    f(second)
    f(fnp.arange(3.0))
    assert c.n == 2                  # both signatures are cached


def test_weak_type_is_part_of_the_signature() -> None:
    c = Counter()
    f = fg.jit(c.wrap(lambda x: x + fnp.ones(2, fnp.float32)))
    a = f(1.0)                         # weak float64: stays float32 in the sum
    b = f(fnp.asarray(1.0))            # strong float64: promotes
    assert c.n == 2
    assert a.dtype == np.float32 and b.dtype == np.float64
    f(2.0)
    f(3)                               # weak int: a new signature (int64)
    assert c.n == 3


def test_python_scalar_arguments() -> None:
    f = fg.jit(lambda x, y: x * y)
    assert f(2, 3).dtype == np.int64 and int(f(2, 3)) == 6
    assert f(2.5, 2).dtype == np.float64 and float(f(2.5, 2)) == 5.0
    assert f(True, False).dtype == np.bool_
    assert f(1j, 2).dtype == np.complex128
    assert f(fnp.ones(2, fnp.int8), 3).dtype == np.int8
    np_scalar = f(np.float32(2.0), 2.0)          # NumPy scalars are strong
    assert np_scalar.dtype == np.float32


def test_numpy_array_arguments() -> None:
    f = fg.jit(lambda x: x + 1)
    out = f(np.arange(3, dtype=np.int16))
    assert out.dtype == np.int16
    np.testing.assert_array_equal(np.asarray(out), [1, 2, 3])


def test_static_argnums() -> None:
    c = Counter()
    f = fg.jit(c.wrap(lambda x, n: x ** n if n > 1 else x), static_argnums=1)
    x = fnp.arange(3.0)
    np.testing.assert_allclose(np.asarray(f(x, 3)), np.arange(3.0) ** 3)
    np.testing.assert_allclose(np.asarray(f(x, 1)), np.arange(3.0))
    f(x, 3)
    assert c.n == 2
    g = fg.jit(lambda a, b, shape: fnp.reshape(a + b, shape), static_argnums=(-1,))
    assert g(fnp.arange(6.0), 1.0, (2, 3)).shape == (2, 3)


def test_static_argnames() -> None:
    c = Counter()

    def f(x: Any, *, axis: int, keepdims: bool = False) -> Any:
        return fnp.sum(x, axis=axis, keepdims=keepdims)
    jf = fg.jit(c.wrap(f), static_argnames=("axis", "keepdims"))
    x = fnp.ones((2, 3))
    assert jf(x, axis=0).shape == (3,)
    assert jf(x, axis=1, keepdims=True).shape == (2, 1)
    assert jf(x, axis=0).shape == (3,)
    assert c.n == 2


def test_static_argnames_by_position_and_keyword() -> None:
    f = fg.jit(lambda x, n: x * n, static_argnames="n")
    assert float(f(fnp.asarray(2.0), n=3)) == 6.0


def test_keyword_arguments_are_traced() -> None:
    f = fg.jit(lambda x, y=1.0: x - y)
    assert float(f(fnp.asarray(3.0), y=fnp.asarray(1.5))) == 1.5
    assert float(f(fnp.asarray(3.0))) == 2.0


def test_pytrees_in_and_out() -> None:
    def f(d: dict[str, Any], p: Point, t: tuple[Any, ...], nothing: None) -> Any:
        assert nothing is None
        return {"sum": d["a"] + d["b"], "pt": Point(p.y, p.x), "list": [t[0] * 2, None],
                "nested": (t[1]["z"],)}
    jf = fg.jit(f)
    out = jf({"b": fnp.ones(2), "a": fnp.arange(2.0)}, Point(fnp.asarray(1), 2.5),
             (fnp.asarray(3.0), {"z": fnp.zeros(1)}), None)
    assert set(out) == {"sum", "pt", "list", "nested"}
    np.testing.assert_allclose(np.asarray(out["sum"]), [1.0, 2.0])
    assert isinstance(out["pt"], Point)
    assert float(out["pt"].x) == 2.5 and int(out["pt"].y) == 1
    assert out["list"][1] is None and float(out["list"][0]) == 6.0
    assert isinstance(out["nested"], tuple) and out["nested"][0].shape == (1,)


def test_pytree_structure_is_part_of_the_signature() -> None:
    c = Counter()
    f = fg.jit(c.wrap(lambda t: fg.tree.leaves(t)[0] * 1))
    f({"a": fnp.ones(2)})
    f({"b": fnp.ones(2)})          # other key: a new structure
    f([fnp.ones(2)])
    f((fnp.ones(2),))
    assert c.n == 4
    f({"a": fnp.zeros(2)})
    assert c.n == 4


def test_returning_constants_scalars_and_inputs() -> None:
    f = fg.jit(lambda x: (x, 1.0, fnp.zeros(2), 3))
    x = fnp.arange(2.0)
    a, b, z, i = f(x)
    np.testing.assert_array_equal(np.asarray(a), [0.0, 1.0])
    assert isinstance(b, fg.Array) and float(b) == 1.0 and b.dtype == np.float64
    assert z.shape == (2,) and int(i) == 3


def test_nested_jit() -> None:
    c_inner, c_outer = Counter(), Counter()
    inner = fg.jit(c_inner.wrap(lambda x: fnp.sin(x) * 2))
    outer = fg.jit(c_outer.wrap(lambda x: inner(x) + inner(x + 1)))
    x = fnp.arange(3.0)
    want = np.sin(np.arange(3.0)) * 2 + np.sin(np.arange(3.0) + 1) * 2
    np.testing.assert_allclose(np.asarray(outer(x)), want)
    np.testing.assert_allclose(np.asarray(outer(x)), want)
    assert c_outer.n == 1 and c_inner.n == 1     # one signature for both inner calls
    ir = str(fg.make_ir(outer)(x))
    assert ir.count("jit[") >= 2 and "sin" in ir
    # the inner function still works on its own, eagerly
    np.testing.assert_allclose(np.asarray(inner(x)), np.sin(np.arange(3.0)) * 2)


def test_closure_over_arrays_becomes_a_constant() -> None:
    w = fnp.arange(3.0)
    f = fg.jit(lambda x: x * w + w.sum())
    np.testing.assert_allclose(np.asarray(f(fnp.ones(3))), np.arange(3.0) + 3.0)
    ir = str(fg.make_ir(lambda x: x * w)(fnp.ones(3)))
    assert "f64[3]" in ir


def test_closure_over_numpy_array() -> None:
    w = np.arange(3, dtype=np.int32)
    f = fg.jit(lambda x: x + w)
    out = f(fnp.ones(3, fnp.int32))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(out), [1, 2, 3])


def test_lower_as_text_and_compile() -> None:
    f = fg.jit(lambda x, w: fnp.tanh(x @ w).sum(axis=0))
    x, w = fnp.arange(6.0).reshape(2, 3), fnp.ones((3, 4))
    lowered = f.lower(x, w)
    text = lowered.as_text()
    assert "stablehlo" in text and "func.func public @main" in text
    assert "tensor<2x3xf64>" in text and "tensor<4xf64>" in text
    compiled = lowered.compile()
    out = compiled(x, w)
    want = np.tanh(np.arange(6.0).reshape(2, 3) @ np.ones((3, 4))).sum(axis=0)
    np.testing.assert_allclose(np.asarray(out), want)
    np.testing.assert_allclose(np.asarray(compiled(x * 0, w)), np.zeros(4))
    with pytest.raises(TypeError, match="compiled for"):
        compiled(fnp.ones((3, 3)), w)


def test_lower_does_not_execute_and_matches_call() -> None:
    f = fg.jit(lambda x: fnp.cumsum(x) * 2)
    text = f.lower(fnp.ones(4, fnp.float32)).as_text()
    assert "f32" in text and "reduce_window" in text


def test_make_ir_printing() -> None:
    def f(x: Any, y: Any) -> Any:
        return fnp.sin(x) * y + 2.0
    prog = fg.make_ir(f)(fnp.ones((2, 3)), fnp.ones((2, 3)))
    assert isinstance(prog, Program)
    text = str(prog)
    assert "f64[2,3]" in text
    for name in ("sin", "mul", "add"):
        assert f" {name} " in text
    assert "2.0" in text
    assert len(prog.eqns) == 3
    assert [v.aval.str_short() for v in prog.invars] == ["f64[2,3]", "f64[2,3]"]


def test_make_ir_with_static_argnums_and_dtypes() -> None:
    prog = fg.make_ir(lambda x, n: x.sum(axis=n), static_argnums=1)(fnp.ones((2, 3), fnp.int8), 0)
    text = str(prog)
    assert "i8[2,3]" in text and "reduce_sum" in text and "axes=(0,)" in text
    prog = fg.make_ir(lambda x: x > 0)(fnp.ones(3, fnp.float32))
    assert "bool[3]" in str(prog)


def test_make_ir_weak_scalar_argument() -> None:
    prog = fg.make_ir(lambda x: x * 2)(1.5)
    assert prog.invars[0].aval.weak_type
    assert "f64[]" in str(prog)


def test_jit_of_method_and_decorator_forms() -> None:
    @fg.jit
    def f(x: Any) -> Any:
        return x + 1

    @fg.jit(static_argnums=(1,))
    def g(x: Any, k: int) -> Any:
        return x * k

    class M:
        scale = 3.0

        @fg.jit(static_argnums=0)      # self is hashable: a static argument
        def apply(self, x: Any) -> Any:
            return x * self.scale

        @fg.jit
        def traced_self(self, x: Any) -> Any:
            return x

    assert float(f(1.0)) == 2.0
    assert float(g(fnp.asarray(2.0), 4)) == 8.0
    assert float(M().apply(fnp.asarray(2.0))) == 6.0
    with pytest.raises(TypeError, match="M .* is not a valid funcgrad value"):
        M().traced_self(fnp.asarray(2.0))


def test_jit_is_a_call_primitive_under_jit() -> None:
    inner = fg.jit(lambda x: x * 2)
    prog = fg.make_ir(lambda x: inner(x))(fnp.ones(2))
    assert [e.prim.name for e in prog.eqns] == ["jit"]
    sub = prog.eqns[0].params["program"]
    assert isinstance(sub, Program) and [e.prim.name for e in sub.eqns] == ["mul"]


def test_zero_size_and_scalar_shapes() -> None:
    f = fg.jit(lambda x: (x * 2).sum(axis=0))
    assert f(fnp.ones((0, 3))).shape == (3,)
    np.testing.assert_array_equal(np.asarray(f(fnp.ones((0, 3)))), np.zeros(3))
    assert fg.jit(lambda x: x + 1)(fnp.asarray(1.0)).shape == ()


def test_jit_with_no_arguments_and_no_outputs() -> None:
    assert float(fg.jit(lambda: fnp.asarray(4.0) * 2)()) == 8.0
    assert fg.jit(lambda x: None)(fnp.ones(2)) is None
    assert fg.jit(lambda x: ())(fnp.ones(2)) == ()


def test_jit_rejects_non_array_outputs() -> None:
    with pytest.raises(TypeError, match="not an array"):
        fg.jit(lambda x: "hello")(fnp.ones(2))


def test_jit_rejects_non_array_arguments() -> None:
    with pytest.raises(TypeError, match="not a valid funcgrad value"):
        fg.jit(lambda x: x)("a string")


def test_static_argnums_out_of_range() -> None:
    with pytest.raises(ValueError, match="static_argnums"):
        fg.jit(lambda x: x, static_argnums=3)


def test_eager_and_jit_agree_bitwise() -> None:
    x = fnp.linspace(-3, 3, 7)

    def f(v: Any) -> Any:
        return fnp.exp(fnp.sin(v) * 1.5) / (1 + v * v)
    np.testing.assert_array_equal(np.asarray(f(x)), np.asarray(fg.jit(f)(x)))

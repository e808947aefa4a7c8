"""JVP rules of the collectives. Every lane's value is its own (a lane's
tangent is not assumed equal to any other's), so a linear collective's tangent
is the same collective of the tangents; pmax/pmin pass on the tangent of the
lane(s) holding the extremum (averaged over tied lanes); axis_index is an
integer, with a zero tangent."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.core import Primitive
from funcgrad.transforms.jvp.interpreter import deflinear, jvp_rules, zero_jvp
from funcgrad.transforms.programs import (Zero, aval, const, differentiable, div, masked, named,
                                          tangent_aval)

deflinear(P.psum_p)
deflinear(P.all_gather_p)
deflinear(P.psum_scatter_p)
deflinear(P.all_to_all_p)
deflinear(P.ppermute_p)
jvp_rules[P.axis_index_p] = zero_jvp(P.axis_index_p)


def _chooser_jvp(prim: Primitive) -> Callable[..., tuple[Any, Any]]:
    """pmax/pmin: the tangent of the lanes that attain the extremum, averaged
    over them: psum(t where x == ans) / psum(1 where x == ans), elementwise."""
    def rule(primals: Sequence[Any], tangents: Sequence[Any], *,
             axis_name: tuple[Hashable, ...]) -> tuple[Any, Any]:
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axis_name=axis_name)
        xa = aval(x)
        if not differentiable(xa) or type(t) is Zero:
            return ans, Zero(tangent_aval(aval(ans)))
        wins = P.eq_p.bind(x, ans)
        ones = P.convert_element_type_p.bind(wins, new_dtype=xa.dtype, weak_type=False)
        count = P.psum_p.bind(ones, axis_name=axis_name)
        # at least 1: a NaN extremum equals no lane, and then the tangent is zero
        count = P.max_p.bind(count, const(count, 1))
        return ans, div(P.psum_p.bind(masked(wins, t), axis_name=axis_name), count)
    return named(rule, f"_{prim.name}_jvp")


jvp_rules[P.pmax_p] = _chooser_jvp(P.pmax_p)
jvp_rules[P.pmin_p] = _chooser_jvp(P.pmin_p)

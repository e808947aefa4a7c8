"""JVP rules of the structural primitives: shapes, slices, padding."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.transforms.jvp.interpreter import deflinear, jvp_rules, zero_jvp
from funcgrad.transforms.programs import Zero, aval, convert, instantiate, tangent_aval, weak_scalar


deflinear(P.broadcast_in_dim_p)
deflinear(P.reshape_p)
deflinear(P.transpose_p)
deflinear(P.squeeze_p)
deflinear(P.expand_dims_p)
deflinear(P.rev_p)
deflinear(P.slice_p)
deflinear(P.split_p)
deflinear(P.tile_p)
deflinear(P.copy_p)


def _dynamic_slice_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
                       slice_sizes: tuple[int, ...]) -> tuple[Any, Any]:
    x, *idx = primals
    ans = P.dynamic_slice_p.bind(x, *idx, slice_sizes=slice_sizes)
    t = tangents[0]
    if type(t) is Zero:
        return ans, Zero(tangent_aval(aval(ans)))
    return ans, P.dynamic_slice_p.bind(t, *idx, slice_sizes=slice_sizes)


def _dynamic_update_slice_jvp(primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    x, u, *idx = primals
    ans = P.dynamic_update_slice_p.bind(x, u, *idx)
    tx, tu = tangents[:2]
    if type(tx) is Zero and type(tu) is Zero:
        return ans, Zero(tangent_aval(aval(ans)))
    return ans, P.dynamic_update_slice_p.bind(instantiate(tx), convert(instantiate(tu),
                                                                       aval(ans).dtype), *idx)


def _concatenate_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
                     dimension: int) -> tuple[Any, Any]:
    ans = P.concatenate_p.bind(*primals, dimension=dimension)
    return ans, P.concatenate_p.bind(*(instantiate(t) for t in tangents), dimension=dimension)


def _pad_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
             padding_config: tuple[tuple[int, int, int], ...]) -> tuple[Any, Any]:
    ans = P.pad_p.bind(*primals, padding_config=padding_config)
    tx, tv = tangents
    tv = weak_scalar(0, aval(ans).dtype) if type(tv) is Zero else tv
    return ans, P.pad_p.bind(instantiate(tx), tv, padding_config=padding_config)


jvp_rules[P.dynamic_slice_p] = _dynamic_slice_jvp
jvp_rules[P.dynamic_update_slice_p] = _dynamic_update_slice_jvp
jvp_rules[P.concatenate_p] = _concatenate_jvp
jvp_rules[P.pad_p] = _pad_jvp

jvp_rules[P.iota_p] = zero_jvp(P.iota_p)

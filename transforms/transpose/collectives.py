"""Transpose rules of the linear collectives. Every lane's value is its own,
so the cotangent of lane j's operand gathers what each lane's result took from
it: psum -> psum, all_gather <-> psum_scatter (same axis and tiling),
all_to_all -> all_to_all with split and concatenated axes swapped, ppermute ->
ppermute by the inverse permutation. (pmean, a psum divided by the lane
count, transposes to itself through these.)"""
from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from funcgrad import primitives as P
from funcgrad.transforms.programs import UndefinedPrimal
from funcgrad.transforms.transpose.interpreter import transpose_rules

Names = tuple[Hashable, ...]


def _psum_transpose(ct: Any, x: UndefinedPrimal, *, axis_name: Names) -> list[Any]:
    return [P.psum_p.bind(ct, axis_name=axis_name)]


def _all_gather_transpose(ct: Any, x: UndefinedPrimal, *, axis_name: Names, axis: int,
                          tiled: bool, axis_size: int) -> list[Any]:
    return [P.psum_scatter_p.bind(ct, axis_name=axis_name, scatter_dimension=axis, tiled=tiled,
                                  axis_size=axis_size)]


def _psum_scatter_transpose(ct: Any, x: UndefinedPrimal, *, axis_name: Names,
                            scatter_dimension: int, tiled: bool, axis_size: int) -> list[Any]:
    return [P.all_gather_p.bind(ct, axis_name=axis_name, axis=scatter_dimension, tiled=tiled,
                                axis_size=axis_size)]


def _all_to_all_transpose(ct: Any, x: UndefinedPrimal, *, axis_name: Names, split_axis: int,
                          concat_axis: int, tiled: bool, axis_size: int) -> list[Any]:
    return [P.all_to_all_p.bind(ct, axis_name=axis_name, split_axis=concat_axis,
                                concat_axis=split_axis, tiled=tiled, axis_size=axis_size)]


def _ppermute_transpose(ct: Any, x: UndefinedPrimal, *, axis_name: Names,
                        perm: tuple[tuple[int, int], ...]) -> list[Any]:
    inverse = tuple((dst, src) for src, dst in perm)
    return [P.ppermute_p.bind(ct, axis_name=axis_name, perm=inverse)]


transpose_rules[P.psum_p] = _psum_transpose
transpose_rules[P.all_gather_p] = _all_gather_transpose
transpose_rules[P.psum_scatter_p] = _psum_scatter_transpose
transpose_rules[P.all_to_all_p] = _all_to_all_transpose
transpose_rules[P.ppermute_p] = _ppermute_transpose

"""Every primitive of funcgrad under JAX's spelling, ``<name>_p`` (``lax.add_p``,
``lax.while_p``), for code that inspects programs or binds primitives directly.

The names are read from the primitive families when funcgrad.lax is imported,
so a primitive added to any family appears here without further edits. Each
name is the primitive's own: where JAX has a ``*_p`` that funcgrad computes
with another primitive (JAX's ``copy_p``, say), no alias stands in for it.
"""
from __future__ import annotations

from funcgrad import primitives as P


def by_jax_name() -> dict[str, P.Primitive]:
    """``{"add_p": add_p, ...}`` for every primitive of every family."""
    return {f"{p.name}_p": p for p in P.all_primitives()}

"""Batching rules of the linear-algebra primitives: they act on the trailing two
axes and batch over the leading ones."""
from __future__ import annotations

from funcgrad import primitives as P
from funcgrad.transforms.batching.interpreter import batch_rules, trailing_op_batch


batch_rules[P.cholesky_p] = trailing_op_batch(P.cholesky_p, lambda **_: 2)
batch_rules[P.triangular_solve_p] = trailing_op_batch(P.triangular_solve_p, lambda **_: 2)
batch_rules[P.lu_p] = trailing_op_batch(P.lu_p, lambda **_: 2)
batch_rules[P.eigh_p] = trailing_op_batch(P.eigh_p, lambda **_: 2)
batch_rules[P.svd_p] = trailing_op_batch(P.svd_p, lambda **_: 2)
batch_rules[P.qr_p] = trailing_op_batch(P.qr_p, lambda **_: 2)
batch_rules[P.eig_p] = trailing_op_batch(P.eig_p, lambda **_: 2)
batch_rules[P.schur_p] = trailing_op_batch(P.schur_p, lambda **_: 2)
batch_rules[P.hessenberg_p] = trailing_op_batch(P.hessenberg_p, lambda **_: 2)
batch_rules[P.householder_product_p] = trailing_op_batch(P.householder_product_p,
                                                         lambda **_: 2)

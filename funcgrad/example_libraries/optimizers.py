"""First-order optimizers as pure functions (JAX's ``jax.example_libraries.optimizers``).

An optimizer is a triple ``(init_fun, update_fun, get_params)``::

    opt_init, opt_update, get_params = adam(1e-3)
    state = opt_init(params)
    state = opt_update(step, grads, state)      # jit it: the state is a pytree
    params = get_params(state)

Each optimizer is written for one array (its `init`, `update`, `get_params`);
`optimizer` lifts it to pytrees of parameters by flattening them. The state is
an `OptimizerState` pytree: its arrays are the children, the tree structures
are static, so it crosses `jit` and `vmap` boundaries. Step sizes are numbers
or schedules (functions of the step number).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import tree

Array = Any
Params = Any        # a pytree of arrays
State = Any         # one parameter's state (a pytree)
Updates = Params    # gradients, shaped like the parameters
Step = int
Schedule = Callable[[Step], Any]


class OptimizerState(NamedTuple):
    """The state of a whole parameter tree: one flat list of state leaves per
    parameter, the parameters' tree structure and each state's structure."""

    packed_state: list[list[Any]]
    tree_def: tree.PyTreeDef
    subtree_defs: tuple[tree.PyTreeDef, ...]


def _state_flatten(s: OptimizerState) -> tuple[tuple[Any], tuple[Any, Any]]:
    return (s.packed_state,), (s.tree_def, s.subtree_defs)


def _state_unflatten(aux: tuple[Any, Any], children: Any) -> OptimizerState:
    [packed] = children
    return OptimizerState(packed, aux[0], aux[1])


tree.register_pytree_node(OptimizerState, _state_flatten, _state_unflatten)

InitFn = Callable[[Params], OptimizerState]
UpdateFn = Callable[[Step, Updates, OptimizerState], OptimizerState]
ParamsFn = Callable[[OptimizerState], Params]


class Optimizer(NamedTuple):
    init_fn: InitFn
    update_fn: UpdateFn
    params_fn: ParamsFn


# one array's (init, update, get_params), as each optimizer below defines them
_ArrayOptimizer = tuple[Callable[[Array], State], Callable[[Step, Array, State], State],
                       Callable[[State], Array]]


def optimizer(opt_maker: Callable[..., _ArrayOptimizer]) -> Callable[..., Optimizer]:
    """Decorate a maker of per-array ``(init, update, get_params)`` so that the
    optimizer it returns works on pytrees of parameters.

    Raises (from the returned update function):
        TypeError: the gradient tree's structure is not the parameters', or
        `update` changed the structure of a state.
    """
    @functools.wraps(opt_maker)
    def tree_opt_maker(*args: Any, **kwargs: Any) -> Optimizer:
        init, update, get_params = opt_maker(*args, **kwargs)

        @functools.wraps(init)
        def tree_init(x0_tree: Params) -> OptimizerState:
            x0_flat, treedef = tree.flatten(x0_tree)
            flats = [tree.flatten(init(x0)) for x0 in x0_flat]
            return OptimizerState([f[0] for f in flats], treedef, tuple(f[1] for f in flats))

        @functools.wraps(update)
        def tree_update(i: Step, grad_tree: Updates, opt_state: OptimizerState
                        ) -> OptimizerState:
            states_flat, treedef, subtrees = opt_state
            grad_flat, grad_def = tree.flatten(grad_tree)
            if grad_def != treedef:
                raise TypeError(f"optimizer update: the gradient tree {grad_def} does not match "
                                f"the parameter tree {treedef} the optimizer was initialized "
                                "with")
            states = [tree.unflatten(d, s) for d, s in zip(subtrees, states_flat, strict=True)]
            new = [tree.flatten(update(i, g, s)) for g, s in zip(grad_flat, states, strict=True)]
            for before, (_, after) in zip(subtrees, new, strict=True):
                if before != after:
                    raise TypeError(f"optimizer update: the update function returned a state "
                                    f"of structure {after}, but it had structure {before}")
            return OptimizerState([n[0] for n in new], treedef, subtrees)

        @functools.wraps(get_params)
        def tree_get_params(opt_state: OptimizerState) -> Params:
            states_flat, treedef, subtrees = opt_state
            return tree.unflatten(treedef, [get_params(tree.unflatten(d, s))
                                            for d, s in zip(subtrees, states_flat, strict=True)])

        return Optimizer(tree_init, tree_update, tree_get_params)
    return tree_opt_maker


def _first(state: tuple[Any, ...]) -> Any:
    return state[0]


# ---------------------------------------------------------------------------
# optimizers


@optimizer
def sgd(step_size: float | Schedule) -> _ArrayOptimizer:
    """Stochastic gradient descent: x -= step_size(i) * g."""
    schedule = make_schedule(step_size)

    def init(x0: Array) -> Array:
        return x0

    def update(i: Step, g: Array, x: Array) -> Array:
        return x - schedule(i) * g

    def get_params(x: Array) -> Array:
        return x
    return init, update, get_params


@optimizer
def momentum(step_size: float | Schedule, mass: float) -> _ArrayOptimizer:
    """Heavy-ball momentum: v = mass * v + g; x -= step_size(i) * v."""
    schedule = make_schedule(step_size)

    def init(x0: Array) -> tuple[Array, Array]:
        return x0, fnp.zeros_like(x0)

    def update(i: Step, g: Array, state: tuple[Array, Array]) -> tuple[Array, Array]:
        x, velocity = state
        velocity = mass * velocity + g
        return x - schedule(i) * velocity, velocity
    return init, update, _first


@optimizer
def nesterov(step_size: float | Schedule, mass: float) -> _ArrayOptimizer:
    """Nesterov's accelerated gradient: the step looks ahead along the velocity,
    x -= step_size(i) * (mass * v + g)."""
    schedule = make_schedule(step_size)

    def init(x0: Array) -> tuple[Array, Array]:
        return x0, fnp.zeros_like(x0)

    def update(i: Step, g: Array, state: tuple[Array, Array]) -> tuple[Array, Array]:
        x, velocity = state
        velocity = mass * velocity + g
        return x - schedule(i) * (mass * velocity + g), velocity
    return init, update, _first


@optimizer
def adagrad(step_size: float | Schedule, momentum: float = 0.9) -> _ArrayOptimizer:
    """Adagrad (Duchi et al., 2011) with momentum: gradients are scaled by the
    inverse root of their accumulated squares."""
    schedule = make_schedule(step_size)

    def init(x0: Array) -> tuple[Array, Array, Array]:
        return x0, fnp.zeros_like(x0), fnp.zeros_like(x0)

    def update(i: Step, g: Array, state: tuple[Array, Array, Array]
               ) -> tuple[Array, Array, Array]:
        x, g_sq, m = state
        g_sq = g_sq + fnp.square(g)
        # an entry never seen a nonzero gradient gets no step (not 0 / 0)
        inv_sqrt = fnp.where(g_sq > 0, 1. / fnp.sqrt(fnp.where(g_sq > 0, g_sq, 1.)), 0.0)
        m = (1. - momentum) * (g * inv_sqrt) + momentum * m
        return x - schedule(i) * m, g_sq, m
    return init, update, _first


@optimizer
def rmsprop(step_size: float | Schedule, gamma: float = 0.9,
            eps: float = 1e-8) -> _ArrayOptimizer:
    """RMSProp (Tieleman and Hinton, 2012): g scaled by the root of a running
    mean of its squares."""
    schedule = make_schedule(step_size)

    def init(x0: Array) -> tuple[Array, Array]:
        return x0, fnp.zeros_like(x0)

    def update(i: Step, g: Array, state: tuple[Array, Array]) -> tuple[Array, Array]:
        x, avg_sq_grad = state
        avg_sq_grad = avg_sq_grad * gamma + fnp.square(g) * (1. - gamma)
        return x - schedule(i) * g / fnp.sqrt(avg_sq_grad + eps), avg_sq_grad
    return init, update, _first


@optimizer
def rmsprop_momentum(step_size: float | Schedule, gamma: float = 0.9, eps: float = 1e-8,
                     momentum: float = 0.9) -> _ArrayOptimizer:
    """RMSProp whose scaled steps accumulate in a momentum term."""
    schedule = make_schedule(step_size)

    def init(x0: Array) -> tuple[Array, Array, Array]:
        return x0, fnp.zeros_like(x0), fnp.zeros_like(x0)

    def update(i: Step, g: Array, state: tuple[Array, Array, Array]
               ) -> tuple[Array, Array, Array]:
        x, avg_sq_grad, mom = state
        avg_sq_grad = avg_sq_grad * gamma + fnp.square(g) * (1. - gamma)
        mom = momentum * mom + schedule(i) * g / fnp.sqrt(avg_sq_grad + eps)
        return x - mom, avg_sq_grad, mom
    return init, update, _first


@optimizer
def adam(step_size: float | Schedule, b1: float = 0.9, b2: float = 0.999,
         eps: float = 1e-8) -> _ArrayOptimizer:
    """Adam (Kingma and Ba, 2015): bias-corrected running means of g and g**2."""
    schedule = make_schedule(step_size)

    def init(x0: Array) -> tuple[Array, Array, Array]:
        return x0, fnp.zeros_like(x0), fnp.zeros_like(x0)

    def update(i: Step, g: Array, state: tuple[Array, Array, Array]
               ) -> tuple[Array, Array, Array]:
        x, m, v = state
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * fnp.square(g) + b2 * v
        mhat = m / (1 - fnp.asarray(b1, m.dtype) ** (i + 1))
        vhat = v / (1 - fnp.asarray(b2, m.dtype) ** (i + 1))
        return x - schedule(i) * mhat / (fnp.sqrt(vhat) + eps), m, v
    return init, update, _first


@optimizer
def adamax(step_size: float | Schedule, b1: float = 0.9, b2: float = 0.999,
           eps: float = 1e-8) -> _ArrayOptimizer:
    """AdaMax (Kingma and Ba, 2015): Adam with the infinity norm in place of
    the second moment."""
    schedule = make_schedule(step_size)

    def init(x0: Array) -> tuple[Array, Array, Array]:
        return x0, fnp.zeros_like(x0), fnp.zeros_like(x0)

    def update(i: Step, g: Array, state: tuple[Array, Array, Array]
               ) -> tuple[Array, Array, Array]:
        x, m, u = state
        m = (1 - b1) * g + b1 * m
        u = fnp.maximum(b2 * u, fnp.abs(g))
        step = schedule(i) / (1 - fnp.asarray(b1, m.dtype) ** (i + 1))
        return x - step * m / (u + eps), m, u
    return init, update, _first


class _StaticShape:
    """A parameter's original shape, carried in sm3's state as static tree data
    (so the state's arrays alone cross `jit`)."""

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _StaticShape) and other.shape == self.shape

    def __hash__(self) -> int:
        return hash(self.shape)

    def __repr__(self) -> str:
        return f"shape{self.shape}"


tree.register_pytree_node(_StaticShape, lambda s: ((), s.shape),
                          lambda shape, _: _StaticShape(shape))


@optimizer
def sm3(step_size: float | Schedule, momentum: float = 0.9) -> _ArrayOptimizer:
    """SM3 (Anil et al., 2019): Adagrad whose accumulator is one vector per axis
    (memory of the sum of the sizes, not their product)."""
    schedule = make_schedule(step_size)

    def init(x0: Array) -> tuple[Array, Array, list[Array], _StaticShape]:
        shape = tuple(fnp.shape(x0))
        x0 = fnp.atleast_1d(x0)
        vs = [fnp.zeros(n, dtype=x0.dtype) for n in x0.shape]
        return x0, fnp.zeros_like(x0), vs, _StaticShape(shape)

    def update(i: Step, g: Array, state: tuple[Array, Array, list[Array], _StaticShape]
               ) -> tuple[Array, Array, list[Array], _StaticShape]:
        x, m, vs, shape = state
        g = fnp.reshape(g, x.shape)
        nd = x.ndim
        along = [fnp.reshape(v, tuple(-1 if j == ax else 1 for j in range(nd)))
                 for ax, v in enumerate(vs)]
        accum = functools.reduce(fnp.minimum, along) + fnp.square(g)
        inv_sqrt = fnp.where(accum > 0, 1. / fnp.sqrt(fnp.where(accum > 0, accum, 1.)), 0)
        m = (1. - momentum) * (g * inv_sqrt) + momentum * m
        x = x - schedule(i) * m
        vs = [accum.max(axis=tuple(j for j in range(nd) if j != ax)) for ax in range(nd)]
        return x, m, vs, shape

    def get_params(state: tuple[Array, Array, list[Array], _StaticShape]) -> Array:
        x, _, _, shape = state
        return fnp.reshape(x, shape.shape)
    return init, update, get_params


# ---------------------------------------------------------------------------
# step-size schedules


def constant(step_size: Any) -> Schedule:
    """The same step size at every step."""
    def schedule(i: Step) -> Any:
        return step_size
    return schedule


def exponential_decay(step_size: Any, decay_steps: Any, decay_rate: Any) -> Schedule:
    """step_size * decay_rate ** (i / decay_steps)."""
    def schedule(i: Step) -> Any:
        return step_size * decay_rate ** (i / decay_steps)
    return schedule


def inverse_time_decay(step_size: Any, decay_steps: Any, decay_rate: Any,
                       staircase: bool = False) -> Schedule:
    """step_size / (1 + decay_rate * i / decay_steps), the ratio floored with
    `staircase`."""
    if staircase:
        def schedule(i: Step) -> Any:
            return step_size / (1 + decay_rate * fnp.floor(i / decay_steps))
    else:
        def schedule(i: Step) -> Any:
            return step_size / (1 + decay_rate * i / decay_steps)
    return schedule


def polynomial_decay(step_size: Any, decay_steps: Any, final_step_size: Any,
                     power: float = 1.0) -> Schedule:
    """From step_size down to final_step_size over decay_steps steps along
    (1 - i / decay_steps) ** power, then constant."""
    def schedule(step_num: Step) -> Any:
        step_num = fnp.minimum(step_num, decay_steps)
        step_mult = (1 - step_num / decay_steps) ** power
        return step_mult * (step_size - final_step_size) + final_step_size
    return schedule


def piecewise_constant(boundaries: Any, values: Any) -> Schedule:
    """values[k] for steps i with boundaries[k-1] < i <= boundaries[k].

    Raises:
        ValueError: boundaries and values are not 1-d, or there is not exactly
        one more value than boundaries.
    """
    boundaries_arr = fnp.asarray(boundaries)
    values_arr = fnp.asarray(values)
    if not boundaries_arr.ndim == values_arr.ndim == 1:
        raise ValueError("piecewise_constant: boundaries and values must be sequences")
    if boundaries_arr.shape[0] != values_arr.shape[0] - 1:
        raise ValueError(f"piecewise_constant: there must be one more value than boundaries, "
                         f"got {values_arr.shape[0]} values and {boundaries_arr.shape[0]} "
                         "boundaries")

    def schedule(i: Step) -> Any:
        return values_arr[fnp.sum(i > boundaries_arr)]
    return schedule


def make_schedule(scalar_or_schedule: Any) -> Schedule:
    """A schedule as is; a scalar as a constant schedule.

    Raises:
        TypeError: anything else (e.g. an array of step sizes).
    """
    if callable(scalar_or_schedule):
        return scalar_or_schedule
    if np.ndim(scalar_or_schedule) == 0:
        return constant(scalar_or_schedule)
    raise TypeError(f"make_schedule: expected a number or a function of the step, got "
                    f"{type(scalar_or_schedule).__name__} of shape "
                    f"{np.shape(scalar_or_schedule)}")


# ---------------------------------------------------------------------------
# utilities


def l2_norm(tree_: Any) -> Any:
    """The l2 norm of all the leaves of a pytree taken as one vector."""
    leaves = tree.leaves(tree_)
    return fnp.sqrt(sum(fnp.vdot(x, x) for x in leaves))


def clip_grads(grad_tree: Any, max_norm: Any) -> Any:
    """Rescale a gradient pytree so that its l2 norm is at most `max_norm`."""
    norm = l2_norm(grad_tree)
    return tree.map(lambda g: fnp.where(norm < max_norm, g, g * (max_norm / norm)), grad_tree)


class JoinPoint:
    """Marks where a parameter's state subtree sits in an unpacked optimizer
    state; a pytree leaf, so serializers keep it whole."""

    def __init__(self, subtree: Any):
        self.subtree = subtree

    def __iter__(self) -> Any:
        yield self.subtree


def unpack_optimizer_state(opt_state: OptimizerState) -> Any:
    """An OptimizerState as a pytree shaped like the parameters, each leaf a
    `JoinPoint` holding that parameter's state: plain data, for saving."""
    states_flat, tree_def, subtree_defs = opt_state
    subtrees = [tree.unflatten(d, s) for d, s in zip(subtree_defs, states_flat, strict=True)]
    return tree.unflatten(tree_def, [JoinPoint(s) for s in subtrees])


def pack_optimizer_state(marked_pytree: Any) -> OptimizerState:
    """The inverse of `unpack_optimizer_state`.

    Raises:
        TypeError: a leaf of `marked_pytree` is not a JoinPoint.
    """
    sentinels, tree_def = tree.flatten(marked_pytree)
    bad = [type(s).__name__ for s in sentinels if not isinstance(s, JoinPoint)]
    if bad:
        raise TypeError(f"pack_optimizer_state: every leaf must be a JoinPoint (from "
                        f"unpack_optimizer_state), got {bad[:3]}")
    flats = [tree.flatten(s.subtree) for s in sentinels]
    return OptimizerState([f[0] for f in flats], tree_def, tuple(f[1] for f in flats))


__all__ = ["Array", "InitFn", "JoinPoint", "Optimizer", "OptimizerState", "Params", "ParamsFn",
           "Schedule", "State", "Step", "UpdateFn", "Updates", "adagrad", "adam", "adamax",
           "clip_grads", "constant", "exponential_decay", "inverse_time_decay", "l2_norm",
           "make_schedule", "momentum", "nesterov", "optimizer", "pack_optimizer_state",
           "piecewise_constant", "polynomial_decay", "rmsprop", "rmsprop_momentum", "sgd",
           "sm3", "unpack_optimizer_state"]

"""Turning method parameters (constants, arrays, schedules) into kernel inputs.

A method parameter may be given as

* a number: constant over all steps;
* a :class:`sandbox.schedules.PowerSchedule` ``coef * (k + offset)**power``;
* an array of length K: one value per step (memory grows with K: the
  caller's choice);
* a callable ``f(K)`` returning any of the above: a horizon-dependent
  prescription, e.g. ``lambda K: K ** -0.5``.

Every value a schedule takes on ``k = 0..K-1`` is validated against the
parameter's declared range before any work starts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sandbox.schedules import PowerSchedule

from .params import Component, InvalidParameter, as_settings

__all__ = ["PowerSchedule", "pack_schedules"]


def _resolve_one(param, value: Any, K: int, owner: str):
    if callable(value) and not isinstance(value, PowerSchedule):
        value = value(K)
    if param.constant and not np.isscalar(value) and not (isinstance(value, PowerSchedule) and value.power == 0.0):
        raise InvalidParameter(f"{owner}: parameter {param.name!r} must be a constant number in {param.range_text()} (its formula assumes it does not vary with k)")
    if isinstance(value, PowerSchedule):
        for v in value.endpoints(K):
            if not param.contains(v):
                raise InvalidParameter(
                    f"{owner}: schedule for {param.name!r} takes the value {v:g}, outside {param.range_text()}"
                )
        return (value.coef, value.power, value.offset), None, {"schedule": "power", "coef": value.coef, "power": value.power, "offset": value.offset}
    try:
        arr = np.asarray(value, dtype=np.float64) if not np.isscalar(value) else None
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameter(
            f"{owner}: parameter {param.name!r} must be a number in {param.range_text()}, a PowerSchedule, "
            f"an array of K numbers or a callable f(K) returning one of these; got {value!r}"
        ) from None
    if arr is not None and arr.ndim == 1:
        if arr.shape[0] != K:
            raise InvalidParameter(f"{owner}: per-step array for {param.name!r} must have length K = {K}, got {arr.shape[0]}")
        bad = [v for v in arr if not param.contains(v)]
        if bad:
            raise InvalidParameter(f"{owner}: per-step array for {param.name!r} has {bad[0]:g}, outside {param.range_text()}")
        return (np.nan, 0.0, 1.0), arr, {"schedule": "array", "first": float(arr[0]), "last": float(arr[-1])}
    v = param.validate(value, owner)
    return (v, 0.0, 1.0), None, v


def pack_schedules(method: Component, given: dict | None, K: int):
    """Validate a method's parameters and pack them for the kernel.

    Returns
    -------
    coef : ndarray, shape (P, 3)
        ``(coef, power, offset)`` per parameter.
    table : ndarray, shape (P, K) or (P, 0)
        Per-step values for parameters given as arrays.
    use_table : ndarray of bool, shape (P,)
    description : dict
        JSON-friendly description of each parameter, for the run's config.
    """
    owner = f"method {method.name!r}"
    given = as_settings(given, owner)
    unknown = sorted(set(given) - set(method.param_names))
    if unknown:
        raise InvalidParameter(f"{owner}: unknown parameter(s) {', '.join(map(repr, unknown))}; valid: {', '.join(method.param_names)}")
    P = len(method.params)
    coef = np.zeros((P, 3))
    tables = {}
    desc = {}
    for j, p in enumerate(method.params):
        if p.name in given:
            value = given[p.name]
        elif p.default is None:
            raise InvalidParameter(f"{owner}: parameter {p.name!r} is required ({p.range_text()})")
        else:
            value = p.default
        coef[j], arr, desc[p.name] = _resolve_one(p, value, K, owner)
        if arr is not None:
            tables[j] = arr
    table = np.zeros((P, K if tables else 0))
    use_table = np.zeros(P, dtype=np.bool_)
    for j, arr in tables.items():
        table[j] = arr
        use_table[j] = True
    return coef, table, use_table, desc

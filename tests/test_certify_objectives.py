"""Every registered objective's declared (L0, L1) pairs are certified by theory.smoothness.

Iterates over ``sims.objectives.OBJECTIVES`` (whatever is registered), in dimensions 1 and 2,
at the default parameters and at a second parameter set (every non-dimension parameter moved
away from its default inside its valid range).  A declared pair must be admissible; an objective
declaring no pair must be rejected by an exact unbounded path.  Pairs are taken at the exact
binary value of the floats the simulator uses: a pair that is infeasible only by rounding is
still reported (with its counterexample).
"""

import math

import pytest
import sympy as sp

from sims.objectives import OBJECTIVES
from theory.smoothness import certify, find_unbounded_path


def moved(param):
    """A valid value different from the default (x2.5, or the default + 1 if that is invalid)."""
    for value in (param.default * 2.5, param.default + 1.0, param.default / 2.5):
        if value != param.default and param.contains(value):
            return value
    return param.default


def cases():
    out = []
    for name, obj in OBJECTIVES.items():
        others = {p.name: moved(p) for p in obj.params if p.name != "dim"}
        for dim in (1, 2):
            if obj.fixed_dim is not None and obj.fixed_dim != dim:
                continue
            base = {"dim": dim} if "dim" in obj.param_names else {}
            out.append(pytest.param(name, base, id=f"{name}-d{dim}-default"))
            if others:
                out.append(pytest.param(name, {**base, **others}, id=f"{name}-d{dim}-moved"))
    return out


@pytest.mark.parametrize("name,given", cases())
def test_declared_pairs(name, given):
    obj = OBJECTIVES[name]
    values = obj.resolve(given)
    expr, xs = obj.expression(values)
    pairs = obj.pairs(obj.dimension(values), values)
    if not pairs:
        path = find_unbounded_path(expr, xs)
        assert path is not None, f"{name} declares no pair but no unbounded path was found"
        assert path.ratio_sq_limit == sp.oo
        for L0, L1 in ((1.0, 1.0), (1e4, 1e2)):
            point = path.violation_point(expr, xs, L0, L1)
            assert all(math.isfinite(float(p)) for p in point)
        return
    failures = []
    for L0, L1 in pairs:
        cert = certify(expr, xs, L0, L1)
        if not cert.admissible:
            failures.append(
                f"pair ({L0!r}, {L1!r}): {cert.reason}; L1*(L0) = {sp.N(cert.frontier.value, 20)} "
                f"({cert.frontier.method}, {cert.frontier.how}); counterexample {cert.counterexample} "
                f"with margin {cert.margin}"
            )
    assert not failures, f"{name} {given}:\n" + "\n".join(failures)

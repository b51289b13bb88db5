"""Declared parameters, their valid ranges, and the registries built on them.

Every objective, noise law and method declares its parameters as
:class:`Param` objects.  Validation, defaults, ``--help`` text and the
``--set key=value`` routing of the command line all come from these
declarations, so adding a component is one registry entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

from sandbox.errors import InvalidParameter  # noqa: F401  (re-exported: the project's one bad-input error)
from sandbox.intervals import IntervalMixin
from sandbox.names import COMPONENT_PARAMETERS


@dataclass(frozen=True)
class Param(IntervalMixin):
    """A scalar parameter with a documented valid interval.

    Parameters
    ----------
    name : str
        Name used in Python keyword arguments and in ``--set name=value``.
    default : float or None
        Value used when none is given; ``None`` means the parameter is required.
    lo, hi : float
        Bounds of the valid interval.
    lo_open, hi_open : bool
        Whether the corresponding bound is excluded.
    integer : bool
        Whether the value must be a whole number.
    constant : bool
        For method parameters: whether it must stay constant over the steps
        (no schedule), because the update's formula assumes so.
    doc : str
        One line for ``--help`` and docstrings.
    """

    name: str
    default: float | None
    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False
    constant: bool = False
    doc: str = ""

    def validate(self, value: Any, owner: str) -> float:
        """Return ``value`` as a float, or raise :class:`InvalidParameter`."""
        try:
            v = float(value)
        except OverflowError:
            # an int beyond the float range (e.g. 10**400): outside every interval the project declares
            raise InvalidParameter(
                f"{owner}: parameter {self.name!r} must be in {self.range_text()}, got a number too large for a float"
            ) from None
        except (TypeError, ValueError):
            raise InvalidParameter(
                f"{owner}: parameter {self.name!r} must be a number in {self.range_text()}, got {value!r}"
            ) from None
        if not self.contains(v):
            raise InvalidParameter(
                f"{owner}: parameter {self.name!r} must be in {self.range_text()}, got {value!r}"
            )
        return v

    def describe(self) -> str:
        """``name=default in range: doc`` for help listings."""
        d = "required" if self.default is None else f"{self.default:g}"
        return f"{self.name}={d} in {self.range_text()}" + (f": {self.doc}" if self.doc else "")


@dataclass(frozen=True, kw_only=True)
class Component:
    """A named, registered building block (objective, noise law or method).

    Attributes
    ----------
    name : str
        Registry key: lower case with underscores.
    params : tuple of Param
        Declared parameters, in the order the kernels read them.
    doc : str
        One paragraph for ``--help``.
    """

    name: str
    params: tuple[Param, ...] = ()
    doc: str = ""
    kind: str = field(default="component", repr=False)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def resolve(self, given: dict[str, Any] | None = None) -> dict[str, float]:
        """Validate ``given`` against the declaration and fill in defaults.

        Raises
        ------
        InvalidParameter
            On an unknown name, a missing required value, or a value outside
            its range; the message names the parameter and its valid range.
        """
        owner = f"{self.kind} {self.name!r}"
        given = as_settings(given, owner)
        unknown = sorted(set(given) - set(self.param_names))
        if unknown:
            valid = ", ".join(self.param_names) or "none"
            raise InvalidParameter(f"{owner}: unknown parameter(s) {', '.join(map(repr, unknown))}; valid: {valid}")
        out = {}
        for p in self.params:
            if p.name in given:
                out[p.name] = p.validate(given[p.name], owner)
            elif p.default is None:
                raise InvalidParameter(f"{owner}: parameter {p.name!r} is required ({p.range_text()})")
            else:
                out[p.name] = float(p.default)
        return out

    def pack(self, values: dict[str, float]) -> np.ndarray:
        """Resolved values as the float64 vector the kernels read."""
        return np.array([values[p.name] for p in self.params], dtype=np.float64)

    def help_text(self) -> str:
        lines = [f"  {self.name}: {self.doc}"]
        lines += [f"      {p.describe()}" for p in self.params]
        return "\n".join(lines)


def as_settings(given: Any, owner: str) -> dict:
    """``given`` (a mapping of parameter names to values, or None) as a new dict.

    Raises
    ------
    InvalidParameter
        When ``given`` is not a mapping, or a key is not a string.
    """
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise InvalidParameter(f"{owner}: parameters must be a dict of name -> value, got {type(given).__name__} {given!r}")
    bad = [k for k in given if not isinstance(k, str)]
    if bad:
        raise InvalidParameter(f"{owner}: parameter names must be strings, got {bad[0]!r}")
    return dict(given)


class Registry(dict):
    """Name -> component mapping with a helpful error for unknown names."""

    def __init__(self, kind: str, items: Iterable[Component]):
        super().__init__()
        self.kind = kind
        for item in items:
            if item.name in self:
                raise RuntimeError(f"duplicate {kind} name {item.name!r}")
            self[item.name] = item
        declared = {name: c.param_names for name, c in self.items()}
        if declared != COMPONENT_PARAMETERS[kind]:
            raise RuntimeError(f"the {kind}s and their parameters differ from sandbox.names.COMPONENT_PARAMETERS")

    def get_component(self, name: Any) -> Component:
        """The component called ``name``, or ``name`` itself if it is a registered component.

        Raises
        ------
        InvalidParameter
            For an unknown name, a value that is not a name (e.g. a list), or a
            component object that is not this registry's entry (one built by
            hand, which the registry has not vetted); the message lists the
            valid names.
        """
        valid = ", ".join(sorted(self))
        if isinstance(name, Component):
            if self.get(name.name) == name:
                return name
            raise InvalidParameter(
                f"{self.kind} {name.name!r} ({type(name).__name__} object) is not a registered {self.kind}: "
                f"the kernels run registered components only; pass one of: {valid}"
            )
        if not isinstance(name, str):
            raise InvalidParameter(f"{self.kind} must be a name (str), got {type(name).__name__} {name!r}; valid: {valid}")
        if name not in self:
            raise InvalidParameter(f"unknown {self.kind} {name!r}; valid: {valid}")
        return self[name]

    def help_text(self) -> str:
        return "\n".join(self[n].help_text() for n in sorted(self))

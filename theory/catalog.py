"""The registry of all encoded theorems, and lookup by id.

>>> from theory.catalog import THEOREMS, get
>>> get("iclr20_thm3_clipped_gd").method
'clipped_sgd'
"""

from __future__ import annotations

from . import theorems_followups, theorems_iclr20, theorems_neurips20
from .theorem import Theorem

__all__ = ["THEOREMS", "UnknownTheorem", "get", "ids"]


class UnknownTheorem(KeyError):
    """No theorem has the requested id; the message lists the valid ids."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def _registry(*modules) -> dict[str, Theorem]:
    out: dict[str, Theorem] = {}
    for module in modules:
        for thm in module.THEOREMS:
            if thm.id in out:
                raise RuntimeError(f"duplicate theorem id {thm.id!r}")
            out[thm.id] = thm
    return out


#: id -> Theorem, in the order: ICLR20, NeurIPS20, follow-ups.
THEOREMS: dict[str, Theorem] = _registry(theorems_iclr20, theorems_neurips20, theorems_followups)


def ids() -> list[str]:
    """All theorem ids, in catalog order."""
    return list(THEOREMS)


def get(theorem_id: str) -> Theorem:
    """The theorem with this id.

    Raises
    ------
    UnknownTheorem
        Naming the id and listing the valid ones.
    """
    if theorem_id not in THEOREMS:
        raise UnknownTheorem(f"unknown theorem {theorem_id!r}; valid ids: {', '.join(THEOREMS)}")
    return THEOREMS[theorem_id]

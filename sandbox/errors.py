"""The project's one error for bad input, shared by every package.

It lives in the neutral :mod:`sandbox` package so that :mod:`theory`, which
never imports :mod:`sims`, can raise it too; ``sims.params`` and ``sims``
re-export it, so ``from sims.params import InvalidParameter`` keeps working.
"""

from __future__ import annotations


class InvalidParameter(ValueError):
    """A parameter is outside its valid range, or a name is unknown.

    Raised before any compilation or simulation work starts.
    """

"""Registry of figures and their profiles (quick: CI, < 3 minutes for all; default: publication)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Figure:
    """A named figure: ``make(quick, seed, cache) -> (matplotlib figure, config)``."""

    name: str
    description: str
    make: Callable


_FIGURES: dict[str, Figure] = {}


def register(fig: Figure) -> Figure:
    if fig.name in _FIGURES:
        raise RuntimeError(f"duplicate figure {fig.name!r}")
    _FIGURES[fig.name] = fig
    return fig


#: The order of ``sandbox figures`` and of the README: the headline first.
ORDER = ("rate-vs-alpha", "iterations-vs-M", "smoothness-vs-gradnorm", "noise-tails", "sgd-vs-clipping", "dimension")


def all_figures() -> dict[str, Figure]:
    from . import dimension, iterations_vs_m, noise_tails, rate_vs_alpha, sgd_vs_clipping, smoothness_vs_gradnorm  # noqa: F401  (registers on import)

    return {name: _FIGURES[name] for name in sorted(_FIGURES, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER))}

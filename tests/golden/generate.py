"""Regenerate ``tests/golden/digests.json``: sha256 digests of built-in results.

Run only when a built-in's results are meant to change (never to make the golden
test pass after a refactoring, which must keep every result bit for bit):

    .venv/bin/python tests/golden/generate.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DIGESTS = HERE / "digests.json"

# Small runs that still cross the engine's block and chunk boundaries (R > 1, 2 threads, d = 1 and 3).
K, R, SEED = 40, 5, 12345
SIM_LAWS = ("none", "gaussian", "stable", "student_t")
SAMPLE_N = 300


def digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def simulation_cases():
    """(key, simulate kwargs) for every objective x method x law of SIM_LAWS."""
    import sims

    for obj_name, obj in sims.OBJECTIVES.items():
        dims = (1, 3) if "dim" in obj.param_names else (None,)
        for dim in dims:
            for meth in sims.METHODS:
                for law in SIM_LAWS:
                    params = {} if dim is None else {"dim": dim}
                    key = f"{obj_name}|dim={dim}|{meth}|{law}"
                    yield key, dict(objective=obj_name, method=meth, noise=law, K=K, R=R, seed=SEED,
                                    objective_params=params, avg_power=1.0, record="all")


def simulation_digest(kwargs, threads: int) -> str:
    import sims

    res = sims.simulate(**kwargs, threads=threads)
    return digest(res.steps, *(res.records[m] for m in sims.METRICS), res.diverged_step, res.final_x)


def sample_cases():
    import sims

    for law in sims.LAWS:
        for dim in (None, 3):
            yield f"{law}|dim={dim}", dict(law=law, n=SAMPLE_N, seed=SEED, dim=dim, replicate=2)


def sample_digest(kwargs) -> str:
    import sims

    return digest(sims.sample_noise(**kwargs))


def main() -> int:
    sim = {}
    for key, kw in simulation_cases():
        a, b = simulation_digest(kw, 1), simulation_digest(kw, 2)
        if a != b:
            print(f"thread count changes the result of {key}", file=sys.stderr)
            return 1
        sim[key] = a
    samples = {key: sample_digest(kw) for key, kw in sample_cases()}
    DIGESTS.write_text(json.dumps({"simulate": sim, "sample_noise": samples}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(sim)} simulation and {len(samples)} sampler digests to {DIGESTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

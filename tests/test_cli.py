"""The ``sandbox`` command line: routing of --set, output, JSON, errors and exit codes."""

import json

import pytest

import sims
from sims import METHODS, LAWS, OBJECTIVES, InvalidParameter, PowerSchedule
from sandbox.cli import main
from sims.cli import route_settings


def _components(obj="quadratic", meth="clipped_sgd", noise="stable"):
    return {"objective": OBJECTIVES[obj], "method": METHODS[meth], "noise": LAWS[noise]}


def test_set_routes_each_key_to_its_declaring_component():
    routed = route_settings(["alpha=1.3", "lr=0.1", "dim=4", "threshold=pow:2,0.5"], _components())
    assert routed["noise"] == {"alpha": 1.3}
    assert routed["objective"] == {"dim": 4.0}
    assert routed["method"] == {"lr": 0.1, "threshold": PowerSchedule(2.0, 0.5, 1.0)}


def test_set_rejects_unknown_and_ambiguous_keys():
    with pytest.raises(InvalidParameter, match="no selected component declares it.*noise: alpha, beta, scale"):
        route_settings(["nope=1"], _components())
    # 'alpha' is declared by the noise law only; 'scale' too: qualify explicitly works
    assert route_settings(["noise.scale=2"], _components())["noise"] == {"scale": 2.0}
    # an objective and a method both declaring L0 makes the bare key ambiguous
    comps = _components("exp_wall", "l0l1_gd", "none")
    with pytest.raises(InvalidParameter, match="ambiguous"):
        route_settings(["L0=1"], comps)
    assert route_settings(["method.L0=1", "objective.L0=2"], comps) == {"objective": {"L0": 2.0}, "method": {"L0": 1.0}, "noise": {}}
    with pytest.raises(InvalidParameter, match="key=value"):
        route_settings(["alpha"], _components())
    with pytest.raises(InvalidParameter, match="neither a number"):
        route_settings(["alpha=abc"], _components())


def test_simulate_command_prints_summary_and_writes_json(tmp_path, capsys):
    out = tmp_path / "run.json"
    rc = main(["simulate", "--objective", "quartic", "--method", "clipped_sgd", "--noise", "stable", "--set", "alpha=1.5",
               "--set", "lr=0.01", "--K", "50", "--R", "8", "--seed", "3", "--quiet", "--json", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "clipped_sgd on quartic" in text and "diverged replicates: 0 of 8" in text
    payload = json.loads(out.read_text())
    assert payload["config"]["noise_params"]["alpha"] == 1.5 and payload["config"]["seed"] == 3
    # the JSON summary is the library's summary of the same run
    res = sims.simulate("quartic", "clipped_sgd", "stable", K=50, R=8, seed=3, method_params={"lr": 0.01}, noise_params={"alpha": 1.5})
    assert payload["summary"]["final_grad_norm_quantiles"]["q50"] == pytest.approx(res.summary()["final_grad_norm_quantiles"]["q50"], rel=0, abs=0)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["simulate", "--noise", "stable", "--set", "alpha=2.5"], "'alpha' must be in [0.2, 2]"),
        (["simulate", "--method", "foo"], "unknown method 'foo'; valid:"),
        (["simulate", "--K", "0"], "K must be an integer"),
        (["simulate", "--x0", "nan"], "x0 must be finite"),
        (["simulate", "--x0", "1,2"], "x0 must have shape (1,)"),
    ],
)
def test_bad_input_exits_2_with_one_clear_message(argv, message, capsys):
    assert main(argv + ["--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_help_lists_every_registered_component(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    text = capsys.readouterr().out
    for name in [*OBJECTIVES, *METHODS, *LAWS]:
        assert f"  {name}:" in text


def test_constant_parameters_reject_schedules():
    with pytest.raises(InvalidParameter, match="'momentum' must be a constant"):
        sims.simulate("quadratic", "adam", "none", K=5, R=1, seed=0, method_params={"momentum": PowerSchedule(0.9, -0.1)})
    # a constant PowerSchedule is still a constant
    sims.simulate("quadratic", "adam", "none", K=5, R=1, seed=0, method_params={"momentum": PowerSchedule(0.9, 0.0)})

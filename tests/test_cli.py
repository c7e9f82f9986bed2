"""Foundation: the CLI's JSON against the library and the paper; bad arguments are one line, status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from resnet_core.__main__ import main
from resnet_core.nets.architectures import arch_config
from resnet_core.nets.flops import count, flop_counter_macs


def models():
    """torchvision.models, imported by the tests that compare with it: importing torchvision
    costs about 4 s of CPU, which every test process would otherwise pay to collect this file."""
    import torchvision

    return torchvision.models


ROOT = Path(__file__).resolve().parents[1]


def run_json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1   # one JSON object on one line
    return json.loads(out)


def test_summary_json_cifar(capsys):
    data = run_json(capsys, "summary", "resnet20")
    assert {"params", "macs", "layers", "unit", "layout"} <= set(data)
    assert round(data["params"] / 1e6, 2) == 0.27                 # paper, section 4.2
    assert data["unit"] == "MACs (multiply-adds)"
    assert data["shortcut"] == "A" and data["layout"] is None     # basic blocks: no stride choice
    assert data["macs"] == sum(layer["macs"] for layer in data["layers"])
    assert data["params"] == sum(layer["params"] for layer in data["layers"])
    first = data["layers"][0]
    assert set(first) == {"name", "type", "output_shape", "params", "macs"}
    assert first == {"name": "stem.conv", "type": "Conv2d", "output_shape": [16, 32, 32],
                     "params": 3 * 16 * 9, "macs": 32 * 32 * 16 * 3 * 9}
    assert "stage2.block0.conv1" in {layer["name"] for layer in data["layers"]}


def test_summary_json_resnet50_is_the_papers_unless_torchvisions_is_asked(capsys):
    paper = run_json(capsys, "summary", "resnet50")
    assert paper["layout"] == "v1" and abs(paper["macs"] / 1e9 - 3.8) < 0.1   # Table 1
    data = run_json(capsys, "summary", "resnet50", "--stride-at", "v1.5")
    with torch.device("meta"):
        theirs = models().resnet50(weights=None)
    assert data["layout"] == "v1.5" and data["params"] == paper["params"]
    assert data["params"] == sum(p.numel() for p in theirs.parameters())
    assert data["macs"] == flop_counter_macs(theirs, 224)
    assert paper["params"] == data["params"]


def test_summary_options_reach_the_config(capsys):
    data = run_json(capsys, "summary", "resnet34", "--shortcut", "C", "--input", "64", "--classes", "7")
    cfg = arch_config("resnet34", shortcut="C", input_size=64, num_classes=7)
    assert (data["params"], data["macs"]) == (count(cfg).params, count(cfg).macs)
    assert data["layers"][-1]["output_shape"] == [7]
    assert data["input_size"] == 64 and data["shortcut"] == "C"
    plain = run_json(capsys, "summary", "resnet56", "--plain")
    assert plain["params"] == run_json(capsys, "summary", "resnet56")["params"]   # option A twins
    assert plain["kind"] == "plain" and not any("shortcut" in layer["name"] for layer in plain["layers"])
    assert run_json(capsys, "summary", "plain56") == plain


def test_bottleneck_json(capsys):
    data = run_json(capsys, "bottleneck", "--size", "28", "--cin", "192", "--cout", "32", "--k", "5", "--mid", "16")
    assert data["direct_macs"] == 28 * 28 * 32 * 5 * 5 * 192 == 120_422_400
    assert data["bottleneck_macs"] == 28 * 28 * 16 * 192 + 28 * 28 * 32 * 5 * 5 * 16 == 12_443_648
    assert data["ratio"] == pytest.approx(120_422_400 / 12_443_648)


def test_gapfc_json(capsys):
    data = run_json(capsys, "gapfc", "--channels", "512", "--spatial", "7", "--classes", "1000")
    assert (data["fc_params"], data["gap_params"]) == (7 * 7 * 512 * 1000 + 1000, 512 * 1000 + 1000)


@pytest.mark.parametrize("argv,expected", [
    (["summary", "resnet20"], ["stage2.block0.conv1", "MACs (multiply-adds)", "269,722"]),
    (["summary", "resnet101", "--stride-at", "v1"], ["layout v1", "first 1x1"]),
    (["bottleneck"], ["120,422,400", "12,443,648"]),
    (["gapfc"], ["25,089,000", "513,000"]),
])
def test_human_tables(capsys, argv, expected):
    assert main(argv) == 0
    out = capsys.readouterr().out
    for text in expected:
        assert text in out
    assert not out.lstrip().startswith("{")


@pytest.mark.parametrize("argv,message", [
    (["summary", "resnet21"], "6n+2"),
    (["summary", "densenet"], "unknown architecture"),
    (["summary", "resnet20", "--input", "-4"], "input size must be"),
    (["summary", "resnet50", "--input", "16"], "input size must be 32 to 1024"),
    (["summary", "resnet20", "--shortcut", "D"], "invalid choice"),
    (["summary", "resnet20", "--classes", "1"], "error: --classes must be at least 2 (got 1)"),
    (["export", "resnet20", "--classes", "0", "--out", "unused"], "error: --classes must be at least 2 (got 0)"),
    (["summary", "resnet20", "--input", "big"], "invalid int value"),
    (["bottleneck", "--size", "-28"], "size must be a positive"),
    (["bottleneck", "--mid", "0"], "mid must be a positive"),
    (["gapfc", "--spatial", "0"], "spatial must be a positive"),
    (["gapfc", "--colour"], "unrecognized arguments"),
    (["frobnicate"], "invalid choice"),
    # A setting is named by the option the user typed, never by its code (base_width, batch_size).
    (["train", "resnet20", "--width", "0", "--no-store"], "error: --width must be 1 to 1024 (got 0)"),
    (["experiment", "degradation", "--width", "2000", "--no-store"], "error: --width must be 1 to 1024 (got 2000)"),
    (["train", "resnet20", "--batch-size", "0", "--no-store"], "error: --batch-size must be 1 to 4096 (got 0)"),
    # A study's own limits, said before any net trains (nothing printed first), by the options' names.
    (["experiment", "lesion", "--draws", "0", "--no-store"], "error: --draws must be 1 to 50 (got 0)"),
    (["experiment", "landscape", "--grid", "2", "--no-store"], "error: --grid must be 3 to 51 (got 2)"),
    (["experiment", "landscape", "--points", "300", "--no-store"], "error: --points must be 3 to 201 (got 300)"),
    (["experiment", "landscape", "--max-images", "-1", "--no-store"], "error: --max-images cannot be negative (got -1)"),
    # One image leaves none to train on after the held-out one: refused before the run is queued.
    (["train", "resnet20", "--max-samples", "1", "--no-store"], "error: --max-samples 1 leaves no training images; use at least 2 (or 0 for all)"),
    ([], "required"),
])
def test_bad_arguments_exit_2_with_one_line(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err
    assert "Traceback" not in captured.err


def test_errors_inside_any_command_are_one_line(capsys, monkeypatch):
    """Commands registered by other modules are dispatched through `func` and get the same treatment."""
    from resnet_core import ConfigError
    from resnet_core.cli import train as cli_train

    def register(commands):
        for name, error in [("fails-config", ConfigError("depth must be 6n+2")),
                            ("fails-value", ValueError("steps must be positive")),
                            ("fails-runtime", RuntimeError("CUDA is not available\nsecond line"))]:
            parser = commands.add_parser(name)
            parser.set_defaults(func=lambda args, error=error: (_ for _ in ()).throw(error))
        commands.add_parser("works").set_defaults(func=lambda args: print("ran"))

    monkeypatch.setattr(cli_train, "register", register)
    for name, code in [("fails-config", 2), ("fails-value", 2), ("fails-runtime", 1)]:
        assert main([name]) == code
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert main(["works"]) == 0 and capsys.readouterr().out == "ran\n"


def test_subprocess_smoke():
    """The real entry point: `python -m resnet_core`, JSON on stdout, a bad call exits 2 in one line."""
    ok = subprocess.run([sys.executable, "-m", "resnet_core", "gapfc", "--json"], cwd=ROOT,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["gap_params"] == 513_000
    bad = subprocess.run([sys.executable, "-m", "resnet_core", "summary", "resnet21", "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "6n+2" in bad.stderr and "Traceback" not in bad.stderr


def test_landscape_text_shows_bending_shares_as_the_page_does():
    """The terminal prints the share of the grid bending down clearly to 0.1 points, as the page:
    5 and 14 of 361 points (2.49 points apart, too close to call) read 1.4% and 3.9%, not 1% and 4%."""
    from resnet_core.cli.analysis import landscape_text
    from resnet_core.inspection import landscape

    def net(label, kind, down):
        shape = {"centre_loss": 0.1, "local_minima_2d": 1, "local_minima_1d": 1, "curve_down_fraction": down / 361}
        return {"label": label, "kind": kind, "shape": shape, "evaluations": 482, "seconds": 1.0}
    nets = [net("plain-20", "plain", 14), net("resnet-20", "residual", 5)]
    data = {"nets": nets, "verdicts": {20: landscape.verdict(*nets)}, "grid": 21, "max_images": 512,
            "train_seconds": 1.0, "analysis_seconds": 2.0}
    text = landscape_text(data)
    assert "bending down clearly 3.9% of the grid" in text and "bending down clearly 1.4% of the grid" in text
    assert "residual_less_bending unclear" in text
    # An even grid has no centre point: "-", not a format error after all the work.
    for n in nets:
        n["shape"] = {**n["shape"], "centre_loss": None}
    nets[0]["shape"]["curve_down_fraction"] = None
    text = landscape_text(data)
    assert "plain-20   centre loss -  " in text and "bending down clearly - of the grid" in text
    assert "21×21 grid on 512 training images" in text
    # --max-images is an upper bound: a dataset with fewer training images is measured on all of them.
    data["max_images"] = 5000
    for n in nets:
        n["n_images"] = 1438
    assert "21×21 grid on 1438 training images" in landscape_text(data)
    for n in nets:
        n["n_images"] = 1
    assert "21×21 grid on 1 training image;" in landscape_text(data)


def test_a_failed_runs_own_reason_is_printed_without_the_exception_name():
    from types import SimpleNamespace

    from resnet_core.cli.train import _said

    ours = SimpleNamespace(error="ConfigError: depth must be 6n+2 (got 7)", error_code="depth_6n2")
    assert _said(ours) == "depth must be 6n+2 (got 7)"
    other = SimpleNamespace(error="RuntimeError: CUDA is not available", error_code="")
    assert _said(other) == "RuntimeError: CUDA is not available"


def test_a_task_that_failed_on_ray_says_its_own_reason_without_type_names(tmp_path):
    """`experiment lesion --backend ray`: a task that failed with one of our reasons is said as the
    local backend says it (the sentence alone), not "RuntimeError: ... ended failed: ConfigError: ..."."""
    from resnet_core.cli.backend import run_task
    from resnet_core.messages import ConfigError, reason_of
    from resnet_core.nets.config import ModelConfig, TrainConfig
    from resnet_core.store.runs import RunStore

    store = RunStore(tmp_path / "runs.db")

    class Runner:
        def submit_task(self, name, params, label):
            self.id = store.create_task(name, params, ModelConfig(), TrainConfig(), label=label)
            return self.id

        def wait(self, run_id):
            store.set_status(run_id, "failed", self.error)
            return "failed"

    runner = Runner()
    runner.error = reason_of(ConfigError(code="run_unfinished", run=3, label="plain-20", status="running"))
    with pytest.raises(ConfigError) as err:
        run_task(runner, "lesion", {}, store)
    assert str(err.value).startswith("run 3 (plain-20) has not finished training") and "Error" not in str(err.value)
    runner.error = "TypeError: something inside"   # not ours: said as it came, after what ended
    with pytest.raises(ConfigError, match="^the lesion task ended as failed: TypeError: something inside$"):
        run_task(runner, "lesion", {}, store)
    store.close()


def test_landscape_text_says_held_in_part_where_the_page_does():
    """As the Loss landscape page (landscape.held.no_bowl, .same_minima, .same_bending): a finding
    held on one comparison alone is "held in part", naming the half that did not hold; held on both
    (fewer minima, a bowl, less bending) is "held"."""
    from resnet_core.cli.analysis import landscape_text
    from resnet_core.inspection import landscape

    def net(label, kind, minima, down):
        shape = {"centre_loss": 0.1, "local_minima_2d": minima, "local_minima_1d": 1, "curve_down_fraction": down}
        return {"label": label, "kind": kind, "shape": shape, "evaluations": 482, "seconds": 1.0}

    cases = (((6, 0), (0.30, 0.02), "no_bowl", "held in part: the residual slice bends less, but it has no local minimum"),
             ((1, 1), (0.30, 0.02), "same_minima", "held in part: the residual slice bends less, but both slices "
                                                   "have the same number of local minima"),
             ((6, 1), (0.05, 0.04), "same_bending", "held in part: the residual slice has fewer local minima"),
             ((6, 1), (0.30, 0.02), None, "Li et al.'s finding held\n"))
    for (pm, rm), (pd, rd), part, said in cases:
        nets = [net("plain-56", "plain", pm, pd), net("resnet-56", "residual", rm, rd)]
        verdict = landscape.verdict(*nets)
        assert verdict["held"] and landscape.held_in_part(verdict) == part
        data = {"nets": nets, "verdicts": {56: verdict}, "grid": 11, "max_images": 256,
                "train_seconds": 1.0, "analysis_seconds": 2.0}
        text = landscape_text(data)
        assert said in text
        assert ("in part" in text) == (part is not None)


def test_lesion_text_says_one_draw_in_the_singular():
    from resnet_core.cli.analysis import lesion_text

    net = {"label": "resnet-8", "intact_acc": 0.9, "blocks": [], "k_curve": [{"k": 1, "mean_acc": 0.8}]}
    for draws, said in ((1, "(mean of 1 draw)"), (5, "(mean of 5 draws)")):
        data = {"nets": [net], "verdicts": {}, "draws": draws, "train_seconds": 1.0, "analysis_seconds": 1.0}
        assert said in lesion_text(data)


def test_a_run_that_fails_for_a_reason_of_ours_prints_the_reason_without_a_traceback(capfd, tmp_path):
    """A dataset that is not on this server: the run fails in a worker (a process that shares this
    terminal); the reason is said once, in our words, with no traceback and no "on -" for a device
    the run never got to."""
    assert main(["train", "resnet20", "--dataset", "cifar10", "--steps", "1", "--no-store",
                 "--data-dir", str(tmp_path / "none")]) == 1
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "DatasetMissing" not in captured.err + captured.out
    first = captured.out.splitlines()[0]
    assert first.startswith("resnet20 on cifar10: failed after 0 steps in ") and " on -" not in first
    assert "CIFAR-10 is not in" in first

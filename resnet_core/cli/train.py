"""CLI commands that train: `train` and `experiment` (registered by __main__).

    python -m resnet_core train resnet20 --dataset digits --steps 300 [--json]
    python -m resnet_core experiment degradation [--dataset digits] [--device cpu] [--json]

Runs are recorded in the run store (--db, default: the per-user one) so the app can show them;
--no-store trains without recording. The runs go through the job runner, as the app's do: on this
machine's worker processes, or with `--backend ray [--ray-address ADDR]` on Ray (resnet_core.cli.backend).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import time
from dataclasses import replace

from resnet_core.cli import analysis as cli_analysis
from resnet_core.cli import backend as cli_backend
from resnet_core.nets.architectures import arch_config
from resnet_core.nets.config import DATASETS, DEVICES, OPTIMIZERS, SCHEDULES, SHORTCUTS, TrainConfig
from resnet_core.store.groups import BUILD, group_of

EXPERIMENT_NAMES = ("degradation", "shortcuts", "bn") + cli_analysis.ANALYSES


def register(subparsers) -> None:
    """Add the training subcommands to the CLI's argparse subparsers."""
    p = subparsers.add_parser("train", help="train one net on a dataset and report its losses")
    p.add_argument("arch", help="resnet20|32|44|56|110 (CIFAR family), resnet18|34|50|101|152, vgg19; "
                   "plainNN for a plain twin")
    p.add_argument("--plain", action="store_true", help="the plain twin: shortcuts removed")
    p.add_argument("--shortcut", choices=SHORTCUTS, help="A zero-pad, B project when needed, C always")
    p.add_argument("--no-bn", action="store_true", help="no BatchNorm (to see gradients vanish)")
    p.add_argument("--width", type=int, metavar="N", help="channels of the first stage (paper: 16 on CIFAR)")
    p.add_argument("--input", type=int, metavar="N", help="input side in pixels (default: the dataset's own)")
    p.add_argument("--dataset", choices=DATASETS, default="digits", help="default: digits (built in)")
    p.add_argument("--data-dir", default="", help="folder of real datasets (default: the per-user one)")
    p.add_argument("--steps", type=int, default=300, help="optimiser steps (default 300)")
    p.add_argument("--epochs", type=int, default=0, help="passes over the data instead of --steps")
    p.add_argument("--batch-size", type=int, default=128, help="default 128 (the paper's)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd")
    p.add_argument("--lr", type=float, default=0.1, help="default 0.1 (the paper's)")
    p.add_argument("--schedule", choices=SCHEDULES, default="step",
                   help="step: /10 at 50%% and 75%% (the paper's); cosine; constant")
    p.add_argument("--warmup", type=int, default=0, metavar="STEPS", help="linear warm-up steps")
    p.add_argument("--no-augment", action="store_true", help="no pad-crop-flip augmentation")
    p.add_argument("--max-samples", type=int, default=0, help="use at most this many images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--compile", action="store_true", help="torch.compile on a GPU")
    _common(p)
    p.set_defaults(func=run_train)

    p = subparsers.add_parser("experiment", help="the paper's experiments, shrunk to run live")
    p.add_argument("name", choices=EXPERIMENT_NAMES,
                   help="degradation: plain-20/56 vs ResNet-20/56; shortcuts: A/B/C; bn: with and without BN; "
                        "lesion: blocks deleted at test time; landscape: loss slices")
    p.add_argument("--dataset", choices=DATASETS, default="digits", help="default: digits (built in)")
    p.add_argument("--data-dir", default="", help="folder of real datasets (default: the per-user one)")
    p.add_argument("--steps", type=int, default=200, help="steps per net (default 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=int, default=8, help="channels of the first stage (default 8)")
    cli_analysis.add_arguments(p)
    _common(p)
    p.set_defaults(func=run_experiment_cmd)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", choices=DEVICES, default="auto", help="auto: CUDA when present")
    p.add_argument("--db", default="", help="run store to record in (default: the per-user one)")
    p.add_argument("--no-store", action="store_true", help="do not record the run")
    p.add_argument("--owner", default="", type=_owner, metavar="ID",
                   help="record the runs as this browser's (the u=... of its address), so the app shows them "
                        "among that user's runs; default: no owner, shown in the app's class view")
    p.add_argument("--name", dest="display_name", default="", type=_display_name, metavar="NAME",
                   help="the name the app shows for these runs (default: 'command line')")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    cli_backend.add_arguments(p)


def _owner(text: str) -> str:
    # The app's owner ids: 4-64 lowercase letters and digits (ui/training/page_runs.py OWNER_RE).
    if text and not re.fullmatch(r"[a-z0-9]{4,64}", text):
        raise argparse.ArgumentTypeError("an owner id is 4-64 lowercase letters and digits, as in the app's ?u=")
    return text


def _display_name(text: str) -> str:
    # As the app's name field keeps it: printable, one line, at most 24 characters.
    return " ".join("".join(ch for ch in text if ch.isprintable()).split())[:24]


def _store(args):
    if args.no_store:
        return None
    from resnet_core.store.runs import RunStore

    return RunStore(args.db or None)


# The settings' code names a ConfigError gives, as the options of these commands name them, so the
# CLI says "--width must be 1 to 1024", never "base_width", which no one typed.
OPTION_OF = {"base_width": "--width", "batch_size": "--batch-size", "warmup_steps": "--warmup",
             "max_samples": "--max-samples", "input_size": "--input", "steps": "--steps", "epochs": "--epochs",
             "lr": "--lr", "seed": "--seed", "num_classes": "--classes"}


def cli_words(err: BaseException) -> str | None:
    """A ConfigError about one setting, said with the option's name; None for any other."""
    from resnet_core.messages import message

    code, params = getattr(err, "code", ""), getattr(err, "params", None)
    if code == "max_samples" and isinstance(params, dict):
        # The stored template names the Build page's "Images used"; here the option typed.
        return f"--max-samples {params.get('value')} leaves no training images; use at least 2 (or 0 for all)"
    if not code or not isinstance(params, dict) or params.get("name") not in OPTION_OF:
        return None
    return " ".join(str(message(code, **{**params, "name": OPTION_OF[params["name"]]})).split())


def _num(value):
    """JSON has no NaN: a missing number is null."""
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def _fmt(value, spec: str) -> str:
    return "-" if _num(value) is None else format(value, spec)


def run_train(args: argparse.Namespace) -> int:
    from resnet_core.data.datasets import dataset_info
    info = dataset_info(args.dataset)
    overrides = {"in_channels": info.native_channels, "num_classes": max(10, info.num_classes)}
    if args.shortcut:
        overrides["shortcut"] = args.shortcut
    if args.no_bn:
        overrides["norm"] = "none"
    if args.width is not None:   # --width 0 is a bad value, not "the paper's 16"
        overrides["base_width"] = args.width
    model_cfg = arch_config(args.arch, plain=args.plain, **overrides)
    size = args.input or max(info.native_size, model_cfg.min_input_size)
    model_cfg = model_cfg.replace(input_size=size)
    train_cfg = TrainConfig(
        dataset=args.dataset, data_dir=args.data_dir, steps=args.steps, epochs=args.epochs,
        batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr, schedule=args.schedule,
        warmup_steps=args.warmup, augment=not args.no_augment, max_samples=args.max_samples,
        seed=args.seed, device=args.device, compile=args.compile)
    shown = [0]

    def progress(info) -> None:
        if not args.json and info.total_steps and info.steps_done >= shown[0] + max(1, info.total_steps // 10):
            shown[0] = info.steps_done
            print(f"step {info.steps_done:>6}/{info.total_steps}", flush=True)

    with cli_backend.store_for(args, _store) as store, cli_backend.job_runner(args, store, 1) as runner:
        row, = cli_backend.train_runs(runner, [(model_cfg.name, model_cfg, train_cfg)], store, group=BUILD,
                                      owner=args.owner, display_name=args.display_name, on_progress=progress)
        info = store.get_run(row.run_id)
    where = "" if args.no_store else f"; run {row.run_id} in {store.path}"
    data = {"run_id": None if args.no_store else row.run_id, "name": model_cfg.name, "dataset": args.dataset,
            "status": info.status, "final_train_loss": _num(info.final_train_loss),
            "final_train_acc": _num(info.final_train_acc), "test_acc": _num(info.test_acc),
            "steps": info.steps_done, "seconds": info.seconds, "device": info.device, "error": info.error,
            "backend": args.backend}
    if args.json:
        print(json.dumps(data))
    else:
        on = " (Ray)" if args.backend == "ray" else ""
        steps = f"{info.steps_done} step" + ("" if info.steps_done == 1 else "s")
        print(f"{model_cfg.name} on {args.dataset}: {info.status} after {steps} in "
              f"{info.seconds or 0:.1f} s" + (f" on {info.device}" if info.device else "") + on
              + (f" ({_said(info)})" if info.error else ""))
        print(f"final train loss {_fmt(info.final_train_loss, '.4f')} (mean of the last 10% of steps), "
              f"train acc {_fmt(info.final_train_acc, '.3f')}, held-out acc {_fmt(info.test_acc, '.3f')}" + where)
    return 1 if info.status == "failed" else 0


def _said(info) -> str:
    """A failed run's reason as the CLI prints it: one of our own sentences (a reason stored with its
    code) without the exception's type name ("ConfigError: ..."), anything else as it came."""
    kind, _, text = info.error.partition(": ")
    return text if info.error_code and text and kind.isidentifier() else info.error


def run_experiment_cmd(args: argparse.Namespace) -> int:
    if args.name in cli_analysis.ANALYSES:
        return cli_analysis.run(args, _store)
    from resnet_core.inspection.readings import BN_LOSS_DECIMALS, bn_verdict, degradation_verdict
    from resnet_core.training.experiments import EXPERIMENTS, ExperimentRow

    # The losses as the verdicts below read them (and the Degradation and BatchNorm pages show
    # them): three decimals, or a table of 0.2354 and 0.1176 (twice) sits beside "did not appear".
    loss_format = f".{BN_LOSS_DECIMALS}f"

    runs = EXPERIMENTS[args.name](args.dataset, steps=args.steps, seed=args.seed, device=args.device,
                                  data_dir=args.data_dir, width=args.width)
    group = group_of(args.name)   # the page's own group, so the experiment shows there
    who = {"owner": args.owner, "display_name": args.display_name}
    started = time.perf_counter()
    if not args.json:
        print(f"{args.name} on {args.dataset}: {len(runs)} nets, {args.steps} step{'' if args.steps == 1 else 's'} "
              f"each, seed {args.seed}",
              flush=True)

    def show(row: ExperimentRow) -> None:
        if not args.json:
            print(f"  {row.name:<16} {row.status:<9} loss {_fmt(row.final_train_loss, loss_format)}  "
                  f"{row.seconds:5.1f} s", flush=True)

    # Through the job runner, as the app runs them: on the local pool the nets train side by side.
    with cli_backend.store_for(args, _store) as store, cli_backend.job_runner(args, store, len(runs)) as runner:
        rows = cli_backend.train_runs(runner, runs, store, group=group, on_run=show, **who)
        experiment = store.get_run(rows[0].run_id).experiment if rows and not args.no_store else None
    store = None if args.no_store else store
    data = {"experiment": args.name, "dataset": args.dataset, "group": group if store else None,
            "experiment_id": experiment,
            "seconds": time.perf_counter() - started, "backend": args.backend,
            "runs": [{"name": r.name, "run_id": r.run_id if store else None, "status": r.status,
                      "final_train_loss": _num(r.final_train_loss), "final_train_acc": _num(r.final_train_acc),
                      "test_acc": _num(r.test_acc), "steps": r.steps, "seconds": r.seconds} for r in rows]}
    # Read on the losses as the Degradation page reads them (three decimals), so both give one verdict.
    verdict = degradation_verdict([replace(r, final_train_loss=None if r.final_train_loss is None else
                                                     round(r.final_train_loss, 3)) for r in rows]) \
        if args.name == "degradation" else None
    if verdict is not None:
        data["ordering"] = verdict
    findings = bn_verdict(rows, runs) if args.name == "bn" else None
    if findings is not None:
        data.update(findings)   # "outcomes" and "findings", as the BatchNorm page reads the runs
    if args.json:
        print(json.dumps(data))
        return 0
    print()
    print(f"{'net':<16} {'train loss':>10} {'train acc':>9} {'held-out acc':>12} {'seconds':>7}")
    for r in rows:
        print(f"{r.name:<16} {_fmt(r.final_train_loss, loss_format):>10} {_fmt(r.final_train_acc, '.3f'):>9} "
              f"{_fmt(r.test_acc, '.3f'):>12} {r.seconds:7.1f}")
    print(f"\ntrain loss: mean of the last 10% of steps; total {data['seconds']:.1f} s"
          + (f"; experiment {experiment} (group {group}) in {store.path}" if store else ""))
    if verdict is not None:
        print(verdict["summary"])
    if findings is not None:
        print("outcomes: " + ", ".join(f"{name} {end}" for name, end in findings["outcomes"].items()))
        print("findings: " + (", ".join(findings["findings"]) or "none"))
    return 0


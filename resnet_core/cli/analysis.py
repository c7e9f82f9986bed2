"""CLI experiments that study trained nets: `experiment lesion` and `experiment landscape`.

    python -m resnet_core experiment lesion [--depth 20] [--dataset digits] [--json]
    python -m resnet_core experiment landscape [--depth 20 56] [--grid 21] [--json]

Each trains plain-N and ResNet-N with the degradation recipe (resnet_core.training.experiments)
through the job runner, as the app does, then runs the same task the app queues
(resnet_core.jobs.tasks) on the stored nets: here in this process, or on Ray with --backend ray.
With --no-store the nets live in a temporary store that is removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time

ANALYSES = ("lesion", "landscape")
DEFAULT_DEPTHS = {"lesion": [20], "landscape": [20, 56]}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of lesion and landscape, on the shared `experiment` parser."""
    p.add_argument("--depth", type=int, nargs="+", choices=(20, 32, 44, 56, 110), metavar="N",
                   help="lesion/landscape: depths of the plain/ResNet pairs (default: lesion 20, "
                        "landscape 20 56)")
    p.add_argument("--draws", type=int, default=5, help="lesion: random draws per k (default 5)")
    p.add_argument("--grid", type=int, default=21, help="landscape: points per side of the 2-D slice (default 21)")
    p.add_argument("--points", type=int, default=41, help="landscape: points of the 1-D slice (default 41)")
    p.add_argument("--max-images", type=int, default=512,
                   help="landscape: training images the loss is measured on (default 512; 0: all)")


def check_options(args: argparse.Namespace) -> None:
    """The task's own limits (resnet_core.jobs.tasks), by the options' names: the task checks them
    too, but only once every net has trained, and by its parameters' names (points_1d)."""
    from resnet_core.jobs.tasks import MAX_GRID
    from resnet_core.messages import ConfigError

    limits = ([("--draws", args.draws, 1, 50)] if args.name == "lesion" else
              [("--grid", args.grid, 3, MAX_GRID), ("--points", args.points, 3, 201)])
    for option, value, low, high in limits:
        if not low <= value <= high:
            raise ConfigError(code="range", name=option, low=low, high=high, value=value)
    # 0 means every training image; a negative count would slice off the last ones unsaid.
    if args.name == "landscape" and args.max_images < 0:
        raise ConfigError(code="not_negative", name="--max-images", value=args.max_images)


def run(args: argparse.Namespace, store_of) -> int:
    """Train the pairs, run the analysis task on them, print the result."""
    from resnet_core.jobs.tasks import TASKS
    from resnet_core.store.runs import RunStore
    from resnet_core.cli import backend as cli_backend
    from resnet_core.store.groups import group_of
    from resnet_core.training.experiments import degradation_configs

    check_options(args)   # before any net trains: a bad --grid is said at once, not minutes later
    depths = args.depth or DEFAULT_DEPTHS[args.name]
    nets = [row for row in degradation_configs(args.dataset, steps=args.steps, seed=args.seed,
                                               device=args.device, data_dir=args.data_dir, width=args.width)
            if row[0] in ("plain-20", "ResNet-20")]
    runs = []
    for depth in depths:
        for label, model_cfg, train_cfg in nets:
            kind = label.split("-")[0]
            runs.append((f"{kind}-{depth}", model_cfg.replace(depth=depth), train_cfg))
    tmp = tempfile.TemporaryDirectory(prefix="resnet-explorer-") if args.no_store else None
    store = RunStore(f"{tmp.name}/runs.db") if tmp else store_of(args)
    group = group_of(args.name)
    who = {"owner": getattr(args, "owner", ""), "display_name": getattr(args, "display_name", "")}
    started = time.perf_counter()
    stack = contextlib.ExitStack()
    if not args.json:
        print(f"{args.name} on {args.dataset}: training {', '.join(r[0] for r in runs)} "
              f"({args.steps} step{'' if args.steps == 1 else 's'} each, seed {args.seed})", flush=True)
    on_ray = getattr(args, "backend", "local") == "ray"
    try:
        # One runner for the nets and, on Ray, the task (starting Ray takes seconds).
        runner = stack.enter_context(cli_backend.job_runner(args, store, len(runs)))
        rows = cli_backend.train_runs(runner, runs, store, group=group, **who)
        train_seconds = time.perf_counter() - started
        if args.name == "lesion":
            params = {"draws": args.draws, "seed": args.seed, "device": args.device}
        else:
            params = {"grid": args.grid, "points_1d": args.points, "seed": args.seed,
                      "max_images": args.max_images, "device": args.device}
        params["run_ids"] = [r.run_id for r in rows]
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if not args.json and (time.monotonic() - last[0] > 5 or done == total):
                last[0] = time.monotonic()
                print(f"  {args.name}: {done}/{total} evaluations", flush=True)

        if on_ray:
            result = cli_backend.run_task(runner, args.name, params, store)
        else:
            result = TASKS[args.name](params, store=store, on_progress=progress, should_stop=lambda: False)
    finally:
        stack.close()
        store.close()
        if tmp:
            tmp.cleanup()
    data = {"experiment": args.name, "dataset": args.dataset, "group": None if tmp else group,
            "train_seconds": train_seconds, "seconds": time.perf_counter() - started,
            "runs": [{"name": r.name, "run_id": None if tmp else r.run_id, "status": r.status,
                      "final_train_loss": r.final_train_loss, "test_acc": r.test_acc} for r in rows],
            **{k: v for k, v in result.items() if k != "seconds"}, "analysis_seconds": result["seconds"],
            "backend": getattr(args, "backend", "local")}
    if args.json:
        print(json.dumps(data))
    else:
        print(lesion_text(data) if args.name == "lesion" else landscape_text(data))
    return 0


def _acc(value) -> str:
    return "-" if value is None else f"{100 * value:5.1f}%"


def _outcomes(verdict: dict) -> str:
    """Each check as measured: held, reversed, equal (no difference here) or unclear (too small
    to tell); a result stored before outcomes were kept shows its yes/no."""
    outcomes = verdict.get("outcomes") or {c: "held" if ok else "reversed" for c, ok in verdict["checks"].items()}
    return ", ".join(f"{c} {o}" for c, o in outcomes.items())


def lesion_text(data: dict) -> str:
    lines = []
    for net in data["nets"]:
        lines.append(f"\n{net['label']}: intact held-out accuracy {_acc(net['intact_acc'])}")
        for b in net["blocks"]:
            note = "  (downsampling)" if b["downsampling"] else ""
            lines.append(f"  without {b['name']:<14} {_acc(b['acc']) if b['deletable'] else 'cannot delete: ' + b['reason']}{note}")
        curve = "  ".join(f"k={k['k']}: {_acc(k['mean_acc']).strip()}" for k in net["k_curve"])
        draws = data["draws"]
        lines.append(f"  k random deletions (mean of {draws} draw{'' if draws == 1 else 's'}): {curve}")
    for depth, v in data["verdicts"].items():
        lines.append(f"\ndepth {depth}: " + _outcomes(v)
                     + (" -> Veit et al.'s finding held" if v["held"] else " -> it did not fully hold here"))
    lines.append(f"\ntraining {data['train_seconds']:.1f} s, lesion study {data['analysis_seconds']:.1f} s")
    return "\n".join(lines)


_IN_PART = {
    "no_bowl": " -> Li et al.'s finding held in part: the residual slice bends less, but it has no local "
               "minimum inside the grid, so it shows no bowl to compare",
    "same_minima": " -> Li et al.'s finding held in part: the residual slice bends less, but both slices "
                   "have the same number of local minima, so neither is the more bowl-like one",
    "same_bending": " -> Li et al.'s finding held in part: the residual slice has fewer local minima and is "
                    "close to a single bowl, but the bending is the same or too close to tell, so neither "
                    "is the smoother one",
}


def landscape_text(data: dict) -> str:
    from resnet_core.inspection import landscape

    lines = []
    for net in data["nets"]:
        s = net["shape"] or {}
        # None where nothing was measured: an even grid has no centre point, a grid with no finite
        # interior point no bending share. Printed "-", never a number (or a format error).
        centre, down = s.get("centre_loss"), s.get("curve_down_fraction")
        lines.append(f"{net['label']:<10} centre loss {'-' if centre is None else f'{centre:.4f}'}  "
                     f"local minima 2-D {s.get('local_minima_2d')}  1-D {s.get('local_minima_1d')}  "
                     f"bending down clearly {'-' if down is None else f'{100 * down:.1f}%'} of the grid  "
                     f"{net['evaluations']} evaluations in {net['seconds']:.1f} s")
    for depth, v in data["verdicts"].items():
        finding = {"held": " -> Li et al.'s finding held", "equal": " -> no difference here between the two slices",
                   "unclear": " -> cannot tell here: the residual slice has no local minimum inside the grid"}
        said = finding.get(v.get("finding"), " -> it did not fully hold here")
        # Held on one comparison only: said as the page says it (landscape.held.<part>).
        said = _IN_PART.get(landscape.held_in_part(v) if v.get("outcomes") else None, said)
        lines.append(f"depth {depth}: " + _outcomes(v) + said)
    # The images each slice was measured on: --max-images is an upper bound (a dataset with fewer
    # training images gives all of them), so the count comes from the slices themselves.
    counts = {n["n_images"] for n in data["nets"] if n.get("n_images") is not None}
    images = counts.pop() if len(counts) == 1 else data["max_images"] or "all"
    lines.append(f"{data['grid']}×{data['grid']} grid on {images} training image{'' if images == 1 else 's'}; "
                 f"training {data['train_seconds']:.1f} s, slices {data['analysis_seconds']:.1f} s")
    return "\n".join(lines)

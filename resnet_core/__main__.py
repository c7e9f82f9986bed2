"""The command line: `python -m resnet_core <command> ... [--json]`.

summary ARCH      parameters and multiply-adds, layer by layer
bottleneck        the 1x1-reduction calculator (28x28x192 -> 5x5x32, through 16 channels)
gapfc             flatten + FC against global average pooling + FC
train, experiment live training (registered by resnet_core.cli.train)
export            a run or a net as PyTorch code, weights, ONNX and a notebook (resnet_core.cli.export)
predict           the prediction questions, listed or decided (resnet_core.cli.predict)

With --json each command prints one JSON object. A bad argument exits with status 2 and one
line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from resnet_core import settings
from resnet_core.jobs import forkserver   # imports no torch
from resnet_core.messages import ConfigError, own_sentence


def starts_workers(argv: list[str]) -> bool:
    """Whether the command line `argv` trains on this machine's forked workers: `train` and
    `experiment` on the local backend and the CPU, not with --help, Ray, a GPU (named, or found
    by --device auto: its workers are fresh processes, executors.local_executor), workers off or
    a bad setting (which main() reports). Decided without torch, which this is meant to precede."""
    if argv[:1] not in (["train"], ["experiment"]) or {"-h", "--help"} & set(argv):
        return False
    wanted = argparse.ArgumentParser(add_help=False)
    wanted.add_argument("--device", default="auto")
    wanted.add_argument("--backend", default="local")
    known, _ = wanted.parse_known_args(argv[1:])
    if known.backend != "local" or known.device == "cuda" or (known.device == "auto" and gpu_visible()):
        return False
    try:
        return settings.fork_workers() and settings.workers() != 0
    except ConfigError:
        return False


def gpu_visible() -> bool:
    """Whether torch will find a CUDA GPU, guessed without importing it: the NVIDIA driver lists
    a GPU and CUDA_VISIBLE_DEVICES does not hide them all (CUDA reads the list up to its first
    invalid entry, such as -1). A wrong guess costs only time: the pool starts the fork server
    itself when it needs it, and a GPU pool does not."""
    first = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0].strip()
    if not first or first.startswith("-"):
        return False
    try:
        return bool(os.listdir("/proc/driver/nvidia/gpus"))
    except OSError:
        return False


# Such a command starts the workers' fork server before this process imports torch (below): the
# two imports share the two cores instead of the server's coming after the command's
# (bench/bench_cli_experiment.py).
if __name__ == "__main__" and starts_workers(sys.argv[1:]):
    forkserver.start_server()

from resnet_core.cli import export as cli_export  # noqa: E402  (after the fork server, on purpose)
from resnet_core.cli import predict as cli_predict  # noqa: E402
from resnet_core.cli import train as cli_train  # noqa: E402
from resnet_core.nets.architectures import arch_config  # noqa: E402
from resnet_core.nets.config import SHORTCUTS, STRIDE_AT  # noqa: E402
from resnet_core.nets.flops import UNIT, bottleneck_calc, count, gap_fc_params  # noqa: E402

LAYOUTS = {"v1": "v1: stride on the first 1x1 of each bottleneck (the paper)",
           "v1.5": "v1.5: stride on the 3x3 of each bottleneck (torchvision)"}


class UsageError(Exception):
    """A command line argparse rejected; printed as one line."""


class Parser(argparse.ArgumentParser):
    # argparse prints the usage block and exits; one line is easier to read and to test.
    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} (see --help)")


def table(headers: list[str], rows: list[list], right: set[int]) -> str:
    """Aligned text columns; columns in `right` (numbers) are right-aligned."""
    cells = [headers] + [[f"{c:,}" if isinstance(c, int) else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def emit(args: argparse.Namespace, data: dict, text: str) -> None:
    print(json.dumps(data) if args.json else text)


def run_summary(args: argparse.Namespace) -> None:
    cfg = arch_config(args.arch, plain=args.plain, shortcut=args.shortcut, stride_at=args.stride_at,
                       input_size=args.input, num_classes=args.classes)
    result = count(cfg)
    # The stride position only matters where there are bottleneck blocks.
    layout = cfg.stride_at if cfg.block == "bottleneck" and cfg.family != "vgg" else None
    kind = "vgg" if cfg.family == "vgg" else ("residual" if cfg.residual else "plain")
    data = {"arch": cfg.name, "kind": kind, "shortcut": cfg.shortcut if cfg.residual and kind != "vgg" else None,
            "layout": layout, "input_size": cfg.input_size, "num_classes": cfg.num_classes,
            "params": result.params, "macs": result.macs, "unit": result.unit,
            "layers": [row.to_dict() for row in result.rows]}
    rows = [[r.name, r.type, "×".join(map(str, r.output_shape)), r.params, r.macs] for r in result.rows]
    rows.append(["total", "", "", result.params, result.macs])
    head = [f"{cfg.name}: {kind}, {cfg.input_size}×{cfg.input_size} input, {cfg.num_classes} classes"
            + (f", shortcut {data['shortcut']}" if data["shortcut"] else "")]
    if layout:
        head.append(f"layout {LAYOUTS[layout]}")
    head.append(f"params {result.params:,}   {UNIT}: {result.macs:,} ({result.macs / 1e9:.3f} G)")
    emit(args, data, "\n".join(head) + "\n\n" + table(["layer", "type", "output", "params", "MACs"], rows, {3, 4}))


def run_bottleneck(args: argparse.Namespace) -> None:
    calc = bottleneck_calc(args.size, args.cin, args.cout, args.k, args.mid)
    data = {**dataclasses.asdict(calc), "unit": UNIT}
    s, k = args.size, args.k
    rows = [[f"{k}×{k} conv {args.cin}→{args.cout} on {s}×{s}", calc.direct_macs, calc.direct_params],
            [f"1×1 conv {args.cin}→{args.mid}", calc.reduce_macs, args.cin * args.mid],
            [f"{k}×{k} conv {args.mid}→{args.cout}", calc.conv_macs, k * k * args.mid * args.cout],
            ["with the 1×1 reduction", calc.bottleneck_macs, calc.bottleneck_params]]
    text = table(["", "MACs", "weights"], rows, {1, 2}) + f"\n\n{calc.ratio:.2f}× fewer multiply-adds"
    emit(args, data, text)


def run_gapfc(args: argparse.Namespace) -> None:
    fc, gap = gap_fc_params(args.channels, args.spatial, args.classes)
    data = {"fc_params": fc, "gap_params": gap, "ratio": fc / gap}
    c, s = args.channels, args.spatial
    rows = [[f"flatten {s}×{s}×{c} + FC to {args.classes}", fc],
            [f"global average pool + FC {c} to {args.classes}", gap]]
    emit(args, data, table(["head", "params"], rows, {1}) + f"\n\n{fc / gap:.1f}× fewer parameters with GAP")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m resnet_core", description="Costs and training of plain and residual nets "
                    "(He et al. 2015). Every count is multiply-adds (MACs) for one image.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command", parser_class=Parser)

    p = commands.add_parser("summary", help="parameters and multiply-adds, layer by layer")
    p.add_argument("arch", help="resnet20|32|44|56|110|1202 (CIFAR), resnet18|34|50|101|152 (ImageNet), "
                   "vgg19; plainNN for a plain twin")
    p.add_argument("--plain", action="store_true", help="the plain twin: shortcuts removed")
    p.add_argument("--shortcut", choices=SHORTCUTS, help="A zero-pad, B project when the shape changes, "
                   "C project always (defaults: A on CIFAR, B on ImageNet)")
    p.add_argument("--stride-at", choices=STRIDE_AT, help="bottleneck downsampling: v1 first 1x1 (the paper's), "
                   "v1.5 the 3x3 (torchvision); default v1")
    p.add_argument("--input", type=int, metavar="N", help="input side in pixels (defaults: 32 CIFAR, 224 ImageNet)")
    p.add_argument("--classes", type=int, metavar="K", help="outputs of the last layer (defaults: 10 CIFAR, 1000 ImageNet)")
    p.set_defaults(func=run_summary)

    p = commands.add_parser("bottleneck", help="a 1x1 reduction before a k x k conv")
    p.add_argument("--size", type=int, default=28, help="feature map side (default 28)")
    p.add_argument("--cin", type=int, default=192, help="input channels (default 192)")
    p.add_argument("--cout", type=int, default=32, help="output channels (default 32)")
    p.add_argument("--k", type=int, default=5, help="kernel side (default 5)")
    p.add_argument("--mid", type=int, default=16, help="channels after the 1x1 reduction (default 16)")
    p.set_defaults(func=run_bottleneck)

    p = commands.add_parser("gapfc", help="flatten + FC against global average pooling + FC")
    p.add_argument("--channels", type=int, default=512, help="channels of the last map (default 512)")
    p.add_argument("--spatial", type=int, default=7, help="side of the last map (default 7)")
    p.add_argument("--classes", type=int, default=1000, help="classes (default 1000)")
    p.set_defaults(func=run_gapfc)

    for name in ("summary", "bottleneck", "gapfc"):
        commands.choices[name].add_argument("--json", action="store_true", help="print one JSON object")
    cli_train.register(commands)
    cli_export.register(commands)
    cli_predict.register(commands)
    return parser


def one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as err:
        print(f"error: {one_line(err)}", file=sys.stderr)
        return 2
    bad = settings.problems()     # a setting out of range is named before anything starts
    for err in bad:
        print(f"error: {one_line(err)}", file=sys.stderr)
    if bad:
        return 2
    try:
        code = args.func(args)
    except (ConfigError, ValueError) as err:
        print(f"error: {cli_train.cli_words(err) or one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
    except BrokenPipeError:   # e.g. `... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no second error at exit
        return 0
    except Exception as err:  # never a traceback for a user; the message names what failed
        ours = own_sentence(err)   # our own sentence (ClusterNoAnswer): no Python type name in front
        print(f"error: {ours}" if ours else f"error: {type(err).__name__}: {one_line(err)}", file=sys.stderr)
        return 1
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())

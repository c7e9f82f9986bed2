"""`python -m resnet_core export`: a stored run or a named net, as a folder (or one zip) to take
home: model.py, its weights, model.onnx, metrics.csv, run.json, README.md and notebook.ipynb.

    python -m resnet_core export 12 [--db PATH] --out DIR        # run 12 of the run store
    python -m resnet_core export resnet20 [--plain] --out DIR    # an untrained net, as `summary` names it
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from resnet_core.nets.config import SHORTCUTS, STRIDE_AT


def register(commands) -> None:
    p = commands.add_parser("export", help="a run or a net as PyTorch code, weights, ONNX and a notebook")
    p.add_argument("target", metavar="RUN_ID|ARCH",
                   help="a run's number in the run store, or a net as `summary` names it (resnet20, plain56, "
                        "resnet50, vgg19)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the files into (made if missing)")
    p.add_argument("--zip", action="store_true", help="write one zip into DIR instead of the files")
    p.add_argument("--no-onnx", action="store_true", help="leave out model.onnx (its trace takes seconds)")
    p.add_argument("--db", default="", help="the run store that holds RUN_ID (default: the per-user one)")
    p.add_argument("--plain", action="store_true", help="ARCH: the plain twin, shortcuts removed")
    p.add_argument("--shortcut", choices=SHORTCUTS, help="ARCH: A zero-pad, B project when needed, C always")
    p.add_argument("--stride-at", choices=STRIDE_AT, help="ARCH: bottleneck downsampling, v1 or v1.5")
    p.add_argument("--input", type=int, metavar="N", help="ARCH: input side in pixels")
    p.add_argument("--classes", type=int, metavar="K", help="ARCH: outputs of the last layer")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from resnet_core.export import ExportError, export_config, export_run

    if args.target.isdigit():
        if any(v for v in (args.plain, args.shortcut, args.stride_at, args.input, args.classes)):
            raise ValueError("--plain, --shortcut, --stride-at, --input and --classes describe an ARCH, "
                             "not a stored run")
        from resnet_core.store.runs import RunStore, default_db_path

        db = Path(args.db).expanduser() if args.db else default_db_path()
        if not db.is_file():   # RunStore would make an empty store: say there is none instead
            raise ExportError("no_store", db=db)
        store = RunStore(db)
        try:
            export = export_run(store, int(args.target), onnx=not args.no_onnx)
        finally:
            store.close()
    else:
        from resnet_core.nets.architectures import arch_config

        cfg = arch_config(args.target, plain=args.plain, shortcut=args.shortcut, stride_at=args.stride_at,
                           input_size=args.input, num_classes=args.classes)
        export = export_config(cfg, onnx=not args.no_onnx)
    out = Path(args.out).expanduser()
    if args.zip:
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / f"{export.name}.zip"]
        paths[0].write_bytes(export.zip_bytes())
    else:
        paths = export.write(out)
    data = {"name": export.name, "out": str(out), "files": [str(p) for p in paths],
            "bytes": sum(p.stat().st_size for p in paths)}
    if args.json:
        print(json.dumps(data))
    else:
        print(f"{export.name}: {len(paths)} file{'' if len(paths) == 1 else 's'} in {out}")
        for p in paths:
            print(f"  {p.name:<20} {p.stat().st_size:>12,} bytes")
    return 0

"""Train the twins that ship with the app and write them to assets/checkpoints/.

    .venv/bin/python scripts/make_checkpoints.py            # every shipped twin (both members)
    .venv/bin/python scripts/make_checkpoints.py --check    # rebuild and compare, write nothing

Each member is trained with the very recipe the pages queue (resnet_core.training.twins.TwinSpec: configs,
seed, steps) on the CPU with one thread, which makes a rerun bit-for-bit the same on the same
torch and CPU kernels. The weights are stored as float16 safetensors with a JSON config beside
them (never a pickle); the JSON also records the held-out accuracy of the rounded weights.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

# One intra-op thread: the reduction order, and so every bit of the result, stays the same.
os.environ["RESNET_EXPLORER_CPU_THREADS"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resnet_core.training import twins  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="rebuild into a temporary folder and compare with the shipped files")
    args = parser.parse_args()
    problems = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if args.check else twins.SHIPPED_DIR
        for spec in twins.SHIPPED:
            for residual in (False, True):
                meta = twins.make_shipped(spec, residual, folder)
                name = twins.shipped_stem(spec, residual).name
                line = f"{name}: held-out accuracy {meta['test_acc']:.4f}, trained in {meta['train_seconds']} s"
                if args.check:
                    shipped = twins.shipped_meta(spec, residual)
                    same = shipped is not None and shipped["sha256"] == meta["sha256"]
                    problems += not same
                    line += "  identical" if same else "  DIFFERENT from the shipped file"
                print(line, flush=True)
    total = sum(p.stat().st_size for p in twins.SHIPPED_DIR.glob("*") if p.is_file())
    print(json.dumps({"folder": str(twins.SHIPPED_DIR), "bytes": total, "different": problems}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""CLI: the prediction questions, listed or decided (registered by __main__).

    python -m resnet_core predict --list [--lang en|ko] [--json]
    python -m resnet_core predict QUESTION [--device cpu] [--no-store] [--quick] [--json]

Deciding a question runs or counts what it needs (resnet_core.predict.bank) and prints the
measurement and the `answer`. The result is recorded in the run store as a finished prediction
task (--db, default the app's), so the app's Predict page reuses it for the same setup;
--no-store records nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

I18N = Path(__file__).resolve().parents[2] / "assets" / "i18n" / "predict.json"


def register(subparsers) -> None:
    p = subparsers.add_parser("predict", help="the prediction questions: list them, or run one and answer it")
    p.add_argument("question", nargs="?", help="a question's id (see --list)")
    p.add_argument("--list", action="store_true", help="list the questions (id and text)")
    p.add_argument("--lang", choices=("en", "ko"), default="en", help="language of the questions' text")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="auto: CUDA when present")
    p.add_argument("--quick", action="store_true", help="the question's smaller setup (fewer steps, smaller nets)")
    p.add_argument("--db", default="", help="run store to record in (default: the per-user one)")
    p.add_argument("--no-store", action="store_true", help="do not record the result")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def texts(lang: str) -> dict[str, str]:
    """Each question's text in `lang`, from the app's own text table (one source for both)."""
    table = json.loads(I18N.read_text(encoding="utf-8"))
    from resnet_core.predict.bank import QUESTIONS
    from resnet_core.text import render

    # Rendered as the page renders it: source marks and particles resolved, never printed raw.
    return {q: render(table[f"predict.q.{q}"][lang], lang) for q in QUESTIONS}


def run(args: argparse.Namespace) -> int:
    from resnet_core.nets.config import ConfigError
    from resnet_core.predict.bank import QUESTIONS, decide, get, setup_of

    if args.list:
        text = texts(args.lang)
        items = [{"id": q.id, "text": text[q.id], "kind": q.kind, "options": list(q.options), "trained": q.trained}
                 for q in QUESTIONS.values()]
        print(json.dumps({"questions": items}, ensure_ascii=False) if args.json
              else "\n".join(f"{i['id']:<16} {i['text']}" for i in items))
        return 0
    if not args.question:
        raise ConfigError(code="cli_question")
    q = get(args.question)
    setup = setup_of(q, args.quick)
    out = decide(q.id, device=args.device, setup=setup)
    out["run_id"] = None if args.no_store else _record(args, q.id, setup, out)
    if args.json:
        print(json.dumps(out))
    else:
        # The measurement is printed in full; the rule reads some numbers as the page shows them
        # (a loss 0.50041 against 0.50012 is "same"), so say so beside the answer.
        how = f" (read on {q.reads})" if q.reads else ""
        print(f"{q.id}: {json.dumps(out['measurement'])}\nanswer: {out['answer']}{how}")
    return 0


def _record(args, question: str, setup: dict, out: dict) -> int:
    """A finished prediction task in the store, as the job runner leaves one."""
    from resnet_core.nets.config import ModelConfig, TrainConfig
    from resnet_core.store.runs import RunStore
    from resnet_core.store.groups import PREDICT

    store = RunStore(args.db or None)
    try:
        run_id = store.create_task("predict", {"question": question, "setup": setup, "device": args.device},
                                   ModelConfig(), TrainConfig(), label=f"predict {question}", group=PREDICT)
        store.save_result(run_id, {**out, "task": "predict"})
        store.set_status(run_id, "finished")
        return run_id
    finally:
        store.close()

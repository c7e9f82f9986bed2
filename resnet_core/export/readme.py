"""README.md of an export: what the net is, how to load it in three lines, what each file is."""

from __future__ import annotations

from resnet_core.data.folders import TITLES
from resnet_core.nets.config import ModelConfig

# The datasets by name, as the sentence says them (the run's recipe keeps their codes).
DATASETS = {"digits": "scikit-learn's handwritten digits", "shapes": "the app's built-in shapes", **TITLES}


def readme(cfg: ModelConfig, meta: dict, *, onnx_included: bool, onnx_asked: bool = True) -> str:
    n, c = cfg.input_size, cfg.in_channels
    run = meta.get("run")
    if run:
        recipe = meta["recipe"]
        acc = "" if run["test_acc"] is None else f", held-out accuracy {100 * run['test_acc']:.1f}%"
        data = DATASETS.get(recipe["dataset"], recipe["dataset"])
        what = (f"Run #{run['id']} of ResNet Explorer: {cfg.kind} trained on {data} for "
                f"{run['steps_done']} step{'' if run['steps_done'] == 1 else 's'} (seed {meta['seed']}, {run['status']}{acc}).")
    else:
        what = (f"{cfg.kind} as configured in ResNet Explorer, not trained: `load()` gives freshly "
                "initialised weights, drawn as the app draws them.")
    weighted = "weights.safetensors" in meta["files"]
    rows = [("model.py", "the net in PyTorch alone, read top to bottom; `load()` builds it and reads the weights"
             if weighted else "the net in PyTorch alone, read top to bottom; `load()` builds it with fresh weights")]
    if weighted:
        rows.append(("weights.safetensors", "the trained weights, by the same names as the net's `state_dict()`"))
    if onnx_included:
        seeded = "" if run else f" (its weights: a fresh initialisation with seed {meta.get('init_seed', 0)})"
        rows.append(("model.onnx", f"the same net as an ONNX graph with a free batch size{seeded}: open it in "
                     "Netron, run it in ONNX Runtime"))
    rows += [("metrics.csv", "every recorded training step: loss, accuracy, learning rate, time, held-out results"
              if run else "the columns a training run records (no rows: this net was not trained)"),
             ("run.json", "the configuration, the training recipe, the seed, the data split and library versions"),
             ("notebook.ipynb", f"loads the net, evaluates it on scikit-learn's digits{_off_digits(meta)}, plots "
              "the training curve and shows one layer's feature maps" if run else
              "loads the net, evaluates it on scikit-learn's digits (about chance until it is trained) and "
              "shows one layer's feature maps; its training curve cell has nothing to plot yet"),
             ("README.md", "this file")]
    table = "\n".join(f"| `{name}` | {text} |" for name, text in rows)
    lines = [f"# {cfg.kind}", "", what, "",
             "## Load it in three lines", "",
             "```python",
             "import torch",
             "from model import load",
             f"net = load()   # then net(images): images shaped (batch, {c}, {n}, {n}) give (batch, {cfg.num_classes}) logits",
             "```", "",
             "Run it in this folder (or put the folder on `sys.path`). `model.py` needs only PyTorch"
             + ("; it reads `weights.safetensors` itself." if weighted else "."), ""]
    if run:
        lines += ["Images go in as the app gave them: scaled to [0, 1], resized to "
                  f"{n}×{n}, then normalised with the mean and standard deviation of the training images, "
                  "per channel. The notebook shows the steps on the digits.", ""]
    lines += ["## The files", "", "| file | what it is |", "| --- | --- |", table, ""]
    if not onnx_included and onnx_asked:
        lines += ["This net is too large for a quick ONNX export here; make `model.onnx` yourself with", "",
                  "```python",
                  f"torch.onnx.export(net, (torch.zeros(1, {c}, {n}, {n}),), \"model.onnx\", dynamo=True,",
                  "                  dynamic_shapes=({0: torch.export.Dim(\"batch\")},))",
                  "```", ""]
    lines += ["## What you need", "", "- `model.py`: PyTorch."]
    if onnx_included:
        lines.append("- `model.onnx`: ONNX Runtime (`pip install onnxruntime`), or Netron to look at it.")
    lines += ["- `notebook.ipynb`: Jupyter, scikit-learn and matplotlib.", "",
              "He, Zhang, Ren and Sun, \"Deep Residual Learning for Image Recognition\" (2015), "
              "https://arxiv.org/abs/1512.03385", ""]
    return "\n".join(lines)


def _off_digits(meta: dict) -> str:
    """A net trained on other images: the digits are not its training data (as the notebook says);
    how it does on them was not measured, so nothing is promised ("about chance" is not so for MNIST)."""
    dataset = meta["recipe"]["dataset"]
    if dataset == "digits":
        return ""
    return f" (not its training data: it was trained on {DATASETS.get(dataset, dataset)})"

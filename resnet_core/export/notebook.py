"""notebook.ipynb of an export: load the net, evaluate it on scikit-learn's digits, plot the
training curve from metrics.csv, show one layer's feature maps.

Written as plain nbformat 4 JSON (no Jupyter package needed to make it). The digits are
prepared exactly as resnet_core.data.datasets prepares them, with the run's seed and held-out
share, so a net trained on digits scores here what the app measured.
"""

from __future__ import annotations

import json

from resnet_core.nets.config import ModelConfig

LOAD = '''\
import json

import torch
from model import IN_CHANNELS, INPUT_SIZE, load

net = load()   # model.py, with weights.safetensors when it is beside it
with open("run.json") as f:
    run = json.load(f)
params = sum(p.numel() for p in net.parameters())
print(f"{run['name']}: {params:,} parameters, {'trained' if run['trained'] else 'freshly initialised'}")'''

DIGITS = '''\
import numpy as np
import torch.nn.functional as F
from sklearn.datasets import load_digits

digits = load_digits()
# As the app prepares them: counts 0..16 -> 8-bit pixels -> [0, 1], grey repeated to the net's
# channels, resized to its input (antialiased when shrinking).
pixels = np.round(digits.images * (255 / 16)).astype(np.uint8)[:, None]
x = torch.from_numpy(pixels).float() / 255
if IN_CHANNELS > 1:
    x = x.repeat(1, IN_CHANNELS, 1, 1)
if INPUT_SIZE != 8:
    x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False,
                      antialias=INPUT_SIZE < 8)
x = x.clamp(0, 1)
y = torch.from_numpy(digits.target).long()

# The app's held-out split: a permutation seeded with the run's seed; the first share is held out.
split = run["split"]
order = torch.randperm(len(y), generator=torch.Generator().manual_seed(split["seed"]))
if split["max_samples"]:
    order = order[:split["max_samples"]]
n_test = max(1, int(round(len(order) * split["holdout_fraction"])))
test, train = order[:n_test].sort().values, order[n_test:].sort().values
# Normalised with the training part's mean and std per channel, as in training.
wide = x[train].double()
mean = wide.mean(dim=(0, 2, 3)).float().view(1, -1, 1, 1)
std = wide.std(dim=(0, 2, 3)).float().clamp(min=1e-3).view(1, -1, 1, 1)
x_test, y_test = (x[test] - mean) / std, y[test]

with torch.no_grad():
    predicted = net(x_test).argmax(1)
accuracy = (predicted == y_test).float().mean().item()
print(f"held-out accuracy on {len(y_test)} digits: {100 * accuracy:.1f}%")
if run["trained"] and run["recipe"]["dataset"] == "digits":
    print(f"the app measured {100 * run['run']['test_acc']:.1f}% on the same images")'''

CURVE = '''\
import csv

import matplotlib.pyplot as plt

with open("metrics.csv") as f:
    rows = list(csv.DictReader(f))
if rows:
    step = [int(r["step"]) for r in rows]
    held = [r for r in rows if r["test_acc"]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(step, [float(r["train_loss"]) for r in rows])
    left.set(xlabel="step", ylabel="training loss", yscale="log")
    right.plot(step, [100 * float(r["train_acc"]) for r in rows], label="training batches")
    right.plot([int(r["step"]) for r in held], [100 * float(r["test_acc"]) for r in held], "o--", label="held out")
    right.set(xlabel="step", ylabel="accuracy (%)", ylim=(0, 100))
    right.legend()
    plt.show()
else:
    print("This net was not trained in the app, so metrics.csv has no steps yet.")'''

FEATURES = '''\
LAYER = "{layer}"   # any name from net.named_modules()
layer = dict(net.named_modules())[LAYER]
seen = {{}}
hook = layer.register_forward_hook(lambda module, inputs, output: seen.update(maps=output.detach()))
try:
    with torch.no_grad():
        net(x_test[:1])
finally:
    hook.remove()   # a hook left behind would run on every later forward pass
maps = seen["maps"][0]   # (channels, H, W)
shown = min(16, maps.shape[0])
cols = min(9, shown + 1)
rows = -(-(shown + 1) // cols)
fig, axes = plt.subplots(rows, cols, figsize=(1.45 * cols, 1.7 * rows + 0.4), squeeze=False)
axes = axes.ravel()
axes[0].imshow(x_test[0, 0], cmap="gray")
axes[0].set_title(f"digit {{y_test[0].item()}}")
for i in range(shown):
    axes[i + 1].imshow(maps[i], cmap="viridis")
    axes[i + 1].set_title(f"channel {{i}}", fontsize=8)
for ax in axes:
    ax.axis("off")
fig.suptitle(f"{{LAYER}}: {{maps.shape[0]}} channels of {{maps.shape[1]}}x{{maps.shape[2]}}")
plt.show()'''


def feature_layer(cfg: ModelConfig) -> str:
    """The layer whose maps the notebook shows: the first block's output (after the addition)."""
    if cfg.family == "vgg":
        return "features_seq.act0"
    return "stage1.block0"


def notebook(cfg: ModelConfig, *, trained: bool, dataset: str) -> str:
    about = ("For this net, trained on the digits, it is the app's held-out accuracy, measured again."
             if trained and dataset == "digits" else
             "This net was not trained on them, so expect about 10% (chance): the cell shows how to "
             "prepare images for it, and measures it once you train it on digits.")
    cells = [
        ("markdown", f"# {cfg.kind}, exported from ResNet Explorer\n\n"
                     "`model.py` defines the net with PyTorch alone; `load()` reads `weights.safetensors` "
                     "beside it when it is there. Run the cells from the top."),
        ("code", LOAD),
        ("markdown", "## Evaluate on scikit-learn's handwritten digits\n\n"
                     "1,797 images of 8x8 pixels, prepared and split exactly as the app does. " + about),
        ("code", DIGITS),
        ("markdown", "## The training curve\n\nFrom `metrics.csv`: every recorded step, and the held-out "
                     "accuracy where it was measured."),
        ("code", CURVE),
        ("markdown", f"## Feature maps of `{feature_layer(cfg)}`\n\nA forward hook catches what one layer "
                     "gives for the first held-out digit: one small image per channel."),
        ("code", FEATURES.format(layer=feature_layer(cfg))),
    ]
    doc = {"cells": [_cell(i, kind, text) for i, (kind, text) in enumerate(cells)],
           "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                        "language_info": {"name": "python"}},
           "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1) + "\n"


def _cell(i: int, kind: str, text: str) -> dict:
    lines = text.splitlines(keepends=True)
    cell = {"cell_type": kind, "id": f"cell-{i}", "metadata": {}, "source": lines}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell

"""notebook.ipynb of an export: load the net, evaluate it on scikit-learn's digits, plot the
training curve from metrics.csv, show one layer's feature maps.

Written as plain nbformat 4 JSON (no Jupyter package needed to make it). The digits are
prepared exactly as resnet_core.data.datasets prepares them, with the run's seed and held-out
share, so a net trained on digits scores here what the app measured.
"""

from __future__ import annotations

import json

from resnet_core.data.folders import TITLES
from resnet_core.export.readme import DATASETS
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

PREPARE = '''\
import numpy as np
import torch.nn.functional as F


def prepare(images: np.ndarray, labels: np.ndarray):
    \"\"\"The app's held-out images from 8-bit ones shaped (N, C, H, W): scaled to [0, 1], converted to
    the net's channels, resized to its input, split with the run's seed and normalised with the
    training part's mean and std per channel, as in training.\"\"\"
    split = run["split"]
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(split["seed"]))
    if split["max_samples"]:
        order = order[:split["max_samples"]]
    n_test = max(1, int(round(len(order) * split["holdout_fraction"])))
    test, train = order[:n_test].sort().values.numpy(), order[n_test:].sort().values.numpy()

    def to_float(part):
        x = torch.from_numpy(np.ascontiguousarray(part)).float() / 255
        if x.shape[1] == 3 and IN_CHANNELS == 1:   # ITU-R 601 luma, as PIL's convert("L")
            x = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        elif x.shape[1] == 1 and IN_CHANNELS > 1:
            x = x.repeat(1, IN_CHANNELS, 1, 1)
        if x.shape[-1] != INPUT_SIZE:   # antialiased when shrinking, or thin strokes alias away
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False,
                              antialias=INPUT_SIZE < x.shape[-1])
        return x.clamp(0, 1)

    wide = to_float(images[train]).double()
    mean = wide.mean(dim=(0, 2, 3)).float().view(1, -1, 1, 1)
    std = wide.std(dim=(0, 2, 3)).float().clamp(min=1e-3).view(1, -1, 1, 1)
    return (to_float(images[test]) - mean) / std, torch.from_numpy(labels[test]).long()


def accuracy(x, y, batch=1024):
    with torch.no_grad():
        right = sum((net(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item() for i in range(0, len(x), batch))
    return right / len(y)'''

DIGITS = '''\
from sklearn.datasets import load_digits

digits = load_digits()
# Pixel values are counts 0..16 of a 4x4 block of the original 32x32 bitmap: to 8-bit first.
pixels = np.round(digits.images * (255 / 16)).astype(np.uint8)[:, None]
x_test, y_test = prepare(pixels, digits.target.astype(np.int64))
print(f"held-out accuracy on {len(y_test)} digits: {100 * accuracy(x_test, y_test):.1f}%")
if run["trained"] and run["recipe"]["dataset"] == "digits":
    print(f"the app measured {100 * run['run']['test_acc']:.1f}% on the same images")'''

# Reading the run's own dataset as resnet_core.data.folders reads it: both published splits
# pooled (training first), so the split above picks the same held-out images.
DATASET = '''\
import gzip
import os
import pickle
from pathlib import Path

# Folders to look in, in torchvision's layout: the one the run read, then the app's default.
FOLDERS = [Path(p).expanduser() for p in (run["recipe"]["data_dir"],
           os.environ.get("RESNET_EXPLORER_DATA", "~/.cache/resnet-explorer/data")) if p]


def read_idx(path):
    with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def read_mnist(folder):
    images, labels = [], []
    for split in ("train", "t10k"):   # both splits when present, training first
        pair = [next((folder / (stem + gz) for gz in ("", ".gz") if (folder / (stem + gz)).is_file()), None)
                for stem in (f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte")]
        if None not in pair:
            images.append(read_idx(pair[0])[:, None])
            labels.append(read_idx(pair[1]).astype(np.int64))
    return (np.concatenate(images), np.concatenate(labels)) if images else None


def read_cifar(folder):
    images, labels = [], []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        binary, python = folder / "cifar-10-batches-bin" / f"{name}.bin", folder / "cifar-10-batches-py" / name
        if binary.is_file():   # records of <label byte><3,072 pixel bytes>
            records = np.frombuffer(binary.read_bytes(), np.uint8).reshape(-1, 3073)
            labels.append(records[:, 0].astype(np.int64))
            images.append(records[:, 1:].reshape(-1, 3, 32, 32))
        elif python.is_file():   # your own download: pickle is only safe on files you trust
            with open(python, "rb") as f:
                batch = pickle.load(f, encoding="latin1")
            labels.append(np.asarray(batch["labels"], dtype=np.int64))
            images.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
    return (np.concatenate(images), np.concatenate(labels)) if images else None


DATASET = "__DATASET__"
SUBFOLDER = {"mnist": "MNIST/raw", "fashion_mnist": "FashionMNIST/raw"}.get(DATASET)
found = next((data for folder in FOLDERS if (data := (read_mnist(folder / SUBFOLDER) if SUBFOLDER
                                                      else read_cifar(folder)))), None)
if found is None:
    print(f"{DATASET} is not in {', '.join(map(str, FOLDERS))}: put its files there to measure the net on it")
else:
    x_run, y_run = prepare(*found)
    print(f"held-out accuracy on {len(y_run)} images of {DATASET}: {100 * accuracy(x_run, y_run):.1f}%")
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
LAYER = "__LAYER__"   # any name from net.named_modules()
layer = dict(net.named_modules())[LAYER]
seen = {}
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
axes[0].set_title(f"digit {y_test[0].item()}")
for i in range(shown):
    axes[i + 1].imshow(maps[i], cmap="viridis")
    axes[i + 1].set_title(f"channel {i}", fontsize=8)
for ax in axes:
    ax.axis("off")
fig.suptitle(f"{LAYER}: {maps.shape[0]} channels of {maps.shape[1]}×{maps.shape[2]}")
plt.show()'''


FOLDER_DATASETS = TITLES   # the datasets a run can read from its folder, by name


def feature_layer(cfg: ModelConfig) -> str:
    """The layer whose maps the notebook shows: the first block's output (after the addition)."""
    if cfg.family == "vgg":
        return "features_seq.act0"
    return "stage1.block0"


def notebook(cfg: ModelConfig, *, trained: bool, dataset: str) -> str:
    if trained and dataset == "digits":
        about = ("This net was trained on the digits: the accuracy printed is the app's held-out accuracy, "
                 "measured again.")
    elif trained:
        # Not "about chance": a net trained on other handwritten digits (MNIST) may well do better,
        # and nothing here has measured it.
        about = (f"This net was trained on {DATASETS.get(dataset, dataset)}, not on these digits: the accuracy "
                 "printed here is how it does on images unlike its training data, not the app's held-out accuracy.")
    elif cfg.num_classes <= 10:
        about = ("This net was not trained yet, so expect about 10% (chance): the cells show how to prepare "
                 "images for this net, and give its real accuracy once it is trained on the digits.")
    else:
        # A guess among all its outputs is right 1 time in num_classes, not 1 in 10 (an untrained
        # ResNet-18 with 1,000 outputs scored 0.0% on these 359 digits).
        about = (f"This net was not trained yet, and it has {cfg.num_classes:,} outputs where the digits have 10 "
                 f"classes, so expect about {100 / cfg.num_classes:.2g}% (chance: 1 in {cfg.num_classes:,}): the "
                 "cells show how to prepare images for this net.")
    own_data = []
    if trained and dataset in FOLDER_DATASETS:
        own_data = [("markdown", f"## Evaluate on {FOLDER_DATASETS[dataset]}, the run's own dataset\n\n"
                                 "Where its files are on this computer, the same held-out images as in the app."),
                    ("code", DATASET.replace("__DATASET__", dataset))]
    cells = [
        ("markdown", f"# {cfg.kind}, exported from ResNet Explorer\n\n"
                     "`model.py` defines the net with PyTorch alone; `load()` reads `weights.safetensors` "
                     "beside it when it is there. Run the cells from the top."),
        ("code", LOAD),
        ("markdown", "## Evaluate on scikit-learn's handwritten digits\n\n"
                     "1,797 images of 8×8 pixels, prepared and split exactly as the app does. " + about),
        ("code", PREPARE),
        ("code", DIGITS),
        *own_data,
        ("markdown", "## The training curve\n\nFrom `metrics.csv`: every recorded step, and the held-out "
                     "accuracy where it was measured."),
        ("code", CURVE),
        ("markdown", f"## Feature maps of `{feature_layer(cfg)}`\n\nA forward hook catches what one layer "
                     "gives for the first held-out digit: one small image per channel."),
        ("code", FEATURES.replace("__LAYER__", feature_layer(cfg))),
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

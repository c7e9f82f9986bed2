"""Real datasets read from a local folder in torchvision's layout: MNIST, Fashion-MNIST, CIFAR-10.

The files are parsed here directly (IDX for the MNIST family, CIFAR-10's binary or python
batches), so a folder holding only one split still loads: a partial download, or a teacher who
copied just the test split. When a folder holds nothing usable we try torchvision's downloader
once (it says so on the log) and otherwise raise ``DatasetMissing`` naming the folder and files.
"""

from __future__ import annotations

import gzip
import logging
import pickle
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from resnet_core.messages import ConfigError, message

log = logging.getLogger(__name__)

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CIFAR_PY = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch")

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                 "dog", "frog", "horse", "ship", "truck")


class DatasetMissing(FileNotFoundError):
    """A real dataset is not in its folder and could not be downloaded; the message says where
    to put which files. It carries its code and values (resnet_core.messages), so a page says it
    in the reader's language."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.code, self.params = getattr(reason, "code", ""), dict(getattr(reason, "values", {}))


@dataclass(frozen=True)
class RawImages:
    images: np.ndarray          # (N, C, H, W) uint8
    labels: np.ndarray          # (N,) int64
    class_names: tuple[str, ...]
    splits: tuple[str, ...]     # which of the published splits the folder held


# --- MNIST family: IDX files -------------------------------------------------------------

def read_idx(path: Path) -> np.ndarray:
    """Parse an IDX file (gzipped or not): 4-byte magic (type, rank), big-endian dims, data."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ConfigError(code="idx_not", file=path.name)
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if data[2] not in dtypes:
        raise ConfigError(code="idx_type", file=path.name, value=f"{data[2]:#x}")
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    flat = np.frombuffer(data, dtype=dtypes[data[2]], offset=4 + 4 * rank)
    if flat.size != int(np.prod(dims)):
        raise ConfigError(code="idx_truncated", file=path.name, value=flat.size, shape=dims)
    return flat.reshape(dims).astype(flat.dtype.newbyteorder("="))


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def read_mnist_folder(raw: Path, class_names: tuple[str, ...]) -> RawImages | None:
    """Both splits when present, else whichever one the folder holds; None when neither."""
    images, labels, splits = [], [], []
    for split in ("train", "t10k"):
        img = _find(raw, f"{split}-images-idx3-ubyte")
        lab = _find(raw, f"{split}-labels-idx1-ubyte")
        if img is None or lab is None:
            continue
        x, y = read_idx(img), read_idx(lab)
        if x.ndim != 3 or y.shape != (x.shape[0],):
            raise ConfigError(code="idx_mismatch", file=img.name, file2=lab.name, shape=x.shape, shape2=y.shape)
        images.append(x[:, None])
        labels.append(y.astype(np.int64))
        splits.append("train" if split == "train" else "test")
    if not images:
        return None
    return RawImages(np.concatenate(images), np.concatenate(labels), class_names, tuple(splits))


# --- CIFAR-10: binary or python batches ----------------------------------------------------

class _ArrayUnpickler(pickle.Unpickler):
    """Only the globals numpy needs to rebuild arrays: a CIFAR batch is a dict of arrays, lists
    and bytes. Anything else (a crafted file) is refused instead of executed."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")
        return super().find_class(module, name)


def read_cifar_folder(root: Path) -> RawImages | None:
    images, labels, splits = [], [], []
    binary, python = root / "cifar-10-batches-bin", root / "cifar-10-batches-py"
    for split, names in (("train", [f"data_batch_{i}" for i in range(1, 6)]), ("test", ["test_batch"])):
        for name in names:
            if (binary / f"{name}.bin").is_file():
                # 10,000 records of <1 label byte><3,072 pixel bytes: R plane, G plane, B plane.
                rec = np.frombuffer((binary / f"{name}.bin").read_bytes(), np.uint8).reshape(-1, 3073)
                labels.append(rec[:, 0].astype(np.int64))
                images.append(rec[:, 1:].reshape(-1, 3, 32, 32))
            elif (python / name).is_file():
                with open(python / name, "rb") as f:
                    batch = _ArrayUnpickler(f, encoding="latin1").load()
                labels.append(np.asarray(batch["labels"], dtype=np.int64))
                images.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
            else:
                continue
            if split not in splits:
                splits.append(split)
    if not images:
        return None
    return RawImages(np.concatenate(images), np.concatenate(labels), CIFAR_CLASSES, tuple(splits))


# --- where the files go, and the download ----------------------------------------------------

LAYOUT = {
    "mnist": ("MNIST/raw", MNIST_FILES, "torchvision.datasets.MNIST"),
    "fashion_mnist": ("FashionMNIST/raw", MNIST_FILES, "torchvision.datasets.FashionMNIST"),
    "cifar10": ("cifar-10-batches-py", CIFAR_PY, "torchvision.datasets.CIFAR10"),
}
DOWNLOAD_HOSTS = {"mnist": "ossci-datasets.s3.amazonaws.com",
                  "fashion_mnist": "fashion-mnist.s3-website.eu-central-1.amazonaws.com",
                  "cifar10": "www.cs.toronto.edu"}


# What else the folder may hold, as the readers accept it (a phrase errors.json's errword.* translates).
FILES_TOO = {"mnist": ".gz or not; one split is enough", "fashion_mnist": ".gz or not; one split is enough",
             "cifar10": "or cifar-10-batches-bin/*.bin"}


# The datasets' own names, as the sentences say them (not their codes).
TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}


def missing_message(name: str, root: Path, code: str = "dataset_missing", **values) -> str:
    """Why `name` cannot load: "dataset_missing" (not there, no download tried), "dataset_offline",
    "dataset_download_failed" (with the download's `reason`) or "dataset_download_empty"."""
    sub, files, _ = LAYOUT[name]
    return message(code, dataset=TITLES[name], folder=root / sub, files=", ".join(files), extra=FILES_TOO[name], **values)


def read_folder(name: str, root: Path) -> RawImages | None:
    if name == "cifar10":
        return read_cifar_folder(root)
    classes = FASHION_CLASSES if name == "fashion_mnist" else tuple(str(d) for d in range(10))
    return read_mnist_folder(root / LAYOUT[name][0], classes)


def _online(host: str, timeout: float = 3.0) -> bool:
    # A quick connect first: offline, torchvision's downloader can wait far longer than a page may.
    for port in (443, 80):   # the Fashion-MNIST mirror serves plain http only
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return True
        except OSError:
            continue
    return False


def download(name: str, root: Path) -> None:
    """Fetch a dataset with torchvision's downloader (checks the published md5 sums)."""
    import torchvision.datasets as tvd

    cls = {"mnist": tvd.MNIST, "fashion_mnist": tvd.FashionMNIST, "cifar10": tvd.CIFAR10}[name]
    log.warning("downloading %s into %s (not found there)", name, root)
    root.mkdir(parents=True, exist_ok=True)
    cls(str(root), train=True, download=True)
    cls(str(root), train=False, download=True)


def load_folder(name: str, root: Path, allow_download: bool = True) -> RawImages:
    raw = read_folder(name, root)
    if raw is not None:
        return raw
    if not allow_download:
        raise DatasetMissing(missing_message(name, root))
    if not _online(DOWNLOAD_HOSTS[name]):
        raise DatasetMissing(missing_message(name, root, "dataset_offline"))
    try:
        download(name, root)
    except Exception as err:  # any failure of the fetch is the same answer for the user
        raise DatasetMissing(missing_message(name, root, "dataset_download_failed",
                                             reason=" ".join(str(err).split())[:200])) from err
    raw = read_folder(name, root)
    if raw is None:
        raise DatasetMissing(missing_message(name, root, "dataset_download_empty"))
    return raw

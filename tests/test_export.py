"""Exports: model.py alone (torch + safetensors in a fresh process) gives the app's logits and
initial weights for every kind of net the builder takes; model.onnx passes the checker and agrees
in ONNX Runtime; the zip, the CLI and the messages for runs that cannot be exported."""

import ast
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.torch import save_file

from resnet_core import ModelConfig, TrainConfig, build_model
from resnet_core.__main__ import main
from resnet_core.export import ExportError, export_config, export_run, model_py
from resnet_core.export.bundle import MESSAGES
from resnet_core.export.readme import readme as readme_text
from resnet_core.nets.config import ACTIVATIONS, BLOCKS, FAMILIES, NORMS, SHORTCUTS
from resnet_core.store.runs import RunStore
from resnet_core.training.experiments import run_experiment

pytestmark = pytest.mark.usefixtures("one_thread")

# What the child process does: import only torch and safetensors, then for each case load
# model.py from its folder, check a seeded build against the app's initial weights and the
# loaded net's logits against the app's.
CHILD = r'''
import importlib.util, json, sys
import torch
from safetensors.torch import load_file
torch.set_num_threads(1)   # as the test process (one_thread): the same kernels, the same sums
out = []
for i, folder in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"exported{i}", f"{folder}/model.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    case = load_file(f"{folder}/case.safetensors")
    torch.manual_seed(7)
    fresh = mod.build().state_dict()
    init = load_file(f"{folder}/init.safetensors")
    same_init = set(fresh) == set(init) and all(torch.equal(fresh[k], init[k]) for k in init)
    net = mod.load()
    with torch.no_grad():
        logits = net(case["x"])
    out.append({"folder": folder, "same_init": same_init,
                "diff": (logits - case["logits"]).abs().max().item(), "training": net.training})
try:   # an explicit path that is not there is an error, not a silently fresh net
    mod.load(f"{folder}/nowhere.safetensors")
    missing = "loaded"
except FileNotFoundError as err:
    missing = str(err)
print(json.dumps({"cases": out, "missing": missing, "modules": sorted(m for m in sys.modules if m.split(".")[0] in
                  ("resnet_core", "streamlit", "onnx", "ui", "sklearn"))}))
'''

ALLOWED_IMPORTS = {"json", "struct", "collections", "pathlib", "torch", "torch.nn", "torch.nn.functional"}


def tiny(family: str, block: str, depth_n: int, **kw) -> ModelConfig:
    """A net of the family small enough to run in milliseconds."""
    if family == "cifar":
        step = 9 if block == "bottleneck" else 6
        return ModelConfig(family="cifar", depth=step * depth_n + 2, block=block, base_width=2,
                           input_size=8, **kw)
    if family == "imagenet":
        return ModelConfig(family="imagenet", depth=50 if block == "bottleneck" else 18, block=block,
                           base_width=1, input_size=32, **kw)
    if family == "custom":
        return ModelConfig(family="custom", stages=(depth_n, 1), block=block, base_width=3, input_size=6, **kw)
    return ModelConfig(family="vgg", depth=11, width_mult=1 / 64, input_size=32, **kw)


@st.composite
def configs(draw) -> ModelConfig:
    family = draw(st.sampled_from(FAMILIES))
    kw = dict(block=draw(st.sampled_from(BLOCKS)), residual=draw(st.booleans()),
              shortcut=draw(st.sampled_from(SHORTCUTS)), norm=draw(st.sampled_from(NORMS)),
              activation=draw(st.sampled_from(ACTIVATIONS)), init=draw(st.sampled_from(("he", "xavier", "default"))),
              stride_at=draw(st.sampled_from(("v1", "v1.5"))), zero_init_residual=draw(st.booleans()),
              in_channels=draw(st.sampled_from((1, 3))), num_classes=draw(st.integers(2, 5)),
              # VGG's flatten head is its 4096-wide classifier: 17M weights, too big for a quick test.
              head="gap" if family == "vgg" else draw(st.sampled_from(("gap", "flatten"))))
    block = kw.pop("block")
    return tiny(family, block, draw(st.integers(1, 2)), **kw)


# Every value of every choice at least once, whatever hypothesis draws.
COVER = [
    tiny("cifar", "basic", 1, shortcut="A", activation="relu", in_channels=1),
    tiny("cifar", "bottleneck", 1, shortcut="B", norm="none", activation="leaky_relu", stride_at="v1.5"),
    tiny("cifar", "preact", 1, shortcut="C", activation="gelu", head="flatten", zero_init_residual=True),
    tiny("custom", "preact", 2, shortcut="B", activation="tanh", init="xavier"),
    tiny("imagenet", "basic", 1, residual=False, activation="sigmoid", init="default"),
    tiny("imagenet", "bottleneck", 1, shortcut="C", zero_init_residual=True),
    tiny("vgg", "basic", 1, norm="batch", head="flatten"),
    tiny("vgg", "basic", 1, norm="none"),
]


def write_case(folder, cfg: ModelConfig) -> None:
    """model.py, the app net's weights (every number perturbed, BN statistics too, so eval-mode
    BN is tested), its seeded initial weights, an input and the app's logits for it."""
    folder.mkdir()
    torch.manual_seed(7)
    model = build_model(cfg)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(folder / "init.safetensors"))
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                noise = torch.rand(t.shape, generator=g) * 0.5 + 0.75 if name.endswith("running_var") \
                    else torch.randn(t.shape, generator=g) * 0.3
                t.copy_(noise if name.endswith(("running_var", "running_mean")) else t + noise)
    model.eval()
    x = torch.randn(3, cfg.in_channels, cfg.input_size, cfg.input_size, generator=g)
    with torch.no_grad():
        logits = model(x)
    (folder / "model.py").write_text(model_py(cfg))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(folder / "weights.safetensors"))
    save_file({"x": x, "logits": logits}, str(folder / "case.safetensors"))
    tree = ast.parse((folder / "model.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= ALLOWED_IMPORTS, imported


def test_model_py_alone_gives_the_apps_logits_and_initial_weights(tmp_path):
    folders, seen = [], []

    @settings(max_examples=14, deadline=None, database=None)
    @given(cfg=configs())
    def collect(cfg):
        folders.append(tmp_path / f"case{len(folders)}")
        seen.append(cfg)
        write_case(folders[-1], cfg)

    for cfg in COVER:
        folders.append(tmp_path / f"case{len(folders)}")
        seen.append(cfg)
        write_case(folders[-1], cfg)
    collect()
    for field, values in [("family", FAMILIES), ("block", BLOCKS), ("shortcut", SHORTCUTS), ("norm", NORMS),
                          ("activation", ACTIVATIONS)]:
        assert {getattr(c, field) for c in seen} == set(values), field
    assert {c.residual for c in seen} == {True, False}
    proc = subprocess.run([sys.executable, "-c", CHILD, *map(str, folders)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["modules"] == [], "model.py must need nothing but torch"
    assert len(report["cases"]) == len(seen)
    for cfg, case in zip(seen, report["cases"]):
        assert case["diff"] <= 1e-6, (cfg, case)
        assert case["same_init"], (cfg, "a seeded build must draw the app's initial weights")
        assert case["training"] is False
    assert report["missing"] == f"no weights at {folders[-1]}/nowhere.safetensors"


# --- a trained run: the zip, ONNX, the CLI ----------------------------------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("export") / "runs.db")
    cfg = ModelConfig(depth=8, base_width=4, in_channels=1, input_size=8, num_classes=10)
    tc = TrainConfig(steps=20, batch_size=64, eval_every=10, stats_every=10, augment=False, device="cpu")
    [row] = run_experiment([("ResNet-8", cfg, tc)], store=store, group="t")
    unfinished = store.create_run(cfg, tc, label="queued")
    return store, row.run_id, unfinished, export_run(store, row.run_id)


def test_the_zip_holds_every_file_in_one_folder(trained):
    store, run_id, _, export = trained
    names = zipfile.ZipFile(io.BytesIO(export.zip_bytes())).namelist()
    folder = f"run-{run_id}-resnet8"
    assert sorted(names) == sorted(f"{folder}/{f}" for f in ("model.py", "weights.safetensors", "model.onnx",
                                                               "metrics.csv", "run.json", "README.md",
                                                               "notebook.ipynb"))
    meta = json.loads(export.files["run.json"])
    info = store.get_run(run_id)
    assert meta["model_config"] == info.model_cfg.to_dict() and meta["recipe"] == info.train_cfg.to_dict()
    assert meta["seed"] == info.seed and meta["run"]["test_acc"] == info.test_acc
    assert meta["versions"]["trained_with"]["torch"] == torch.__version__
    lines = export.files["metrics.csv"].decode().splitlines()
    assert lines[0] == "step,train_loss,train_acc,lr,seconds,test_loss,test_acc"
    assert len(lines) == 1 + len(store.steps(run_id).step) == 21
    readme = export.files["README.md"].decode()
    assert "from model import load\nnet = load()" in readme and "held-out accuracy" in readme
    assert "trained on scikit-learn's handwritten digits for 20 steps" in readme   # the dataset's name, not its code
    assert "evaluates it on scikit-learn's digits, plots" in readme and "about chance" not in readme
    # a net trained on other images: the README says, as the notebook does, that the digits are not its
    # training data, and promises no accuracy there (an MNIST net is not "about chance" on them)
    meta["recipe"]["dataset"] = "cifar10"
    other = readme_text(info.model_cfg, meta, onnx_included=True)
    assert "evaluates it on scikit-learn's digits (not its training data: it was trained on CIFAR-10), plots" in other
    assert "chance" not in other
    meta["run"] = {**meta["run"], "steps_done": 1}
    assert "for 1 step (seed" in readme_text(info.model_cfg, meta, onnx_included=True)


def test_onnx_passes_the_checker_and_agrees_in_onnx_runtime(trained):
    import onnx
    import onnxruntime

    store, run_id, _, export = trained
    onnx.checker.check_model(onnx.load_from_string(export.files["model.onnx"]), full_check=True)
    session = onnxruntime.InferenceSession(export.files["model.onnx"], providers=["CPUExecutionProvider"])
    model = store.load_model(run_id)
    for batch in (1, 5):
        x = torch.randn(batch, 1, 8, 8)
        with torch.no_grad():
            want = model(x).numpy()
        [got] = session.run(["logits"], {"images": x.numpy()})
        assert got.shape == (batch, 10)
        assert abs(got - want).max() < 1e-5


def test_an_untrained_net_exports_without_weights(tmp_path):
    export = export_config(ModelConfig(family="custom", stages=(1, 1), base_width=2, input_size=8), onnx=False)
    assert "weights.safetensors" not in export.files and "model.onnx" not in export.files
    assert export.files["metrics.csv"].decode().strip() == "step,train_loss,train_acc,lr,seconds,test_loss,test_acc"
    meta = json.loads(export.files["run.json"])
    assert meta["trained"] is False and meta["run"] is None
    readme = export.files["README.md"].decode()   # says only what the zip holds
    assert "weights.safetensors" not in readme and "with fresh weights" in readme
    assert "nothing to plot yet" in readme and "plots the training curve" not in readme   # no curve before training


def test_an_untrained_nets_notebook_expects_chance_among_its_own_outputs():
    """Untrained, a net guesses among all its outputs: 1 in 10 on the digits for 10 outputs, but
    1 in 1,000 for an ImageNet-sized head (an untrained ResNet-18 scored 0.0% there), never "about 10%"."""
    from resnet_core.export.notebook import notebook

    def about(classes: int) -> str:
        cfg = ModelConfig(family="custom", stages=(1, 1), base_width=2, input_size=8, num_classes=classes)
        cells = json.loads(notebook(cfg, trained=False, dataset="digits"))["cells"]
        return next("".join(c["source"]) for c in cells if "".join(c["source"]).startswith("## Evaluate"))

    assert "expect about 10% (chance)" in about(10)
    thousand = about(1000)
    assert "10%" not in thousand and "1,000 outputs where the digits have 10 classes" in thousand
    assert "expect about 0.1% (chance: 1 in 1,000)" in thousand


def test_runs_that_cannot_be_exported_say_why(trained):
    store, _, unfinished, _ = trained
    with pytest.raises(ExportError, match=r"^there is no run 999 in .*runs\.db$") as err:
        export_run(store, 999)
    assert err.value.code == "no_run"
    with pytest.raises(ExportError, match=f"run {unfinished} has no checkpoint to export: .* its status is queued$"):
        export_run(store, unfinished)
    # A finished run whose checkpoint the folder's bound dropped is not told "only a finished run".
    dropped = store.create_run(ModelConfig(depth=8, base_width=4, in_channels=1, input_size=8), TrainConfig(steps=1),
                               label="dropped")
    store.set_status(dropped, "finished")
    with pytest.raises(ExportError, match=f"^run {dropped} finished, but its checkpoint is no longer kept") as err:
        export_run(store, dropped)
    assert err.value.code == "checkpoint_dropped"


def test_every_export_message_has_both_languages():
    from ui.page.i18n import table

    for code, english in MESSAGES.items():
        entry = table()[f"export.err.{code}"]
        assert entry["en"] == english and entry["ko"] and entry["ko"] != english


def test_cli_exports_a_run_and_a_named_net(trained, tmp_path, capsys):
    store, run_id, unfinished, _ = trained
    assert main(["export", str(run_id), "--db", str(store.path), "--out", str(tmp_path / "run"), "--no-onnx",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(
        ["model.py", "weights.safetensors", "metrics.csv", "run.json", "README.md", "notebook.ipynb"])
    assert data["name"] == f"run-{run_id}-resnet8"
    assert main(["export", "resnet20", "--plain", "--out", str(tmp_path / "net"), "--zip", "--no-onnx"]) == 0
    assert capsys.readouterr().out.startswith(f"plain20: 1 file in {tmp_path / 'net'}\n")   # not "1 file(s)"
    z = zipfile.ZipFile(tmp_path / "net" / "plain20.zip")
    assert "plain20/model.py" in z.namelist()
    text = z.read("plain20/model.py").decode()
    assert "a plain block: no shortcut" in text and "def shortcut" not in text


@pytest.mark.parametrize("args, message", [
    (["999"], "error: there is no run 999 in "),
    (["UNFINISHED"], "has no checkpoint to export: only a finished run leaves one, and its status is queued"),
    (["1", "--db", "MISSING"], "error: there is no run store at "),
    (["resnet21"], "error: depth must be 6n+2"),
    (["1", "--plain"], "describe an ARCH, not a stored run"),
])
def test_cli_bad_targets_exit_2_with_one_line(trained, tmp_path, capsys, args, message):
    store, _, unfinished, _ = trained
    args = [str(unfinished) if a == "UNFINISHED" else str(tmp_path / "none.db") if a == "MISSING" else a
            for a in args]
    if "--db" not in args:
        args += ["--db", str(store.path)]
    assert main(["export", *args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "none.db").exists()   # a wrong path makes no empty store


def test_the_notebook_runs_top_to_bottom_and_measures_what_the_app_did(trained, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    store, run_id, _, export = trained
    folder = tmp_path / "unzipped"
    export.write(folder)
    # The kernel (this venv's python: jupyter_client starts the "python3" kernel with sys.executable)
    # writes its connection file, IPython profile and matplotlib cache here, never in the real home.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "mpl")]:
        (tmp_path / "jupyter" / sub).mkdir(parents=True)
        monkeypatch.setenv(var, str(tmp_path / "jupyter" / sub))
    monkeypatch.delenv("MPLBACKEND", raising=False)   # the test process draws with Agg; a notebook draws inline
    nb = nbformat.reads(export.files["notebook.ipynb"].decode(), as_version=4)
    nbformat.validate(nb)
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint('kernel:', sys.executable)"))   # ours, not the user's
    NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(folder)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    info = store.get_run(run_id)
    assert f"{info.model_cfg.kind}: " in text and "trained" in text
    assert f"kernel: {sys.executable}\n" in text   # this venv's python ran the notebook
    # The same 359 held-out digits, prepared and normalised as in training: the app's accuracy.
    assert f"held-out accuracy on 359 digits: {100 * info.test_acc:.1f}%" in text
    assert f"the app measured {100 * info.test_acc:.1f}%" in text
    pictures = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.data]
    assert len(pictures) == 2, [(o.output_type, list(o.get("data", {}))) for o in outputs]
    assert list(home.iterdir()) == []


SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_the_notebook_finds_the_runs_own_dataset_and_its_held_out_images(tmp_path, monkeypatch, capsys):
    """A run on MNIST (the real test split in shared/data): the notebook's own-dataset cell reads
    the files as the app does and measures the app's held-out accuracy again. Run in this process,
    cell by cell (the kernel itself is covered above)."""
    import nbformat

    if not (SHARED_DATA / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"the real MNIST test split is not at {SHARED_DATA}")
    store = RunStore(tmp_path / "runs.db")
    cfg = ModelConfig(depth=8, base_width=4, in_channels=1, input_size=14, num_classes=10)
    tc = TrainConfig(dataset="mnist", data_dir=str(SHARED_DATA), max_samples=600, steps=10, batch_size=64,
                     eval_every=10, stats_every=10, augment=False, device="cpu")
    [row] = run_experiment([("ResNet-8", cfg, tc)], store=store, group="t")
    folder = tmp_path / "unzipped"
    export_run(store, row.run_id, onnx=False).write(folder)
    nb = nbformat.read(folder / "notebook.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any('DATASET = "mnist"' in c for c in code)
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    namespace = {}
    for cell in code:
        if "load_digits" in cell or "plt." in cell:
            continue   # digits, the curve and the maps: run in the kernel test
        exec(compile(cell, "notebook", "exec"), namespace)
    text = capsys.readouterr().out
    acc = store.get_run(row.run_id).test_acc
    assert f"held-out accuracy on 120 images of mnist: {100 * acc:.1f}%" in text, text
    assert abs(namespace["accuracy"](namespace["x_run"], namespace["y_run"]) - acc) < 1e-9
    sys.modules.pop("model", None)


def test_model_py_cites_each_part_where_the_paper_describes_it():
    """Option C and its comparison are in section 4.1 (Table 3); the GAP head in section 3.3; BN
    after each convolution in 3.4 (Implementation): the file's comments agree with its header."""
    from resnet_core import arch_config

    text = model_py(arch_config("resnet34", shortcut="C"))
    assert "Option C (paper section 4.1, Table 3)" in text and "Option C (paper 3.3)" not in text
    assert "then one fully connected layer (paper section 3.3)." in text and "layer (paper 3.4)" not in text
    assert "(paper 3.4)" in text   # BN right after each convolution, before the activation
    assert "Option A (paper 3.3)" in model_py(arch_config("resnet34", shortcut="A"))

"""Build & Train's "Download as PyTorch (zip)" in a real browser: the zip of the net on the page
arrives with model.py, model.onnx, the notebook and the rest; the button speaks both languages."""

import io
import json
import zipfile


def test_the_net_on_build_downloads_as_a_pytorch_zip(page, open_page, switch_language, assert_no_error):
    open_page(page, "build", "en")
    assert_no_error(page)
    box = page.locator(".st-key-build_export_net")
    button = box.get_by_role("button", name="Download as PyTorch (zip)")
    assert button.count() == 1
    # Made when clicked (ONNX tracing included): seconds on a busy two-core server.
    with page.expect_download(timeout=240_000) as download:
        button.click()
    saved = download.value
    assert saved.suggested_filename == "resnet20.zip"
    with open(saved.path(), "rb") as f:
        z = zipfile.ZipFile(io.BytesIO(f.read()))
    assert sorted(z.namelist()) == sorted(f"resnet20/{name}" for name in (
        "model.py", "model.onnx", "metrics.csv", "run.json", "README.md", "notebook.ipynb"))
    model = z.read("resnet20/model.py").decode()
    compile(model, "model.py", "exec")
    assert "IN_CHANNELS = 1" in model and "option A" in model   # the digits' one channel, the page's shortcut
    assert_no_error(page)

    switch_language(page, "ko", "만들고 학습하기")
    assert_no_error(page)
    assert box.get_by_role("button", name="PyTorch로 내려받기 (zip)").count() == 1


def test_a_finished_run_downloads_with_its_weights(app_server, page, wait_for_app, switch_language, assert_no_error):
    """A run this browser finished (trained here into the server's store, tiny): Build & Train's
    run list offers its zip, with the trained weights and their ONNX graph."""
    from resnet_core import ModelConfig, TrainConfig
    from resnet_core.store.runs import RunStore
    from resnet_core.training.experiments import run_experiment

    store = RunStore(app_server.workdir / "runs.sqlite")
    cfg = ModelConfig(depth=8, base_width=4, in_channels=1, input_size=8, num_classes=10)
    tc = TrainConfig(steps=10, batch_size=64, eval_every=5, stats_every=5, augment=False, device="cpu")
    [row] = run_experiment([("ResNet-8", cfg, tc)], store=store, group="build", owner="export7zip")
    page.goto(f"{app_server.url}/build?lang=en&u=export7zip")
    wait_for_app(page)
    assert_no_error(page)
    box = page.locator(".st-key-build_export_zip")
    with page.expect_download(timeout=240_000) as download:
        box.get_by_role("button", name="Download as PyTorch (zip)").click()
    saved = download.value
    assert saved.suggested_filename == f"run-{row.run_id}-resnet8.zip"
    with open(saved.path(), "rb") as f:
        z = zipfile.ZipFile(io.BytesIO(f.read()))
    folder = f"run-{row.run_id}-resnet8"
    assert {f"{folder}/weights.safetensors", f"{folder}/model.onnx", f"{folder}/metrics.csv"} <= set(z.namelist())
    assert len(z.read(f"{folder}/metrics.csv").decode().splitlines()) == 11   # the header and 10 steps
    assert json.loads(z.read(f"{folder}/run.json"))["run"]["test_acc"] == store.get_run(row.run_id).test_acc
    switch_language(page, "ko", "만들고 학습하기")
    assert_no_error(page)
    assert box.get_by_role("button", name="PyTorch로 내려받기 (zip)").count() == 1
    store.close()

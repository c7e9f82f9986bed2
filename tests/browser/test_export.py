"""Build & Train's "Download as PyTorch (zip)" in a real browser: the zip of the net on the page
arrives with model.py, model.onnx, the notebook and the rest; the button speaks both languages."""

import io
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

"""Reasons a setting cannot be built carry a code and values, and read the same in Korean.

The library's sentences stay English (the CLI prints them); the app looks the code up in
assets/i18n/errors.json. These tests raise real errors from the library, so a sentence someone
rewords without its template shows up here as a code that is missing."""

import re

import pytest

from resnet_core import ConfigError, ModelConfig, TrainConfig, arch_config, build_model, messages
from resnet_core.data import folders
from resnet_core.data.augment import pad_crop
from resnet_core.inspection import lesion
from resnet_core.jobs import tasks
from resnet_core.nets import flops, hooks
from resnet_core.predict import bank
from resnet_core.training import engine
from ui.page import errors, i18n

HANGUL = re.compile(r"[\uac00-\ud7a3]")
ENGLISH_WORDS = re.compile(r"\b(must|be|got|the|and|or|of|for|with|this|cannot|needs?|has|no)\b")

BAD = [
    lambda: ModelConfig(depth=21),
    lambda: ModelConfig(block="wide"),
    lambda: ModelConfig(family="imagenet", depth=19, base_width=64, input_size=224),
    lambda: ModelConfig(input_size=2),
    lambda: ModelConfig(base_width=0),
    lambda: ModelConfig(width_mult=9.0),
    lambda: ModelConfig(num_classes=1),
    lambda: ModelConfig(family="custom", stages=()),
    lambda: ModelConfig(family="vgg", depth=12),
    lambda: arch_config("resnet7x"),
    lambda: TrainConfig(steps=0),
    lambda: TrainConfig(lr=0.0),
    lambda: TrainConfig(momentum=1.0),
    lambda: TrainConfig(holdout_fraction=0.95),
    lambda: TrainConfig(warmup_steps=-1),
    lambda: TrainConfig(dataset="imagenet"),
    lambda: TrainConfig(eval_every=0),
    lambda: flops.bottleneck_calc(28, 192, 32, 5, 0),
    lambda: flops.shortcut_costs("vgg19"),
    lambda: pad_crop(__import__("torch").zeros(2, 1, 4, 4), pad=-1),
]


@pytest.mark.parametrize("make", BAD, ids=range(len(BAD)))
def test_library_errors_carry_a_code_and_translate(make):
    with pytest.raises(ConfigError) as info:
        make()
    err = info.value
    assert err.code in messages.MESSAGES, f"no template matches: {err}"
    assert messages.message(err.code, **err.params) == str(err)   # the CLI's English is unchanged
    korean = errors.translated(err.code, err.params, str(err))
    i18n_entry = i18n.table()[f"err.{err.code}"]
    assert i18n_entry["en"] == messages.MESSAGES[err.code]
    text = i18n_entry["ko"].format(**{k: (i18n.table().get(f"errword.{v}", {}).get("ko", v))
                                      for k, v in err.params.items()})
    assert HANGUL.search(text) and not ENGLISH_WORDS.search(text), text
    assert korean == str(err) or korean   # outside a page the app speaks English


def test_a_code_builds_the_sentence():
    err = ConfigError(code="range", name="steps", low=1, high=10, value=0)
    assert str(err) == "steps must be 1 to 10 (got 0)"
    assert (err.code, err.params) == ("range", {"name": "steps", "low": "1", "high": "10", "value": "0"})


def test_every_template_has_korean_with_the_same_values():
    table = i18n.table()
    for code, template in messages.MESSAGES.items():
        entry = table[f"err.{code}"]
        assert entry["en"] == template
        assert set(re.findall(r"{(\w+)}", entry["ko"])) == set(re.findall(r"{(\w+)}", template)), code


def test_stored_run_reasons_translate(monkeypatch):
    # a divergence names what was seen, not a cause; older runs stored a sentence that blamed the
    # learning rate, which still reads back as the same code and shows the new wording
    new = messages.message("diverged", value="nan", step=12)
    assert "too high" not in new and "step 12" in new
    for stored in (new, "the loss became nan at step 12: the learning rate is too high for this net"):
        assert messages.identify(stored) == ("diverged", {"value": "nan", "step": "12"})
        monkeypatch.setattr(i18n, "lang", lambda: "ko")
        korean = errors.reason_text(stored)
        monkeypatch.setattr(i18n, "lang", lambda: "en")
        assert errors.reason_text(stored) == new
        assert korean.startswith("12단계에서 학습 손실이 숫자가 아닌 값(NaN)이 되어") and "너무 높" not in korean, korean
    assert messages.identify("ConfigError: steps must be 1 to 1,000,000 (got 0)")[0] == "range"
    assert messages.identify("something nobody templated") is None
    # Any other exception: Python's name for it, framed as Python's words like every foreign word, and
    # no "training" (a failed study or counted prediction trained nothing)
    assert errors.reason_text("RuntimeError: CUDA out of memory") == \
        "it stopped on an unexpected error (Python's error type: RuntimeError); the server log has the details"
    monkeypatch.setattr(i18n, "lang", lambda: "ko")
    assert errors.reason_text("ConnectionError: nothing at ray://h:1") == \
        "예상하지 못한 오류로 멈췄습니다(Python의 오류 종류: ConnectionError). 자세한 내용은 서버 로그에 있습니다"
    monkeypatch.setattr(i18n, "lang", lambda: "en")


def test_configs_raise_codes_with_values_not_sentences():
    """nets/config.py names each reason by its code and values where it happens; nothing reads
    its English back (messages.identify is for reasons stored as text only)."""
    import inspect as pyinspect

    from resnet_core.nets import config
    from resnet_core.nets.config import ModelConfig, TrainConfig

    source = pyinspect.getsource(config)
    assert not re.search(r'ConfigError\(f?"', source), "a ConfigError raised as an English sentence"
    for make, code, values in [
        (lambda: ModelConfig(depth=21), "depth_cifar", {"value": "21", "step": "6", "high": "2000"}),
        (lambda: ModelConfig(in_channels=5), "range", {"name": "in_channels", "low": "1", "high": "4", "value": "5"}),
        (lambda: ModelConfig(activation="swish"), "one_of", {"name": "activation", "value": "'swish'"}),
        (lambda: TrainConfig(steps=0), "range", {"name": "steps", "high": "1,000,000", "value": "0"}),
        (lambda: TrainConfig(momentum=1.0), "zero_below", {"name": "momentum", "high": "1", "value": "1.0"}),
    ]:
        try:
            make()
        except ConfigError as err:
            assert err.code == code and values.items() <= err.params.items(), (err.code, err.params)
            assert messages.identify(str(err)) == (err.code, err.params)   # the stored text reads back the same
        else:
            raise AssertionError(f"{code} was not raised")


def test_the_library_raises_no_config_error_as_a_sentence():
    """Every ConfigError in resnet_core names its code where it happens (a sentence would reach a
    Korean page in English)."""
    from pathlib import Path

    root = Path(messages.__file__).parent
    bad = [f"{p.relative_to(root)}:{n}" for p in root.rglob("*.py")
           for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
           if re.search(r'ConfigError\(\s*(f?"|$)', line)]
    assert not bad, bad


def _raises(make):
    with pytest.raises(ConfigError) as info:
        make()
    return info.value


MORE = [
    (lambda: tasks._options({"wat": 1}, {"seed": 0}), "task_params", "unknown task parameters: wat"),
    (lambda: tasks._run_ids({"run_ids": []}), "run_ids", "give 1 to"),
    (lambda: tasks._run_ids({"run_ids": ["x"]}), "run_ids_whole", "run ids must be whole numbers (got ['x'])"),
    (lambda: lesion.blocks(build_model(arch_config("vgg19", input_size=32))), "lesion_vgg", "not VGG"),
    (lambda: bank.get("nope"), "no_question", "no question 'nope'"),
    (lambda: hooks.find_modules(build_model(ModelConfig()), ["stage9"]), "no_layer", "no layer named 'stage9'"),
    (lambda: engine.resolve_device("tpu"), "device", "device must be auto, cpu or cuda (got 'tpu')"),
]


@pytest.mark.parametrize("make, code, says", MORE, ids=[m[1] for m in MORE])
def test_library_errors_beyond_the_configs_carry_their_code(make, code, says):
    err = _raises(make)
    assert err.code == code and says in str(err), (err.code, str(err))
    assert messages.message(err.code, **err.params) == str(err)


def test_lesion_names_the_block_and_why_in_both_languages():
    from resnet_core.text import render

    net = build_model(arch_config("resnet20", residual=False))
    err = _raises(lambda: lesion.lesioned(net, ["stage2.block0"]).__enter__())
    assert err.code == "lesion_shape"
    assert str(err) == "stage2.block0 changes the shape (16 → 32 channels, stride 2): no identity fits"
    # a reason stored before the arrow was one character still reads back as the same code
    assert messages.identify("stage2.block0 changes the shape (16 -> 32 channels, stride 2): no identity fits")[0] == \
        "lesion_shape"
    ko = render(i18n.table()["err.lesion_shape"]["ko"], "ko", **err.params)
    assert ko == "stage2.block0 블록은 모양을 바꾸므로(16 → 32 채널, 스트라이드 2) 대신 넣을 항등 함수가 없습니다"
    err = _raises(lambda: lesion.lesioned(net, ["stage7.block0"]).__enter__())
    assert render(i18n.table()["err.no_block"]["ko"], "ko", **err.params).startswith(
        "'stage7.block0'이라는 블록이 없습니다 (있는 블록: stage1.block0, ")


SAMPLES = {"name": "steps", "value": "3", "low": "1", "high": "10", "options": "a, b", "shape": "(1, 2)",
           "shape2": "(3,)", "channels": "3", "dataset": "mnist", "have": "10", "status": "failed",
           "run": "7", "label": "plain 20", "points": "5", "cin": "16", "cout": "32", "stride": "2",
           "question": "deeper_plain", "asked": "gap_params", "round": "4", "method": "saliency",
           "allowed": "n_steps", "arch": "vgg19", "reason": "size mismatch", "step": "12", "kind": "basic",
           "series": "20, 32", "block": "basic", "steps": "5", "batch": "64", "size": "32", "width": "16",
           "depth": "20", "need": "2.1", "data": "0.4", "detail": "device-side assert",
           "file": "train-images-idx3-ubyte", "file2": "train-labels-idx1-ubyte",
           "addr": "10.0.0.5:10001", "target": "10.0.0.5:10001", "why": "Connection refused",
           "error": "ConnectionError: ray client connection timeout", "folder": "/srv/data/MNIST/raw",
           "files": "t10k-images-idx3-ubyte", "extra": "gz", "task": "lesion"}


@pytest.mark.parametrize("code", sorted(messages.MESSAGES))
def test_every_code_reads_in_both_languages(code):
    """Each code's sentence, filled with sample values: the English is the library's own, the
    Korean has Hangul, no English prose, no brace left and no particle mark left unresolved."""
    from resnet_core.text import render

    values = {k: SAMPLES[k] for k in re.findall(r"{(\w+)}", messages.MESSAGES[code])}
    entry = i18n.table()[f"err.{code}"]
    assert render(entry["en"], "en", **values) == messages.message(code, **values)
    ko = render(entry["ko"], "ko", **values)
    assert HANGUL.search(ko) and "{" not in ko and "/" not in re.sub(r"\d/\d|--list|`[^`]*`", "", ko), ko
    assert not ENGLISH_WORDS.search(re.sub(r"`[^`]*`", "", ko)), ko


def test_a_damaged_dataset_file_is_named_in_both_languages(tmp_path):
    from resnet_core.text import render

    path = tmp_path / "x-idx1-ubyte"
    path.write_bytes(bytes([0, 0, 0x08, 1]) + (3).to_bytes(4, "big") + bytes([1, 2]))   # 3 promised, 2 given
    err = _raises(lambda: folders.read_idx(path))
    assert (err.code, str(err)) == ("idx_truncated", "x-idx1-ubyte is truncated: 2 values for shape [3]")
    assert render(i18n.table()["err.idx_truncated"]["ko"], "ko", **err.params) == \
        "x-idx1-ubyte 파일이 중간에 잘렸습니다: 모양 [3]에 값이 2개뿐입니다"
    path.write_bytes(b"hello")
    assert _raises(lambda: folders.read_idx(path)).code == "idx_not"


def test_cluster_and_ray_reasons_read_in_korean_with_rays_words_framed(monkeypatch):
    """What the cluster and Ray executors store or show is our sentence around Ray's words: in
    Korean our part is Korean, nested reasons too; Ray's own text comes through unchanged."""
    from resnet_core.jobs.cluster import one_line, ray_said
    from resnet_core.jobs.ray_executor import lost_reason

    class NodeDiedError(Exception):
        pass

    died = lost_reason(NodeDiedError("node 3f2a is dead"))
    assert died == ("the Ray node running this run went away (Ray's message: NodeDiedError: node 3f2a is dead); "
                    "the run was lost")
    other = lost_reason(KeyError())
    assert other == "the Ray worker running this run was lost (Ray's message: KeyError); the run was lost"
    silent = messages.message("cluster_lost", reason=messages.message("cluster_silent"))
    during = messages.message("cluster_lost_run", addr="ray://h:1", reason=died)
    token = one_line(ConnectionError("ray client connection timeout"))
    token_lost = messages.message("cluster_lost", reason=token)   # a token timeout on a connected link
    raw = ray_said(ConnectionError("Failed to connect"))
    refused = messages.message("cluster_no_answer", target="h:1", why="Connection refused")
    unreachable = messages.message("cluster_unreachable", addr="ray://h:1", reason=raw)
    old_died = messages.STORED_BEFORE["ray_node_died"].format(detail="NodeDiedError: node 3f2a is dead")
    old_silent = messages.STORED_BEFORE["cluster_lost"].format(reason=messages.message("cluster_silent"))
    old_refused = [old.format(target="h:1", why="Connection refused")
                   for old in messages.STORED_BEFORE["cluster_no_answer"]]
    monkeypatch.setattr(i18n, "lang", lambda: "ko")
    assert errors.reason_text(died) == ("이 학습을 돌리던 Ray 노드가 사라져 이 학습은 중단되었습니다"
                                        "(Ray의 메시지: NodeDiedError: node 3f2a is dead)")
    assert errors.reason_text(other).endswith("이 학습은 중단되었습니다(Ray의 메시지: KeyError)")
    assert errors.reason_words(silent) == "연결이 끊겼습니다. 클러스터가 더 이상 응답하지 않습니다"
    assert errors.reason_text(during) == ("학습 도중 학습 클러스터(ray://h:1) 연결이 끊겼습니다: 이 학습을 돌리던 Ray 노드가 "
                                          "사라져 이 학습은 중단되었습니다(Ray의 메시지: NodeDiedError: node 3f2a is dead)")
    assert errors.reason_words(token).startswith(
        "포트는 응답했지만 Ray는 응답하지 않았습니다(Ray의 메시지: ConnectionError: ray client connection timeout). ")
    assert errors.reason_words(token_lost) == "연결이 끊겼습니다. " + errors.reason_words(token)   # no nested brackets
    assert errors.reason_words(raw) == "Ray가 오류를 알렸습니다(Ray의 메시지: ConnectionError: Failed to connect)"
    assert errors.reason_words(unreachable) == ("학습 클러스터(ray://h:1)에 연결할 수 없습니다: Ray가 오류를 "
                                                "알렸습니다(Ray의 메시지: ConnectionError: Failed to connect)")
    assert errors.reason_words(refused) == "h:1에서 아무것도 응답하지 않습니다(시스템 메시지: Connection refused)"
    old_token = messages.STORED_BEFORE["cluster_token"].format(error="ConnectionError: ray client connection timeout")
    assert errors.reason_words(old_token) == errors.reason_words(token)   # a run stored before reads the same
    assert errors.reason_text(old_died) == errors.reason_text(died)
    assert errors.reason_words(old_silent) == errors.reason_words(silent)
    assert [errors.reason_words(old) for old in old_refused] == [errors.reason_words(refused)] * 2
    assert errors.reason_text(messages.message("ray_no_gpu")).startswith("이 학습은 GPU가 필요한데")
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    for english in (died, other, silent, during, token, token_lost, raw, refused, unreachable):
        assert errors.reason_words(english) == english
    assert errors.reason_words(old_died) == died and errors.reason_words(old_silent) == silent
    assert token.startswith("the port answered but Ray did not (Ray's message: ConnectionError: ray client "
                            "connection timeout); a cluster that asks for a token needs it in ")
    assert token_lost == "the connection was lost; " + token
    assert refused == "nothing answers at h:1 (the system's message: Connection refused)"
    assert unreachable == ("the training cluster at ray://h:1 cannot be reached: Ray reported an error "
                           "(Ray's message: ConnectionError: Failed to connect)")


def test_a_stored_reason_names_the_run_and_its_status_in_the_readers_words(monkeypatch):
    from ui.page import terms

    english = messages.message("run_unfinished", run=7, label="plain-20", status="running")
    monkeypatch.setattr(i18n, "lang", lambda: "ko")
    monkeypatch.setattr(terms, "lang", lambda: "ko")
    assert errors.reason_text(english) == ("학습 기록 #7(플레인-20)은 학습을 마친 기록이 아니라서 살펴볼 학습된 "
                                           "네트워크가 없습니다. 현재 상태: 학습 중")
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    monkeypatch.setattr(terms, "lang", lambda: "en")
    assert errors.reason_text(english) == english.replace("status is running", "status is training")
    # The sentence older rows stored (brackets around the status) still reads in the reader's words.
    old = "run 7 (plain-20) has not finished training, so there is no trained net to study (status: diverged)"
    assert errors.reason_text(old) == ("run 7 (plain-20) has not finished training, so there is no trained net to "
                                       "study; its status is diverged (the loss blew up)")


@pytest.mark.parametrize("lang, said", [("en", "the server process in charge of this run stopped before the run ended"),
                                        ("ko", "이 학습을 맡은 서버 프로세스가 학습이 끝나기 전에 멈췄습니다")])
def test_an_interrupted_runs_reason_reads_old_and_new(lang, said, monkeypatch):
    """mark_interrupted stores its reason with its code; rows from before kept the older sentence
    alone ("the process running it stopped"), read back as the same code."""
    monkeypatch.setattr(i18n, "lang", lambda: lang)
    new = messages.message("process_stopped")
    assert errors.reason_text(new, new.code, new.values) == said
    assert errors.reason_text("the process running it stopped") == said


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_prediction_net_that_diverges_says_so_not_unexpected_error(lang, monkeypatch):
    """A prediction question's net that blows up (a real run at lr 100 without BN) fails its task
    with the engine's own reason inside a sentence naming the net, which the Predict page's run
    row translates; never "an unexpected RuntimeError"."""
    from resnet_core.jobs.worker import failure_reason
    from resnet_core.predict import measure
    from resnet_core.training.experiments import recipe
    from ui.page import terms

    m = ModelConfig(depth=8, base_width=4, in_channels=1, input_size=8, residual=False, norm="none")
    tc = recipe("digits", steps=20, seed=0, device="cpu").replace(lr=100.0, warmup_steps=0)
    err = _raises(lambda: measure._train_all([(m.kind, m, tc)], measure._quiet, measure._never, 1))
    assert err.code == "net_unfinished" and err.params["label"] == "plain-8"
    stored = failure_reason(err, None)              # what the worker keeps for the failed task
    monkeypatch.setattr(i18n, "lang", lambda: lang)
    monkeypatch.setattr(terms, "lang", lambda: lang)
    # as the run row reads it: by the code kept beside the sentence, and by the sentence alone
    shown = errors.reason_text(stored, *messages.code_of(stored))
    assert messages.code_of(stored)[0] == "net_unfinished" and errors.reason_text(str(stored)) == shown
    value, step = re.search(r"became (NaN \(not a number\)|infinite) at step (\d+)", stored).groups()
    assert "unexpected" not in shown and "예상하지 못한" not in shown
    if lang == "en":
        assert shown == f"plain-8 did not finish training: the training loss became {value} at step {step}, so training " \
                        "stopped there: try a lower learning rate, or switch batch normalisation on if this net has none"
    else:
        said = {"infinite": "무한대가", "NaN (not a number)": "숫자가 아닌 값(NaN)이"}[value]
        assert shown.startswith(f"플레인-8은 끝까지 학습하지 못했습니다. {step}단계에서 학습 손실이 {said} 되어"), shown
        assert not ENGLISH_WORDS.search(shown), shown


@pytest.mark.parametrize("code", ["dataset_missing", "dataset_offline", "dataset_download_failed"])
def test_a_missing_dataset_says_where_its_files_go_in_both_languages(code, tmp_path, monkeypatch):
    """The real reason a dataset cannot load, with the folder, the files and what else the folder
    may hold, in Korean without English prose (the path and file names stay as they are)."""
    from resnet_core.data import folders as data_files
    from resnet_core.data.datasets import DatasetMissing, load_dataset

    monkeypatch.setattr(data_files, "_online", lambda host, timeout=3.0: code != "dataset_offline")
    monkeypatch.setattr(data_files, "download", lambda name, root: (_ for _ in ()).throw(OSError("HTTP 503")))
    with pytest.raises(DatasetMissing) as info:
        load_dataset("mnist", size=28, data_dir=str(tmp_path), download=code != "dataset_missing")
    err = info.value
    assert err.code == code and err.params["folder"] == str(tmp_path / "MNIST" / "raw")
    assert messages.reason_of(err).code == code     # a run that fails on it keeps the code too
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    assert errors.config_text(err) == str(err)
    monkeypatch.setattr(i18n, "lang", lambda: "ko")
    korean = errors.config_text(err)
    assert str(err).startswith("MNIST is not in")   # the dataset's name, not its code
    assert korean.startswith(f"MNIST 데이터셋이 `{tmp_path / 'MNIST' / 'raw'}`에 없") and "t10k-images-idx3-ubyte" in korean
    assert "학습용과 테스트용 중 하나만" in korean, korean
    prose = re.sub(r"`[^`]*`|[\w.-]*ubyte|HTTP 503", "", korean)
    assert not ENGLISH_WORDS.search(prose) and "one split" not in prose, korean


def test_pytorchs_and_the_systems_words_are_marked_as_theirs_in_both_languages(tmp_path, monkeypatch):
    """A map too small for a kernel, a download that failed, a CUDA error: their own words come
    through unchanged, labelled as PyTorch's or the system's; a row stored before reads the same."""
    shape = messages.message("cannot_take_input", shape="1x8x8", reason="Output size is too small")
    fetch = messages.message("dataset_download_failed", dataset="MNIST", folder=str(tmp_path), files="a, b",
                             extra="nothing else", reason="HTTP 503")
    fatal = messages.message("gpu_fatal", detail="CUDA error: an illegal memory access was encountered")
    olds = [messages.STORED_BEFORE[code].format(**reason.values)
            for code, reason in (("cannot_take_input", shape), ("dataset_download_failed", fetch), ("gpu_fatal", fatal))]
    assert "(PyTorch's message: Output size is too small)" in shape
    assert "its download failed (the system's message: HTTP 503): put" in fetch
    assert "ends its worker (PyTorch's message: CUDA error: an illegal" in fatal
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    assert [errors.reason_text(old) for old in olds] == [shape, fetch, fatal]
    monkeypatch.setattr(i18n, "lang", lambda: "ko")
    korean = [errors.reason_text(r) for r in (shape, fetch, fatal)]
    assert korean[0] == "이 네트워크는 1x8x8 크기의 입력을 받을 수 없습니다(PyTorch의 메시지: Output size is too small)"
    assert "내려받기에도 실패했습니다(시스템 메시지: HTTP 503). 그 폴더에" in korean[1], korean[1]
    assert korean[2].startswith("GPU에서 작업 프로세스를 끝내야 하는 오류가 났습니다(PyTorch의 메시지: CUDA error: "
                                "an illegal memory access was encountered). "), korean[2]
    assert [errors.reason_text(old) for old in olds] == korean


@pytest.mark.parametrize("lang, nan, inf", [
    ("en", "the training loss became NaN (not a number) at step 12", "the training loss became infinite at step 12"),
    ("ko", "12단계에서 학습 손실이 숫자가 아닌 값(NaN)이 되어", "12단계에서 학습 손실이 무한대가 되어")])
def test_a_divergence_names_the_loss_in_words_not_nan_or_inf(lang, nan, inf, monkeypatch):
    """The engine words the value; rows stored before ("nan", "inf") read the same in Korean."""
    monkeypatch.setattr(i18n, "lang", lambda: lang)
    for value, said in (("NaN (not a number)", nan), ("infinite", inf)):
        reason = messages.message("diverged", value=value, step=12)
        assert errors.reason_text(reason, reason.code, reason.values).startswith(said)
    if lang == "ko":   # a row stored before says Python's "nan"
        old = ("the training loss became nan at step 12, so training stopped there: try a lower learning rate, "
               "or switch batch normalisation on if this net has none")
        assert errors.reason_text(old).startswith(nan)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_killed_workers_old_sentence_reads_as_the_new_one(lang, monkeypatch):
    """worker_killed lost its second pair of brackets; rows stored before read back the same."""
    monkeypatch.setattr(i18n, "lang", lambda: lang)
    new = errors.reason_text("the training worker was stopped by signal 9 (SIGKILL), which often means the server "
                             "ran out of memory; the run was lost")
    old = errors.reason_text("the training worker was stopped by signal 9 (SIGKILL) (often: the server ran out of "
                             "memory); the run was lost")
    assert new == old and ("often means" in new if lang == "en" else "메모리가 모자랄 때" in new), new


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_build_page_setting_is_named_as_the_page_labels_it(lang, monkeypatch):
    """A setting the Build page refuses is named by its label there ("Images used", "Input size"),
    not by the library's field (max_samples, input_size), which only the CLI prints."""
    from resnet_core.data.datasets import load_dataset

    monkeypatch.setattr(i18n, "lang", lambda: lang)
    label = {key: i18n.t(key).split(" (")[0].lower() for key in ("build.max_samples", "build.input", "build.width",
                                                                  "build.width_mult")}
    cases = [(lambda: load_dataset("digits", size=8, max_samples=1), "build.max_samples"),
             (lambda: ModelConfig(family="imagenet", depth=18, input_size=8), "build.input"),
             (lambda: ModelConfig(base_width=0), "build.width"),
             (lambda: ModelConfig(width_mult=9.0), "build.width_mult")]
    for make, key in cases:
        with pytest.raises(ConfigError) as info:
            make()
        text = errors.config_text(info.value)
        assert label[key] in text.lower(), (label[key], text)
        assert not re.search(r"max_samples|input_size|base_width|width_mult", text), text


@pytest.mark.parametrize("task, params, word", [
    (tasks.lesion_task, {"run_ids": [1, 2], "draws": 60}, "k마다 무작위로 뽑는 횟수"),
    (tasks.landscape_task, {"run_ids": [1, 2], "span": 6.0}, "α와 β의 범위"),
])
def test_a_study_refused_for_its_own_setting_names_it_in_korean(task, params, word):
    # the Lesion study's "Random draws per k" and the Loss landscape's "Range of α and β": no
    # "draws 값은" or "span 값은" in a Korean sentence
    with pytest.raises(ConfigError) as info:
        task(params, store=None, on_progress=lambda *a: None, should_stop=lambda: False)
    err = info.value
    text = i18n.table()[f"err.{err.code}"]["ko"].format(
        **{k: i18n.table().get(f"errword.{v}", {}).get("ko", v) for k, v in err.params.items()})
    assert text.startswith(f"{word} 값은") and not re.search(r"draws|span", text), text

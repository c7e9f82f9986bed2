"""Why a setting cannot be built or a run stopped: one English template per code.

The library speaks English (the CLI prints ``str(err)``); the app shows the same reason in the
reader's language by looking the code up in ``assets/i18n/errors.json`` (``err.<code>``) and
filling in the same values. Every ``ConfigError`` the library raises names its code and values
where it happens, and so does every reason a run stops for: ``message`` gives a ``Reason``, an
English sentence that carries its code and values, and the run store keeps all three
(``error``, ``error_code``, ``error_values``). Runs stored before those columns kept only the
sentence; ``identify`` reads such a sentence back against these templates, for them alone.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from resnet_core.stored_reasons import STORED_BEFORE

# code -> English template. Values are already formatted for display (quotes, lists).
MESSAGES: dict[str, str] = {
    # values in general
    "one_of": "{name} must be one of {options} (got {value})",
    "whole": "{name} must be a whole number (got {value})",
    "number": "{name} must be a number (got {value})",
    "positive_whole": "{name} must be a positive whole number (got {value})",
    "whole_range": "{name} must be a whole number from {low} to {high} (got {value})",
    "range": "{name} must be {low} to {high} (got {value})",
    "range_pixels": "{name} must be {low} to {high} pixels (got {value})",
    "range_channels": "{name} must be {low} to {high} channels (got {value})",
    "range_images": "{name} must be {low} to {high} images (got {value})",
    "above_zero": "{name} must be above 0 (got {value})",
    "above_zero_at_most": "{name} must be above 0 and at most {high} (got {value})",
    "above_zero_below": "{name} must be above 0 and below {high} (got {value})",
    "zero_below": "{name} must be 0 or more and below {high} (got {value})",
    "between": "{name} must be between {low} and {high} (got {value})",
    "not_negative": "{name} cannot be negative (got {value})",
    "at_least": "{name} must be at least {low} (got {value})",
    "std_positive": "std must be above 0",
    "bool": "residual and zero_init_residual must be true or false",
    "every_at_least_one": "eval_every and stats_every must be at least 1",
    # network shapes
    "stages_numbers": "stages must be whole numbers of blocks, e.g. (2, 2, 2) (got {value})",
    "no_channels": "the first stage's channels times the width multiplier leaves the first stage with no channels",
    "input_size": "input size must be {low} to 1024 pixels for this network "
                  "(halvings of the image before the head: {steps}; got {value})",
    "depth_cifar": "depth must be {step}n+2 for the CIFAR family with {kind} blocks: "
                   "{series} up to {high} (got {value})",
    "depth_imagenet": "depth must be one of {options} for the ImageNet family with {block} blocks "
                      "(got {value}); 18 and 34 use basic blocks, 50, 101 and 152 bottlenecks",
    "depth_vgg": "VGG depth must be one of 11, 13, 16, 19 (got {value})",
    "custom_stages": "a custom stack needs 1 to 6 stages, each with 1 to 200 blocks, e.g. (2, 2, 2) (got {value})",
    "unknown_arch": "unknown architecture {value}: use resnet20, 32, 44, 56, 110, 1202 (CIFAR), "
                    "resnet18, 34, 50, 101, 152 (ImageNet), plain and a depth for the same net "
                    "without shortcuts (plain20), or vgg11, 13, 16, 19",
    "input_too_small": "input size must be at least 1 pixel (got {value})",
    "cannot_take_input": "this network cannot take a {shape} input (PyTorch's message: {reason})",
    "bottleneck_width": "a bottleneck block's width must be a multiple of 4 (got {value})",
    "block_kind": "block kind must be basic or bottleneck (got {value})",
    "no_shortcuts": "{arch} has no shortcuts; pick a ResNet such as resnet34",
    "no_activations": "this network has no activation layers to measure",
    "no_blocks": "this network has no blocks to measure (VGG is a plain stack of layers)",
    "no_layer": "this network has no layer named {value} (names look like stem, stage2.block0, stage2.block0.conv1)",
    "no_cfg": "this model carries no configuration; build it with resnet_core.build_model",
    "not_feature_maps": "layer {value} gives {shape}, not feature maps; pick a conv, block or stem layer",
    "one_image": "expected one image shaped (C, H, W); got shape {shape}",
    "batch_shape": "the batch must be shaped (N, {channels}, H, W); got {shape}",
    "aug_shape": "augmentation works on batches shaped (N, C, H, W); got {shape}",
    "pca_two_pixels": "colour PCA needs at least two pixels",
    "pca_match": "the colour PCA must match the images' {channels} channels (got {shape} and {shape2})",
    "per_channel": "{name} needs one value, or one per channel: {channels} here (got {value})",
    "upload_channels": "uploads can feed greyscale (1) or colour (3) models (got {value} channels)",
    # data and training
    "classes": "{dataset} has {have} classes but the model has only {value} outputs: "
               "set num_classes to {have} or more",
    # raised only when neither side has 1 channel (a grey image or model converts), so "channels"
    "channels": "{dataset} images have {have} channels; a model with {value} input channels "
                "cannot take them (use 1 for grey or 3 for colour)",
    "max_samples": "images used: {value}, which leaves no training images; use at least 2",
    "no_cuda": "device cuda was asked for but no CUDA GPU is available here: use auto or cpu",
    "device": "device must be auto, cpu or cuda (got {value})",
    "ended_as": "training ended as {status}",
    "task_ended": "the {task} task ended as {status}: {reason}",
    # a real dataset's files (data/folders.py): where they go, and why they could not be fetched
    "dataset_missing": "{dataset} is not in {folder}: put {files} there ({extra}), or connect to the internet "
                       "once so it can be downloaded",
    "dataset_offline": "{dataset} is not in {folder}, and this server is offline, so it could not be downloaded: "
                       "put {files} there ({extra})",
    "dataset_download_failed": "{dataset} is not in {folder}, and its download failed (the system's message: "
                               "{reason}): "
                               "put {files} there ({extra})",
    "dataset_download_empty": "{dataset} is not in {folder}, and the download left no readable files: "
                              "put {files} there ({extra})",
    # attribution
    "gradcam_convs": "Grad-CAM needs a network with convolutional layers",
    "gradcam_layer": "Grad-CAM needs a layer with feature maps; {value} has none",
    "method_option": "{method} takes no option {options} (options: {allowed})",
    "target": "target must be a class from 0 to {high} (got {value})",
    "occlusion": "occlusion window must be 1 to {high} pixels and the stride 1 to the window "
                 "(got {value} and {stride})",
    "image_number": "image number must be 0 to {high} (got {value})",
    # dataset files in torchvision's layout (data/folders.py): a file a run could not read
    "idx_not": "{file} is not an IDX file",
    "idx_type": "{file}: unknown IDX data type {value}",
    "idx_truncated": "{file} is truncated: {value} values for shape {shape}",
    "idx_mismatch": "{file} and {file2} do not match: {shape} images, {shape2} labels",
    # analysis tasks, lesions and class votes
    "task_params": "unknown task parameters: {value}",
    "run_ids": "give 1 to {high} trained runs (run_ids), got {value}",
    "run_ids_whole": "run ids must be whole numbers (got {value})",
    "run_unfinished": "run {run} ({label}) has not finished training, so there is no trained net to study; "
                      "its status is {status}",
    "grid_points": "grid must be 3 to {high} and points_1d 3 to 201 (got {value}, {points})",
    "predict_task": "a prediction task takes question, setup and device (got {value})",
    "lesion_vgg": "a lesion study needs a ResNet-family net (plain or residual), not VGG",
    "no_block": "no block named {value}; blocks are {options}",
    "lesion_shape": "{value} changes the shape ({cin} → {cout} channels, stride {stride}): no identity fits",
    "cli_question": "name a question (see --list) or give --list",
    "no_question": "no question {value}; the questions are: {options}",
    "round_state": "a round can be set to {options} (got {value})",
    "vote_option": "{value} is not an option of {question} ({options})",
    "vote_owner": "a vote needs its owner",
    "round_asks": "round {round} asks {asked}, not {question}",
    # a prediction question's net that did not train to the end; {reason} is the engine's own
    "net_unfinished": "{label} did not finish training: {reason}",
    "no_final_loss": "{label} finished without a finite final training loss, so the nets' losses cannot be compared",
    # why a run stopped (stored with the run)
    # what was seen and what to try; a divergence has more than one cause, so it names none
    "diverged": "the training loss became {value} at step {step}, so training stopped there: try a lower "
                "learning rate, or switch batch normalisation on if this net has none",
    "process_stopped": "the server process in charge of this run stopped before the run ended",
    "gpu_oom": "the GPU ran out of memory for this run (batch {batch}, {size}×{size} input, {width} channels in the "
               "first stage, depth {depth}): reduce batch, input size, first stage's channels, width multiplier "
               "or depth",
    "gpu_data": "the {dataset} images at {size}×{size} need {need} GB on the GPU, more than the {have} GB "
                "left for data: reduce the input size or the number of images used",
    # before a run is queued: its memory estimate against the room one run gets (training/memory.py)
    "run_memory_gpu": "this run needs about {need} GB of GPU memory ({data} GB of it for the images; batch {batch}, "
                      "{size}×{size} input, {width} channels in the first stage, depth {depth}) and one run may use "
                      "{have} GB here: reduce batch, input size, first stage's channels, width multiplier or depth",
    "run_memory_cpu": "this run needs about {need} GB of memory ({data} GB of it for the images; batch {batch}, "
                      "{size}×{size} input, {width} channels in the first stage, depth {depth}) and one run may use "
                      "{have} GB of this server's memory: reduce batch, input size, first stage's channels, width "
                      "multiplier or depth",
    "worker_killed": "the training worker was stopped by signal {value} ({name}), which often means the server "
                     "ran out of memory; the run was lost",
    "worker_signal": "the training worker was stopped by signal {value} ({name}); the run was lost",
    "worker_exit": "the training worker exited unexpectedly (exit code {value}); the run was lost",
    "gpu_fatal": "the GPU reported an error that ends its worker (PyTorch's message: {detail}); the worker "
                 "was restarted and the run was lost",
    # the training cluster (jobs/cluster.py, jobs/ray_executor.py): what Ray or the system said
    # ({detail}, {reason}, {why}, {error}) stays as it came, inside a sentence of ours
    "cluster_unreachable": "the training cluster at {addr} cannot be reached: {reason}",
    "cluster_lost_run": "the connection to the training cluster at {addr} was lost during this run: {reason}",
    "cluster_lost": "the connection was lost; {reason}",
    "cluster_silent": "the cluster stopped answering",
    "cluster_no_answer": "nothing answers at {target} (the system's message: {why})",
    "ray_error": "Ray reported an error (Ray's message: {error})",
    "cluster_token": "the port answered but Ray did not (Ray's message: {error}); a cluster that asks for a token "
                     "needs it in ~/.ray/auth_token or RAY_AUTH_TOKEN on this server",
    "ray_no_gpu": "this run asks for a GPU but the Ray cluster has none: choose the CPU, or add a GPU node",
    "ray_node_died": "the Ray node running this run went away (Ray's message: {detail}); the run was lost",
    "ray_oom": "Ray stopped the worker running this run because its machine ran out of memory "
               "(Ray's message: {detail}); the run was lost",
    "ray_unschedulable": "no machine of the Ray cluster has the resources this run asks for "
                         "(Ray's message: {detail}); the run was lost",
    "ray_env": "a Ray worker could not be set up with this app's code (Ray's message: {detail}); the run was lost",
    "ray_lost": "the Ray worker running this run was lost (Ray's message: {detail}); the run was lost",
}


class Reason(str):
    """Why a run stopped: the English sentence (a str: the CLI prints it, the store keeps it), with
    the `code` and `values` it was written from, so a page says it in the reader's language."""

    code: str
    values: dict[str, str]

    def __new__(cls, text: str, code: str = "", values: dict | None = None) -> "Reason":
        reason = super().__new__(cls, text)
        reason.code = code
        reason.values = {k: str(v) for k, v in (values or {}).items()}
        return reason

    def __reduce__(self):   # it crosses to worker processes and Ray with its code
        return Reason, (str(self), self.code, self.values)


def message(code: str, **params) -> Reason:
    """The English sentence for `code` with `params` filled in, carrying both."""
    return Reason(MESSAGES[code].format(**params), code, params)


def apart(need: float, have: float, texts: tuple[str, str], decimals: int = 2) -> tuple[str, str]:
    """A refusal's "needs {need} ... may use {have}" as numbers that read apart: when both round to
    the same text (4.04 and 4.00 GB both "4.0"), more decimals until they differ (at most 4)."""
    while texts[0] == texts[1] and need != have and decimals <= 4:
        texts = (f"{need:,.{decimals}f}", f"{have:,.{decimals}f}")
        decimals += 1
    return texts


def first_stage_channels(base_width: int, width_mult: float) -> str:
    """The first stage's channels as the Build page sets them: its "First stage's channels" (16),
    times the "Width multiplier" where that is not 1 ("16 × 1.5 = 24"), so the number a message
    gives is the one on the page."""
    channels = max(1, int(round(base_width * width_mult)))
    return str(channels) if width_mult == 1 else f"{base_width} × {width_mult:g} = {channels}"


def reason_of(err: BaseException) -> Reason:
    """A failed run's reason: the exception's name and text, with its code and values when it
    has them (a ConfigError raised with a code, a dataset that is missing, ClusterNoAnswer)."""
    own, text = own_sentence(err), f"{type(err).__name__}: {err}"
    return Reason(text, own.code, own.values) if own else Reason(text)


def own_sentence(err: BaseException) -> Reason | None:
    """The sentence of ours an exception carries (its `code` and `params`), as one line; None for
    Python's or a library's own words."""
    code, params = getattr(err, "code", ""), getattr(err, "params", None)
    if isinstance(code, str) and code in MESSAGES and isinstance(params, dict):
        return Reason(" ".join(str(err).split()), code, params)
    return None


def code_of(reason: str) -> tuple[str, dict[str, str]]:
    """(code, values) that `reason` carries; ("", {}) for a plain str."""
    return getattr(reason, "code", ""), dict(getattr(reason, "values", {}))


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern]]:
    # The most specific template first (most fixed text), so "must be 1 to 1024 pixels" is not
    # read as the generic "must be {low} to {high}" with "1024 pixels" as its upper end.
    def literal_length(template: str) -> int:
        return len(re.sub(r"{\w+}", "", template))

    out = []
    templates = list(MESSAGES.items()) + [(code, old) for code, olds in STORED_BEFORE.items()
                                          for old in (olds if isinstance(olds, tuple) else (olds,))]
    for code, template in sorted(templates, key=lambda kv: -literal_length(kv[1])):
        parts = re.split(r"({\w+})", template)
        seen: set[str] = set()
        regex = ""
        for part in parts:
            name = part[1:-1] if part.startswith("{") and part.endswith("}") else None
            if name is None:
                regex += re.escape(part)
            elif name in seen:
                regex += f"(?P={name})"
            else:
                seen.add(name)
                regex += f"(?P<{name}>.+?)"
        out.append((code, re.compile(f"^{regex}$", re.S)))
    return out


def identify(text: str) -> tuple[str, dict[str, str]] | None:
    """(code, values) of an English reason written from one of the templates, else None.
    A leading exception name ("ConfigError: ...") is ignored. Only for reasons stored as a
    sentence alone, before the store kept their codes (resnet_core.store.migrate)."""
    text = " ".join(str(text).split())
    text = re.sub(r"^(ConfigError|ValueError): ", "", text)
    for code, pattern in _patterns():
        match = pattern.match(text)
        if match:
            return code, match.groupdict()
    return None


class ConfigError(ValueError):
    """A configuration that cannot be built; the message says what is allowed. ``str(err)`` is
    English (the CLI prints it); ``err.code`` and ``err.params`` name the reason and its values
    (the templates above), so the app can say it in the reader's language:
    ``ConfigError(code="range", name="steps", low=1, high=10, value=0)``. A page may raise one
    with a sentence already written in the reader's language; that one has no code."""

    def __init__(self, text: str = "", *, code: str | None = None, **params: Any) -> None:
        if code is not None:
            text = message(code, **params)
            params = {k: str(v) for k, v in params.items()}
        else:   # a sentence already written for the reader (a page's own words): shown as it is
            code, params = "", {}
        super().__init__(text)
        self.code = code          # "" for a page's own sentence
        self.params = params


class ClusterNoAnswer(ConnectionError):
    """Nothing listens at a cluster's address. It carries its code and values like ConfigError, so
    pages and the command line say it as our sentence, without Python's type name in front."""

    def __init__(self, target: str, why: str) -> None:
        super().__init__(message("cluster_no_answer", target=target, why=why))
        self.code = "cluster_no_answer"
        self.params = {"target": str(target), "why": str(why)}

    def __reduce__(self):   # to another process with its values, not only its text
        return ClusterNoAnswer, (self.params["target"], self.params["why"])

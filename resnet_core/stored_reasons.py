"""The sentences runs stored before their reason's wording changed, kept so that a page still
says an old run's reason in the reader's language (resnet_core.messages.identify reads them back
as the code that replaced them)."""

from __future__ import annotations

# Sentences older runs stored, read back as the code that replaced them (their values carry over);
# a tuple where a sentence changed twice.
STORED_BEFORE: dict[str, str | tuple[str, ...]] = {
    "worker_killed": "the training worker was stopped by signal {value} ({name}) (often: the server ran out of "
                     "memory); the run was lost",
    "cluster_no_answer": ("ConnectionError: nothing answers at {target} ({why})",
                          "nothing answers at {target} ({why})"),
    "cluster_lost": "the connection was lost ({reason})",
    "cannot_take_input": "this network cannot take a {shape} input: {reason}",
    "dataset_download_failed": "{dataset} is not in {folder}, and its download failed ({reason}): "
                               "put {files} there ({extra})",
    "gpu_fatal": "the GPU reported an error that ends its worker ({detail}); the worker was restarted "
                 "and the run was lost",
    "ray_node_died": "the Ray node running this run went away ({detail}); the run was lost",
    "ray_oom": "Ray stopped the worker running this run because its machine ran out of memory ({detail}); "
               "the run was lost",
    "ray_unschedulable": "no machine of the Ray cluster has the resources this run asks for ({detail}); "
                         "the run was lost",
    "ray_env": "a Ray worker could not be set up with this app's code ({detail}); the run was lost",
    "ray_lost": "the Ray worker running this run was lost ({detail}); the run was lost",
    "process_stopped": "the process running it stopped",
    "run_unfinished": "run {run} ({label}) has not finished training, so there is no trained net to study "
                      "(status: {status})",
    "diverged": "the loss became {value} at step {step}: the learning rate is too high for this net",
    "channels": "{dataset} images have {have} channel(s); a model with {value} input channels "
                "cannot take them (use 1 for grey or 3 for colour)",
    "gpu_oom": ("the GPU ran out of memory for this run (batch {batch}, {size}x{size} input, width {width}, "
                "depth {depth}): reduce batch, input size, width or depth",
                "the GPU ran out of memory for this run (batch {batch}, {size}×{size} input, width {width}, "
                "depth {depth}): reduce batch, input size, width or depth"),
    "gpu_data": ("the {dataset} images at {size}x{size} need {need} GB on the GPU, more than the {have} GB "
                 "left for data: reduce the input size or the number of images (max_samples)",
                 "the {dataset} images at {size}×{size} need {need} GB on the GPU, more than the {have} GB "
                 "left for data: reduce the input size or the number of images (max_samples)"),
    "max_samples": "max_samples={value} leaves no training images; use at least 2",
    "lesion_shape": "{value} changes the shape ({cin} -> {cout} channels, stride {stride}): no identity fits",
    "cluster_token": "{error} (the port answered but Ray did not: a cluster that asks for a token needs it in "
                     "~/.ray/auth_token or RAY_AUTH_TOKEN on this server)",
}

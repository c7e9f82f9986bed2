"""Which pixels a prediction rests on: four captum methods behind one call.

``attribute(model, image, method=...)`` returns a heat map the size of the image, scaled to
[0, 1], with the class it explains and the model's confidence. The models from
``models.build_model`` are hook-safe (no in-place ops, one activation module per use), which
captum's layer methods need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Occlusion, Saliency
from torch import nn

from resnet_core.data.uploads import as_batch
from resnet_core.nets.blocks import named_activations, named_blocks
from resnet_core.nets.config import ConfigError
from resnet_core.nets.hooks import find_modules, inference_state, model_device

METHODS = ("saliency", "integrated_gradients", "gradcam", "occlusion")
# The options each method takes; anything else is a mistake worth reporting.
OPTIONS = {
    "saliency": (),
    "integrated_gradients": ("n_steps", "baseline"),
    "gradcam": ("layer",),
    "occlusion": ("window", "stride"),
}


@dataclass(frozen=True)
class Attribution:
    method: str
    heatmap: np.ndarray            # (H, W) in [0, 1]: 1 marks the strongest evidence in this image
    raw: np.ndarray                # before scaling: (C, H, W), or (H, W) for Grad-CAM
    target: int                    # the class explained
    predicted: int                 # the model's top class
    probability: float             # softmax probability of the predicted class
    target_probability: float      # softmax probability of the target class
    delta: float | None = None     # integrated gradients: sum of attributions - (f(x) - f(baseline))


def default_cam_layer(model: nn.Module) -> str:
    """Grad-CAM's usual layer: the last block of the last stage; for VGG the last conv's
    activation; else the last conv."""
    blocks = named_blocks(model)
    if blocks:
        return blocks[-1][0]
    acts = [n for n, _ in named_activations(model) if n.startswith("features")]
    convs = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    if not (acts or convs):
        raise ConfigError(code="gradcam_convs")
    return (acts or convs)[-1]


def _scaled(values: torch.Tensor) -> np.ndarray:
    """Divide by the largest value; an all-zero map stays zero rather than dividing by zero."""
    values = values.detach().double().clamp(min=0)
    top = values.max()
    return (values / top if top > 0 else values).cpu().numpy()


def _check_options(method: str, opts: dict) -> None:
    if method not in METHODS:
        raise ConfigError(code="one_of", name="method", options=", ".join(METHODS), value=repr(method))
    unknown = sorted(set(opts) - set(OPTIONS[method]))
    if unknown:
        allowed = ", ".join(OPTIONS[method]) or "none"
        raise ConfigError(code="method_option", method=method, options=", ".join(unknown), allowed=allowed)


def attribute(model: nn.Module, image: torch.Tensor, target: int | None = None,
              method: str = "saliency", **opts) -> Attribution:
    """Explain ``model``'s score for ``target`` (default: the predicted class) on one image,
    shaped (C, H, W) and normalised as the model expects.

    saliency: |d score / d pixel|, the largest over colour channels (Simonyan et al. 2014).
    integrated_gradients: gradients averaged along the path from ``baseline`` (default 0: the
    inputs are normalised, so that is the training images' mean colour, not black) to the
    image, times the difference (Sundararajan et al. 2017); ``n_steps`` (32).
    gradcam: the ``layer``'s maps weighted by their mean gradient, ReLU, upsampled to the image
    (Selvaraju et al. 2017); default the last block.
    occlusion: the drop in score when a ``window`` x ``window`` patch is set to 0 (the mean
    colour, as above), sliding by ``stride`` (Zeiler & Fergus 2014); defaults about 1/8 of the
    image and half a window.
    """
    _check_options(method, opts)
    # A fresh leaf that asks for gradients, so captum need not switch them on (and warn).
    x = as_batch(image).to(model_device(model)).float().detach().clone().requires_grad_(True)
    _, _, height, width = x.shape
    with inference_state(model):
        with torch.no_grad():
            probs = torch.softmax(model(x), dim=1)[0]
        classes = probs.numel()
        predicted = int(probs.argmax())
        target = predicted if target is None else int(target)
        if not 0 <= target < classes:
            raise ConfigError(code="target", high=classes - 1, value=target)
        delta = None
        if method == "saliency":
            raw = Saliency(model).attribute(x, target=target, abs=True)[0]
            heat = raw.amax(0)
        elif method == "integrated_gradients":
            n_steps = int(opts.get("n_steps", 32))
            if not 2 <= n_steps <= 1000:
                raise ConfigError(code="range", name="n_steps", low=2, high=1000, value=n_steps)
            baseline = opts.get("baseline", 0.0)
            baseline = torch.as_tensor(baseline, dtype=x.dtype, device=x.device).expand_as(x)
            attr, gap = IntegratedGradients(model).attribute(
                x, baselines=baseline, target=target, n_steps=n_steps,
                return_convergence_delta=True)
            raw, delta = attr[0], float(gap.item())
            heat = raw.sum(0).abs()   # captum's own convention: sum the channels, then |.|
        elif method == "gradcam":
            layer_name = opts.get("layer") or default_cam_layer(model)
            (_, layer), = find_modules(model, [layer_name])
            cam = LayerGradCam(model, layer).attribute(x, target=target, relu_attributions=True)
            if cam.dim() != 4:
                raise ConfigError(code="gradcam_layer", value=repr(layer_name))
            raw = LayerAttribution.interpolate(cam, (height, width), interpolate_mode="bilinear")[0, 0]
            heat = raw
        else:
            window = int(opts.get("window") or max(1, round(min(height, width) / 8)))
            stride = int(opts.get("stride") or max(1, window // 2))
            if not (1 <= window <= min(height, width) and 1 <= stride <= window):
                raise ConfigError(code="occlusion", high=min(height, width), value=window, stride=stride)
            channels = x.shape[1]
            raw = Occlusion(model).attribute(
                x, sliding_window_shapes=(channels, window, window), strides=(channels, stride, stride),
                baselines=0.0, target=target, perturbations_per_eval=64)[0]
            # Positive: hiding the patch lowers the score, so the patch was evidence for the class.
            heat = raw.mean(0)
    raw_np = raw.detach().double().cpu().numpy()
    return Attribution(method=method, heatmap=_scaled(heat), raw=raw_np, target=target,
                       predicted=predicted, probability=float(probs[predicted]),
                       target_probability=float(probs[target]), delta=delta)

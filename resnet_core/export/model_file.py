"""model.py for one net: a file that imports only torch and reads like torchvision's resnet.py.

The file is a template with the configuration's choices written in: only the block kind, the
shortcut option and the layers this net has, each with a short comment and the paper's name for
it. Modules are created in the same order as resnet_core.nets builds them, with the same names,
so the app's state_dict loads into it as it is, and with the same seed it starts from the same
weights.
"""

from __future__ import annotations

from resnet_core.nets.config import VGG_LAYOUTS, ModelConfig
from resnet_core.export import model_blocks
from resnet_core import paper
from resnet_core.export import model_parts as parts

FAMILY_TEXT = {
    "cifar": f"CIFAR: a 3x3 stem and three stages on small images (paper {paper.cite('he2015.sec4.2')})",
    "imagenet": f"ImageNet: a 7x7 stem with max pooling and four stages (paper {paper.cite('he2015.table1')})",
    "custom": "custom: a 3x3 stem and stages of your own length",
    "vgg": "VGG (Simonyan and Zisserman 2014): 3x3 convolutions and max pooling, no shortcuts",
}
BLOCK_TEXT = {
    "basic": f"basic: two 3x3 convolutions (paper {paper.cite('he2015.fig5')}, left)",
    "bottleneck": f"bottleneck: 1x1 reduce, 3x3, 1x1 expand by 4 (paper {paper.cite('he2015.fig5')}, right)",
    "preact": "pre-activation: BN and activation before each convolution (He et al. 2016)",
}
SHORTCUT_TEXT = {
    "A": f"option A: identity, zero-padded where the shape changes; no parameters (paper {paper.cite('he2015.sec3.3')})",
    "B": f"option B: identity, a 1x1 projection where the shape changes (paper {paper.cite('he2015.sec3.3')})",
    "C": f"option C: a 1x1 projection on every block (paper {paper.cite('he2015.sec4.1.shortcuts')}, "
         f"{paper.cite('he2015.table3')})",
}
HEAD_TEXT = {"gap": f"global average pooling, then one fully connected layer (paper {paper.cite('he2015.sec3.3')})",
             "flatten": "flatten the last feature map into a fully connected layer (ties the net to one input size)"}


def factory_name(cfg: ModelConfig) -> str:
    """The name of the file's one factory function: resnet20, plain56, preact_resnet20, vgg19."""
    return cfg.name.replace("-", "_")


def model_py(cfg: ModelConfig) -> str:
    """The text of model.py for `cfg`."""
    sections = [constants(cfg), parts.helpers(cfg)]
    if cfg.family == "vgg":
        sections.append(parts.vgg_class(cfg))
    else:
        if cfg.residual:
            sections.append(parts.shortcut_code(cfg))
        sections.append(model_blocks.block_class(cfg))
        sections.append(parts.resnet_class(cfg))
    sections += [parts.init_code(cfg), factory(cfg), parts.LOADER]
    body = "\n\n\n".join(s.strip("\n") for s in sections)
    return f"{header(cfg)}\n\n{parts.imports(cfg)}\n{body}\n"


def header(cfg: ModelConfig) -> str:
    lines = [f'"""{cfg.kind}, exported from ResNet Explorer.', "",
             'He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition" (2015).',
             "This file needs only PyTorch. It defines exactly the net built in the app:", ""]
    rows = [("family", FAMILY_TEXT[cfg.family])]
    if cfg.family != "vgg":
        rows.append(("block", BLOCK_TEXT[cfg.block]))
        rows.append(("shortcut", SHORTCUT_TEXT[cfg.shortcut] if cfg.residual
                     else "none: the plain twin, the same layers without shortcuts"))
        if cfg.block == "bottleneck":
            rows.append(("stride", "v1: the first 1x1 downsamples (the paper)" if cfg.stride_at == "v1"
                         else "v1.5: the 3x3 downsamples (torchvision)"))
    rows.append(("norm", "batch normalisation after each convolution" if cfg.norm == "batch"
                 else "none (no batch normalisation)"))
    rows.append(("activation", parts.ACT_TEXT[cfg.activation]))
    rows.append(("head", "flatten the last feature map, then VGG's three fully connected layers"
                 if cfg.family == "vgg" and cfg.head == "flatten" else HEAD_TEXT[cfg.head]))
    rows.append(("init", parts.INIT_TEXT[cfg.init] + (", each block starting as the identity"
                                                     if cfg.zero_init_residual and cfg.residual else "")))
    lines += [f"    {k:<11} {v}" for k, v in rows]
    n = cfg.input_size
    lines += ["", "Use:", "",
              "    import torch",
              "    from model import load",
              "    net = load()   # the weights in weights.safetensors beside this file, when present",
              f"    logits = net(torch.randn(1, {cfg.in_channels}, {n}, {n}))   # (batch, {cfg.num_classes})",
              '"""']
    return "\n".join(lines)


def constants(cfg: ModelConfig) -> str:
    lines = [f"IN_CHANNELS = {cfg.in_channels}   # 1 for grey images, 3 for colour",
             f"INPUT_SIZE = {cfg.input_size}    # the side of the square images it was built for, in pixels",
             f"NUM_CLASSES = {cfg.num_classes}   # outputs of the last layer"]
    if cfg.family == "vgg":
        layout = [v if v == "M" else max(1, int(round(v * cfg.width_mult))) for v in VGG_LAYOUTS[cfg.depth]]
        lines.append(f"LAYOUT = {layout!r}   # output channels of each 3x3 convolution; \"M\": 2x2 max pooling")
        return "\n".join(lines)
    stages = len(cfg.blocks_per_stage)
    widths = [cfg.width(i) for i in range(stages)]
    lines.append(f"WIDTHS = {widths!r}   # channels of each stage, doubled where the map halves (paper 3.3)")
    if cfg.family == "cifar":
        n = cfg.blocks_per_stage[0]
        per = 9 if cfg.block == "bottleneck" else 6
        why = f"{per}n+2 = {cfg.depth} weighted layers with n = {n}"
    elif cfg.family == "imagenet":
        why = f"ResNet-{cfg.depth} in the paper's Table 1"
    else:
        why = "chosen in the app"
    lines.append(f"BLOCKS = {list(cfg.blocks_per_stage)!r}   # blocks per stage: {why}")
    return "\n".join(lines)


def factory(cfg: ModelConfig) -> str:
    cls = "VGG" if cfg.family == "vgg" else "ResNet"
    return (f"def {factory_name(cfg)}() -> nn.Module:\n"
            f'    """{cfg.kind}, freshly initialised."""\n'
            f"    net = {cls}()\n"
            f"    init_weights(net)\n"
            f"    return net\n\n\n"
            f"build = {factory_name(cfg)}   # the name load() calls")

"""The residual (or plain) block classes of an exported model.py: basic, bottleneck and
pre-activation, each written for one configuration's choices, with its modules created in the
order resnet_core.nets.blocks creates them and under the same names (model_parts has the rest).
"""

from __future__ import annotations

from resnet_core.nets.config import ModelConfig


def block_class(cfg: ModelConfig) -> str:
    return {"basic": basic_block, "bottleneck": bottleneck_block, "preact": preact_block}[cfg.block](cfg)


def _add(cfg: ModelConfig, name: str, skip: str = "self.shortcut(identity)") -> str:
    if cfg.residual:
        return (f"        out = out + {skip}   # H(x) = F(x) + x (paper eq. 1)\n"
                f"        return self.{name}(out)")
    return f"        return self.{name}(out)   # a plain block: no shortcut, the layers learn H(x) itself"


def _layers(*layers: tuple[str, str]) -> str:
    """An exported block's __init__ lines, `self.<name> = <code>` in the order given (the
    order resnet_core.nets.blocks creates them in, so a seeded build draws the same weights)."""
    return "".join(f"        self.{name} = {code}\n" for name, code in layers)


def _head(name: str, doc: str, expansion: int) -> str:
    """An exported block class up to its layers: the name, the docstring, the constructor."""
    return f'''
class {name}(nn.Module):
    """{doc}"""

    expansion = {expansion}

    def __init__(self, cin: int, planes: int, stride: int = 1):
        super().__init__()
'''


def _shortcut(cfg: ModelConfig, cout: str) -> tuple[tuple[str, str], ...]:
    return (("shortcut", f"shortcut(cin, {cout}, stride)"),) if cfg.residual else ()


def basic_block(cfg: ModelConfig) -> str:
    init = _layers(("conv1", "conv3x3(cin, planes, stride)"), ("bn1", "norm(planes)"), ("act1", "act()"),
                   ("conv2", "conv3x3(planes, planes)"), ("bn2", "norm(planes)"), *_shortcut(cfg, "planes"),
                   ("act2", "act()"))
    ident = "        identity = x\n" if cfg.residual else ""
    return _head("BasicBlock", "Two 3x3 convolutions (paper Figure 5, left).", 1) + f'''{init}
    def forward(self, x: torch.Tensor) -> torch.Tensor:
{ident}        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
{_add(cfg, "act2")}
'''


def bottleneck_block(cfg: ModelConfig) -> str:
    if cfg.stride_at == "v1":
        c1 = "conv1x1(cin, planes, stride)   # v1: the first 1x1 downsamples (the paper)"
        c2 = "conv3x3(planes, planes)"
    else:
        c1 = "conv1x1(cin, planes)"
        c2 = "conv3x3(planes, planes, stride)   # v1.5: the 3x3 downsamples (torchvision)"
    init = _layers(("conv1", c1), ("bn1", "norm(planes)"), ("act1", "act()"), ("conv2", c2), ("bn2", "norm(planes)"),
                   ("act2", "act()"), ("conv3", "conv1x1(planes, out_ch)"), ("bn3", "norm(out_ch)"),
                   *_shortcut(cfg, "out_ch"), ("act3", "act()"))
    ident = "        identity = x\n" if cfg.residual else ""
    doc = "1x1 reduce, 3x3, 1x1 expand by 4 (paper Figure 5, right): deep nets at low cost."
    return _head("Bottleneck", doc, 4) + f'''        out_ch = planes * self.expansion
{init}
    def forward(self, x: torch.Tensor) -> torch.Tensor:
{ident}        out = self.act1(self.bn1(self.conv1(x)))
        out = self.act2(self.bn2(self.conv2(out)))   # (B, planes, H / stride, W / stride)
        out = self.bn3(self.conv3(out))              # (B, 4 * planes, H / stride, W / stride)
{_add(cfg, "act3")}
'''


def preact_block(cfg: ModelConfig) -> str:
    init = _layers(("bn1", "norm(cin)"), ("act1", "act()"), ("conv1", "conv3x3(cin, planes, stride)"),
                   ("bn2", "norm(planes)"), ("act2", "act()"), ("conv2", "conv3x3(planes, planes)"),
                   *_shortcut(cfg, "planes"))
    if not cfg.residual:
        tail = "        return out   # a plain block: no shortcut, the layers learn H(x) itself"
    elif cfg.shortcut == "A":
        tail = "        return out + self.shortcut(x)   # H(x) = F(x) + x; nothing after the addition"
    elif cfg.shortcut == "C":
        tail = ("        # The projection sees the pre-activated input, as in the authors' code.\n"
                "        return out + self.shortcut(pre)")
    else:
        tail = ("        # A projection sees the pre-activated input, as in the authors' code; the identity sees x.\n"
                "        skip = self.shortcut(pre) if isinstance(self.shortcut, nn.Sequential) else self.shortcut(x)\n"
                "        return out + skip   # H(x) = F(x) + x; nothing after the addition")
    doc = ("Full pre-activation: BN and activation before each convolution and nothing after the\n"
           "    addition, so the identity path stays clean from block to block (He et al. 2016, Figure 4e).")
    return _head("PreActBlock", doc, 1) + f'''{init}
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.act1(self.bn1(x))
        out = self.conv1(pre)
        out = self.conv2(self.act2(self.bn2(out)))
{tail}
'''

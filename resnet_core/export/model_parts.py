"""The pieces of an exported model.py, each written for one configuration's choices.

Every piece creates its modules in the order resnet_core.nets.blocks and .models do, under the
same names: the state_dicts match, and a seeded build draws the same initial weights.
"""

from __future__ import annotations

import inspect

from resnet_core import paper
from resnet_core.nets.blocks import ZeroPadShortcut
from resnet_core.nets.config import ModelConfig


def imports(cfg: ModelConfig) -> str:
    functional = "import torch.nn.functional as F\n" if needs_zero_pad(cfg) else ""
    return ("import json\nimport struct\nfrom collections import OrderedDict\nfrom pathlib import Path\n\n"
            f"import torch\n{functional}from torch import nn\n")

ACT_TEXT = {"relu": "ReLU", "leaky_relu": "leaky ReLU, slope 0.1 below zero", "tanh": "tanh",
            "sigmoid": "sigmoid", "gelu": "GELU"}
ACT_CODE = {"relu": "nn.ReLU()", "leaky_relu": "nn.LeakyReLU(0.1)", "tanh": "nn.Tanh()",
            "sigmoid": "nn.Sigmoid()", "gelu": "nn.GELU()"}
INIT_TEXT = {"he": "He (Kaiming) normal, fan-out",
             "xavier": "Xavier (Glorot) normal", "default": "PyTorch's own defaults"}
BLOCK_NAMES = {"basic": "BasicBlock", "bottleneck": "Bottleneck", "preact": "PreActBlock"}


def needs_conv1x1(cfg: ModelConfig) -> bool:
    return cfg.family != "vgg" and (cfg.block == "bottleneck" or (cfg.residual and cfg.shortcut in "BC"))


def needs_zero_pad(cfg: ModelConfig) -> bool:
    """Whether some option-A shortcut changes shape: only then is ZeroPadShortcut written."""
    if cfg.family == "vgg" or not cfg.residual or cfg.shortcut != "A":
        return False
    cin = cfg.width(0)
    for i, blocks in enumerate(cfg.blocks_per_stage):
        for j in range(blocks):
            out = cfg.width(i) * cfg.expansion
            if (i > 0 and j == 0) or out != cin:
                return True
            cin = out
    return False


def helpers(cfg: ModelConfig) -> str:
    out = []
    if cfg.family != "vgg":
        out.append('''
def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution, padded to keep the size; no bias, as a norm or the next layer follows."""
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)''')
    if needs_conv1x1(cfg):
        out.append('''
def conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution: changes the number of channels (and with stride 2, the size)."""
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)''')
    if cfg.norm == "batch":
        out.append('''
def norm(channels: int) -> nn.Module:
    # Batch normalisation right after each convolution, before the activation (paper 3.4).
    return nn.BatchNorm2d(channels)''')
    else:
        out.append('''
def norm(channels: int) -> nn.Module:
    # This net has no batch normalisation. The placeholder keeps the layer names (bn1, ...)
    # the same as in nets with BN; it has no parameters and passes its input through.
    return nn.Identity()''')
    out.append(f'''
def act() -> nn.Module:
    # {ACT_TEXT[cfg.activation]}; a new module for each use, so a hook sees one layer at a time.
    return {ACT_CODE[cfg.activation]}''')
    return "\n\n\n".join(s.strip("\n") for s in out)


# Option A's class is the library's own, word for word: the exported net pads as the one that trained.
ZERO_PAD = "\n" + inspect.getsource(ZeroPadShortcut)


def shortcut_code(cfg: ModelConfig) -> str:
    out = [ZERO_PAD] if needs_zero_pad(cfg) else []
    if cfg.shortcut in "BC":
        bn = ", bn=nn.BatchNorm2d(cout)" if cfg.norm == "batch" else ""
        why = "then BN, as in the paper's ImageNet nets" if cfg.norm == "batch" else "(no BN in this net)"
        out.append(f'''
def projection(cin: int, cout: int, stride: int) -> nn.Module:
    # The projection W_s x of the paper's eq. 2: a 1x1 convolution, {why}.
    return nn.Sequential(OrderedDict(conv=conv1x1(cin, cout, stride){bn}))''')
    if cfg.shortcut == "A":
        body = '''
    """Option A (paper 3.3): the identity; zero-padded where the shape changes."""
    if stride != 1 or cin != cout:
        return ZeroPadShortcut(cin, cout, stride)
    return nn.Identity()'''
    elif cfg.shortcut == "B":
        body = '''
    """Option B (paper 3.3): the identity; a projection only where the shape changes."""
    if stride != 1 or cin != cout:
        return projection(cin, cout, stride)
    return nn.Identity()'''
    else:
        body = f'''
    """Option C (paper {paper.cite("he2015.sec4.1.shortcuts")}, {paper.cite("he2015.table3")}): a projection on every
    block, even where the identity would fit."""
    return projection(cin, cout, stride)'''
    out.append("def shortcut(cin: int, cout: int, stride: int) -> nn.Module:" + body)
    return "\n\n\n".join(s.strip("\n") for s in out)


def _head(cfg: ModelConfig, channels: str) -> list[str]:
    if cfg.head == "gap":
        return ["        # Head: global average pooling, one number per channel whatever the input size,",
                f"        # then one fully connected layer (paper {paper.cite('he2015.sec3.3')}).",
                "        self.head = nn.Sequential(OrderedDict(",
                "            pool=nn.AdaptiveAvgPool2d(1),",
                "            flatten=nn.Flatten(),",
                f"            fc=nn.Linear({channels}, NUM_CLASSES),",
                "        ))"]
    side = cfg.final_spatial
    if cfg.family == "vgg":
        return [f"        # Head: flatten the {side}x{side} map and VGG's three fully connected layers",
                "        # (about 124M of VGG-19's 144M parameters at 224x224).",
                "        self.head = nn.Sequential(OrderedDict(",
                "            flatten=nn.Flatten(),",
                f"            fc1=nn.Linear({channels} * {side} * {side}, 4096), act1=act(), drop1=nn.Dropout(0.5),",
                "            fc2=nn.Linear(4096, 4096), act2=act(), drop2=nn.Dropout(0.5),",
                "            fc=nn.Linear(4096, NUM_CLASSES),",
                "        ))"]
    return [f"        # Head: flatten the last map ({side}x{side} for INPUT_SIZE inputs) into one fully",
            "        # connected layer; unlike pooling, this ties the net to that input size.",
            "        self.head = nn.Sequential(OrderedDict(",
            "            flatten=nn.Flatten(),",
            f"            fc=nn.Linear({channels} * {side} * {side}, NUM_CLASSES),",
            "        ))"]


def resnet_class(cfg: ModelConfig) -> str:
    block = BLOCK_NAMES[cfg.block]
    kind = "residual" if cfg.residual else "plain"
    lines = [f"class ResNet(nn.Module):",
             f'    """Stem, {len(cfg.blocks_per_stage)} stages of {block}s ({kind}), head."""', "",
             "    def __init__(self) -> None:", "        super().__init__()"]
    if cfg.family == "imagenet":
        lines += ["        # Stem: a 7x7 convolution with stride 2, then 3x3 max pooling with stride 2",
                  "        # (paper Table 1, conv1): the image is a quarter of its side before stage 1.",
                  "        self.stem = nn.Sequential(OrderedDict(",
                  "            conv=nn.Conv2d(IN_CHANNELS, WIDTHS[0], kernel_size=7, stride=2, padding=3, bias=False),"]
    else:
        lines += ["        # Stem: one 3x3 convolution on the image (paper 4.2).",
                  "        self.stem = nn.Sequential(OrderedDict(",
                  "            conv=conv3x3(IN_CHANNELS, WIDTHS[0]),"]
    if cfg.block == "preact":
        lines.append("            # no BN or activation here: each pre-activation block starts with them")
    else:
        lines += ["            bn=norm(WIDTHS[0]),", "            act=act(),"]
    if cfg.family == "imagenet":
        lines.append("            pool=nn.MaxPool2d(kernel_size=3, stride=2, padding=1),")
    lines += ["        ))", "        cin = WIDTHS[0]"]
    for i in range(len(cfg.blocks_per_stage)):
        note = "" if i == 0 else "   # stride 2: half the side, twice the channels"
        lines.append(f"        self.stage{i + 1}, cin = make_stage(cin, WIDTHS[{i}], BLOCKS[{i}], "
                     f"stride={1 if i == 0 else 2}){note}")
    if cfg.block == "preact":
        lines += ["        # The last block's output is normalised once more before the head (He et al. 2016).",
                  "        self.final_bn = norm(cin)", "        self.final_act = act()"]
    lines += _head(cfg, "cin")
    lines += ["", "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
              "        x = self.stem(x)"]
    for i in range(len(cfg.blocks_per_stage)):
        ch = cfg.width(i) * cfg.expansion
        lines.append(f"        x = self.stage{i + 1}(x)   # (B, {ch}, ...)")
    if cfg.block == "preact":
        lines.append("        x = self.final_act(self.final_bn(x))")
    lines.append("        return self.head(x)   # (B, NUM_CLASSES)")
    stage = f'''
def make_stage(cin: int, planes: int, blocks: int, stride: int) -> tuple[nn.Sequential, int]:
    """`blocks` {block}s named block0, block1, ...; only the first may downsample."""
    layers = OrderedDict()
    for j in range(blocks):
        layers[f"block{{j}}"] = {block}(cin, planes, stride if j == 0 else 1)
        cin = planes * {block}.expansion
    return nn.Sequential(layers), cin
'''
    return "\n".join(lines) + "\n\n\n" + stage.strip("\n")


def vgg_class(cfg: ModelConfig) -> str:
    if cfg.norm == "batch":
        conv = ['            layers[f"conv{i}"] = nn.Conv2d(cin, item, 3, padding=1, bias=False)   # BN follows',
                '            layers[f"bn{i}"] = nn.BatchNorm2d(item)']
    else:
        conv = ['            layers[f"conv{i}"] = nn.Conv2d(cin, item, 3, padding=1)']
    lines = ["class VGG(nn.Module):",
             f'    """VGG-{cfg.depth} (Simonyan and Zisserman 2014), the paper\'s reference for cost (Figure 3, left)."""',
             "", "    def __init__(self) -> None:", "        super().__init__()",
             "        layers = OrderedDict()", "        cin, i, pools = IN_CHANNELS, 0, 0",
             "        for item in LAYOUT:", '            if item == "M":',
             "                # 2x2 max pooling; ceil_mode keeps the last row and column of an odd side",
             '                layers[f"pool{pools}"] = nn.MaxPool2d(2, 2, ceil_mode=True)',
             "                pools += 1", "                continue",
             *conv, '            layers[f"act{i}"] = act()', "            cin, i = item, i + 1",
             "        self.features_seq = nn.Sequential(layers)"]
    lines += _head(cfg, "cin")
    lines += ["", "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
              "        return self.head(self.features_seq(x))   # (B, NUM_CLASSES)"]
    return "\n".join(lines)


def init_code(cfg: ModelConfig) -> str:
    lines = ["def init_weights(net: nn.Module) -> None:", f'    """{INIT_TEXT[cfg.init]}."""']
    if cfg.init != "default":
        conv = ('nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")' if cfg.init == "he"
                else "nn.init.xavier_normal_(m.weight)")
        if cfg.init == "he":
            lines.append('    # He et al. 2015, "Delving deep into rectifiers", as the ResNet paper uses.')
        lines += ["    for m in net.modules():", "        if isinstance(m, nn.Conv2d):", f"            {conv}",
                  "            if m.bias is not None:", "                nn.init.zeros_(m.bias)",
                  "        elif isinstance(m, nn.BatchNorm2d):", "            nn.init.ones_(m.weight)",
                  "            nn.init.zeros_(m.bias)"]
        if cfg.init == "xavier":
            lines += ["        elif isinstance(m, nn.Linear):", "            nn.init.xavier_normal_(m.weight)",
                      "            nn.init.zeros_(m.bias)"]
    zero = None
    if cfg.zero_init_residual and cfg.residual and cfg.family != "vgg":
        if cfg.block == "preact":
            zero = ("PreActBlock", "m.conv2.weight")
        elif cfg.block == "basic":
            zero = ("BasicBlock", "m.bn2.weight" if cfg.norm == "batch" else "m.conv2.weight")
        else:
            zero = ("Bottleneck", "m.bn3.weight" if cfg.norm == "batch" else "m.conv3.weight")
    if zero:
        lines += ["    # Each block starts as the identity: its last layer scales the residual to zero",
                  '    # (Goyal et al. 2017, "Accurate, large minibatch SGD").',
                  "    for m in net.modules():", f"        if isinstance(m, {zero[0]}):",
                  f"            nn.init.zeros_({zero[1]})"]
    if len(lines) == 2:
        lines.append("    # Each layer keeps the initialisation PyTorch gave it when it was created.")
    return "\n".join(lines)


LOADER = '''
# safetensors dtype names and their torch types.
DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8}


def read_safetensors(path) -> dict:
    """The tensors of a .safetensors file, read with the standard library and torch alone:
    8 bytes giving the header's length, a JSON header with each tensor's dtype, shape and byte
    range, then the data, little-endian. (`safetensors.torch.load_file(path)` gives the same.)"""
    data = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        flat = torch.frombuffer(bytearray(body[start:end]), dtype=DTYPES[info["dtype"]])
        tensors[name] = flat.reshape(info["shape"])
    return tensors


def load(path=None, device: str = "cpu") -> nn.Module:
    """The net in eval mode, with the weights in `path` (default: weights.safetensors beside this
    file) when that file exists; freshly initialised when there are none."""
    net = build()
    weights = Path(path) if path is not None else Path(__file__).with_name("weights.safetensors")
    if weights.is_file():
        net.load_state_dict(read_safetensors(weights))
    elif path is not None:
        raise FileNotFoundError(f"no weights at {weights}")
    return net.to(device).eval()


if __name__ == "__main__":
    net = load()
    logits = net(torch.randn(2, IN_CHANNELS, INPUT_SIZE, INPUT_SIZE))
    print(f"{sum(p.numel() for p in net.parameters()):,} parameters; logits {tuple(logits.shape)}")
'''

"""A network's outline for drawing: stem, stages of blocks, head, with tensor shapes and costs.

Built from the exact per-layer table of `flops.count` (meta device: shapes only, no memory), so
the diagram, the parameter count and the multiply-adds always agree. Each block says which
shortcut it has: none (a plain net), identity, zero-padding (option A where the shape changes)
or a 1x1 projection (option B where the shape changes, C everywhere) -- He et al. 2015, 3.3.
"""

from __future__ import annotations

from dataclasses import dataclass

from resnet_core.nets.config import ModelConfig
from resnet_core.nets.flops import LayerRow, count

SHORTCUT_KINDS = ("none", "identity", "zero_pad", "projection")


@dataclass(frozen=True)
class Block:
    name: str                      # stage2.block0 (VGG: features_seq.conv3)
    in_shape: tuple[int, ...]      # (C, H, W) entering the block
    out_shape: tuple[int, ...]     # (C, H, W) leaving it
    shortcut: str                  # one of SHORTCUT_KINDS
    convs: int                     # weighted layers on the main path
    params: int
    macs: int

    @property
    def stride(self) -> int:
        return max(1, self.in_shape[-1] // max(1, self.out_shape[-1]))


@dataclass(frozen=True)
class Stage:
    name: str                      # stage1 ... (VGG: group1 ...)
    blocks: tuple[Block, ...]

    @property
    def out_shape(self) -> tuple[int, ...]:
        return self.blocks[-1].out_shape


@dataclass(frozen=True)
class Diagram:
    name: str                      # the config's short name, e.g. resnet20
    input_shape: tuple[int, ...]   # (C, H, W)
    stem: Block                    # the first conv(s); shortcut "none"
    stages: tuple[Stage, ...]
    head_in: tuple[int, ...]       # what reaches the head
    num_classes: int
    head_params: int
    head_macs: int
    params: int                    # whole net
    macs: int                      # whole net, one image
    weighted_layers: int           # convs + FC on the main path: the "depth" the paper counts
    residual: bool
    head: str = "gap"              # gap (global average pool + FC) or flatten (flatten + FC)

    @property
    def blocks(self) -> list[Block]:
        return [b for s in self.stages for b in s.blocks]


def _shortcut_kind(rows: list[LayerRow], prefix: str, residual: bool) -> str:
    if not residual:
        return "none"
    names = {r.name for r in rows}
    if f"{prefix}.shortcut.conv" in names:
        return "projection"
    if f"{prefix}.shortcut" in names:       # ZeroPadShortcut: a shape-changing layer row
        return "zero_pad"
    return "identity"


def _main_path(rows: list[LayerRow]) -> list[LayerRow]:
    return [r for r in rows if ".shortcut" not in r.name and r.output_shape]


def _block(name: str, rows: list[LayerRow], in_shape: tuple[int, ...], shortcut: str) -> Block:
    main = _main_path(rows)
    out = main[-1].output_shape if main else in_shape
    return Block(name=name, in_shape=in_shape, out_shape=out, shortcut=shortcut,
                 convs=sum(1 for r in main if r.type == "Conv2d"),
                 params=sum(r.params for r in rows), macs=sum(r.macs for r in rows))


def _group(rows: list[LayerRow], depth: int) -> dict[str, list[LayerRow]]:
    """Rows grouped by the first `depth` parts of their names, in forward order."""
    out: dict[str, list[LayerRow]] = {}
    for r in rows:
        out.setdefault(".".join(r.name.split(".")[:depth]), []).append(r)
    return out


def _resnet_stages(cfg: ModelConfig, rows: list[LayerRow], shape: tuple[int, ...]) -> tuple[tuple[Stage, ...], tuple]:
    stages = []
    for s in range(len(cfg.blocks_per_stage)):
        prefix = f"stage{s + 1}."
        blocks = []
        for name, brows in _group([r for r in rows if r.name.startswith(prefix)], 2).items():
            block = _block(name, brows, shape, _shortcut_kind(brows, name, cfg.residual))
            blocks.append(block)
            shape = block.out_shape
        stages.append(Stage(f"stage{s + 1}", tuple(blocks)))
    return tuple(stages), shape


def _vgg_stages(rows: list[LayerRow], shape: tuple[int, ...]) -> tuple[tuple[Stage, ...], tuple]:
    """VGG has no blocks: each conv is a one-layer "block"; a pool closes a group."""
    stages, blocks = [], []
    for r in rows:
        if not r.name.startswith("features_seq."):
            continue
        if r.type == "Conv2d":
            blocks.append(_block(r.name, [r], shape, "none"))
        elif blocks and r.type == "BatchNorm2d":
            last = blocks[-1]
            blocks[-1] = Block(last.name, last.in_shape, last.out_shape, "none", last.convs,
                               last.params + r.params, last.macs)
        if r.output_shape:
            shape = r.output_shape
        if r.type == "MaxPool2d" and blocks:
            last = blocks[-1]
            blocks[-1] = Block(last.name, last.in_shape, shape, "none", last.convs, last.params, last.macs)
            stages.append(Stage(f"group{len(stages) + 1}", tuple(blocks)))
            blocks = []
    if blocks:
        stages.append(Stage(f"group{len(stages) + 1}", tuple(blocks)))
    return tuple(stages), shape


def describe(cfg: ModelConfig) -> Diagram:
    """The outline of the network `cfg` describes (cached through `flops.count`)."""
    summary = count(cfg)
    rows = list(summary.rows)
    input_shape = (cfg.in_channels, cfg.input_size, cfg.input_size)
    stem_rows = [r for r in rows if r.name.startswith("stem.")]
    stem = _block("stem", stem_rows, input_shape, "none")
    if cfg.family == "vgg":
        stages, shape = _vgg_stages(rows, input_shape)
    else:
        stages, shape = _resnet_stages(cfg, rows, stem.out_shape)
        # A pre-activation net's last BN sits between the final stage and the head.
    head_rows = [r for r in rows if r.name.startswith(("head.", "final_"))]
    weighted = sum(1 for r in rows if r.type in ("Conv2d", "Linear") and ".shortcut" not in r.name)
    return Diagram(name=cfg.name, input_shape=input_shape, stem=stem, stages=stages, head_in=shape,
                   num_classes=cfg.num_classes, head_params=sum(r.params for r in head_rows),
                   head_macs=sum(r.macs for r in head_rows), params=summary.params, macs=summary.macs,
                   weighted_layers=weighted, residual=cfg.residual and cfg.family != "vgg", head=cfg.head)


def shape_text(shape: tuple[int, ...]) -> str:
    """(16, 32, 32) -> "16×32×32"."""
    return "×".join(str(s) for s in shape)

"""Where runs are found again: every run has a group (the store's `grp` column: which page or
command it belongs to, one name from the registry below, shared by pages, ui and the CLI) and an
experiment id (the runs submitted together share it; `resnet_core.store.schema.experiment_id`).
A page lists its group and shows one experiment at a time, so an experiment run from the CLI into
the app's store appears on the page that runs the same experiment.
"""

from __future__ import annotations

# Store groups, one per page or command that records runs.
DEGRADATION = "degradation"       # the Degradation page and `experiment degradation`; Evidence's Figure 7 reads it
SHORTCUTS = "shortcuts"           # the Shortcuts page and `experiment shortcuts`
BATCHNORM = "batchnorm"           # the BatchNorm page and `experiment bn`
BUILD = "build"                   # Build & Train, and the CLI's `train`
GRADIENTS = "gradients"
GAP_FC = "gap_fc"
EVIDENCE_ALEXNET = "evidence-alexnet"
STUDY_PAIR = "study-pair"         # the nets a lesion or landscape study is made on (ui/training/twins.py)
INSPECT_TWIN = "inspect-twin"     # twins queued for Feature maps and Attribution (resnet_core.training.twins)
LESION = "lesion"                 # `experiment lesion` and `experiment landscape` record their nets here
LANDSCAPE = "landscape"
PREDICT = "predict"               # the Predict page's questions decided (tasks), and `predict` on the CLI

# The CLI's experiment names and the group each records under (the page's group, so it shows there).
EXPERIMENT_GROUPS = {"degradation": DEGRADATION, "shortcuts": SHORTCUTS, "bn": BATCHNORM,
                     "lesion": LESION, "landscape": LANDSCAPE}


def group_of(name: str) -> str:
    """The store group for a CLI experiment name (`bn` -> `batchnorm`); other names are groups already."""
    return EXPERIMENT_GROUPS.get(name, name)

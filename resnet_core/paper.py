"""The paper's own numbers that the pages put beside their measurements (shared/PAPER.md).

He et al. 2015 unless noted. Errors are percentages; FLOPs are the paper's multiply-adds.
tests/test_paper.py checks every number here against shared/PAPER.md.
"""

from __future__ import annotations

# Table 2: ImageNet top-1 error (%, 10-crop). The ResNets here use option A shortcuts, so each
# has exactly its plain twin's parameters; ResNet-18 about matches plain-18 but converges faster
# (Figure 4).
TABLE2 = {"plain-18": 27.94, "plain-34": 28.54, "ResNet-18": 27.88, "ResNet-34": 25.03}

# Table 6: CIFAR-10 test error (%) and parameters (millions). ResNet-110: best of 5 runs
# (mean 6.61 +- 0.16), trained with a warm-up at lr 0.01 for about 400 iterations; ResNet-1202:
# training error under 0.1%, worse on test than ResNet-110: overfitting.
TABLE6 = {  # net: (n, params in millions, test error %)
    "ResNet-20": (3, 0.27, 8.75),
    "ResNet-32": (5, 0.46, 7.51),
    "ResNet-44": (7, 0.66, 7.17),
    "ResNet-56": (9, 0.85, 6.97),
    "ResNet-110": (18, 1.7, 6.43),
    "ResNet-1202": (200, 19.4, 7.93),
}
RESNET110_MEAN, RESNET110_SPREAD = 6.61, 0.16
RESNET110_WARMUP_LR, RESNET110_WARMUP_ITERS = 0.01, 400
RESNET1202_TRAIN_ERROR_BELOW = 0.1
PLAIN110_ERROR_ABOVE = 60          # Figure 6: plain-110 above 60% error (not shown in the figure)

# Headline results.
ENSEMBLE_TOP5 = 3.57               # % top-5 on the ImageNet test set, 1st in ILSVRC 2015
RESNET152_GFLOPS = 11.3
VGG19_GFLOPS = 19.6

# He et al. 2016 ("Identity Mappings in Deep Residual Networks"): full pre-activation.
RESNET1001_PREACT_ERROR = 4.62     # % on CIFAR-10

# Krizhevsky et al. 2012 (AlexNet), Figure 1: a four-layer CNN with ReLUs reaches 25% training
# error on CIFAR-10 about six times faster than the same net with tanh.
ALEXNET_TARGET_ERROR = 25
ALEXNET_RELU_SPEEDUP = 6

"""The paper's own numbers that the pages put beside their measurements (shared/PAPER.md).

He et al. 2015 unless noted. Errors are percentages; FLOPs are the paper's multiply-adds.
tests/test_paper.py checks every number here against shared/PAPER.md.
"""

from __future__ import annotations

from dataclasses import dataclass

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


# ---------------------------------------------------------------------------------------------
# The table of sources: every citation a page shows comes from here, by key. A catalog string
# writes "{src:he2015.sec4.1}" ("section 4.1" / "4.1절"), "{cite:he2015.sec4.1}" ("He et al.
# 2015, section 4.1"), "{cite:li2018}" ("Li et al. 2018") or "{titled:he2015.sec4.1.bottleneck}"
# (with the section's own title); resnet_core.text renders them in each language, and
# tests/test_sources.py fails on a section, table or figure typed into a string by hand.

@dataclass(frozen=True)
class Paper:
    cite: str       # how the text names it: "He et al. 2015"
    title: str


@dataclass(frozen=True)
class Source:
    paper: str      # a key of PAPERS
    kind: str       # "section", "table" or "figure"
    number: str     # "4.1", "3", "6"
    title: str      # the section's heading or the caption's first words, as printed
    shows: str      # what the app uses it for


PAPERS = {
    "he2015": Paper("He et al. 2015", "Deep Residual Learning for Image Recognition"),
    "he2015init": Paper("He et al. 2015b", "Delving Deep into Rectifiers: Surpassing Human-Level "
                                          "Performance on ImageNet Classification"),
    "he2016": Paper("He et al. 2016", "Identity Mappings in Deep Residual Networks"),
    "veit2016": Paper("Veit et al. 2016", "Residual Networks Behave Like Ensembles of Relatively "
                                          "Shallow Networks"),
    "li2018": Paper("Li et al. 2018", "Visualizing the Loss Landscape of Neural Nets"),
    "krizhevsky2012": Paper("Krizhevsky et al. 2012", "ImageNet Classification with Deep "
                                                      "Convolutional Neural Networks"),
    "simonyan2014": Paper("Simonyan & Zisserman 2014", "Very Deep Convolutional Networks for "
                                                       "Large-Scale Image Recognition"),
    "szegedy2014": Paper("Szegedy et al. 2014", "Going Deeper with Convolutions"),
    "ioffe2015": Paper("Ioffe & Szegedy 2015", "Batch Normalization: Accelerating Deep Network "
                                               "Training by Reducing Internal Covariate Shift"),
    "balduzzi2017": Paper("Balduzzi et al. 2017", "The Shattered Gradients Problem: If resnets "
                                                  "are the answer, then what is the question?"),
    "yang2019": Paper("Yang et al. 2019", "A Mean Field Theory of Batch Normalization"),
    "zeiler2014": Paper("Zeiler & Fergus 2014", "Visualizing and Understanding Convolutional Networks"),
}

SOURCES = {
    # He et al. 2015
    "he2015.sec1": Source("he2015", "section", "1", "Introduction",
                          "vanishing/exploding gradients largely addressed by normalised "
                          "initialisation and intermediate normalisation layers; the degradation problem"),
    "he2015.sec3.1": Source("he2015", "section", "3.1", "Residual Learning",
                            "the hypothesis: if identity were optimal, pushing F to zero would be "
                            "easier than fitting it with stacked layers; preconditioning"),
    "he2015.sec3.2": Source("he2015", "section", "3.2", "Identity Mapping by Shortcuts",
                            "y = F(x, {W_i}) + x, the ReLU after the addition; W_s x to match shapes"),
    "he2015.sec3.3": Source("he2015", "section", "3.3", "Network Architectures",
                            "the plain and residual nets; shortcut options A and B; global "
                            "average pooling and a 1000-way FC; VGG-19 at 19.6 G FLOPs"),
    "he2015.sec3.4": Source("he2015", "section", "3.4", "Implementation",
                            "ImageNet recipe: scale augmentation (shorter side 256-480), 224 crop, "
                            "flip, colour augmentation; BN after each conv; SGD, weight decay 1e-4"),
    "he2015.sec4.1": Source("he2015", "section", "4.1", "ImageNet Classification",
                            "plain vs residual 18/34; BN keeps forward signals at non-zero variance "
                            "and the backward gradients have healthy norms, so not vanishing "
                            "gradients; the conjecture of low convergence rates"),
    "he2015.sec4.1.shortcuts": Source("he2015", "section", "4.1", "Identity vs. Projection Shortcuts",
                                      "option C; A, B and C compared (Table 3): B slightly better "
                                      "than A, C marginally better than B"),
    "he2015.sec4.1.bottleneck": Source("he2015", "section", "4.1", "Deeper Bottleneck Architectures",
                                       "the 1x1-3x3-1x1 block; option B for ResNet-50/101/152"),
    "he2015.sec4.2": Source("he2015", "section", "4.2", "CIFAR-10 and Analysis",
                            "the 6n+2 nets, the CIFAR recipe (4-pixel pad, 32x32 crop, flip), "
                            "plain vs residual from 20 to 1202 layers"),
    "he2015.sec4.2.responses": Source("he2015", "section", "4.2", "Analysis of Layer Responses",
                                      "the std of each 3x3 layer's response (after BN, before "
                                      "the addition)"),
    "he2015.table1": Source("he2015", "table", "1", "Architectures for ImageNet",
                            "ResNet-18 to 152: blocks per stage and FLOPs"),
    "he2015.table2": Source("he2015", "table", "2", "Top-1 error (%, 10-crop testing) on ImageNet validation",
                            "plain-18/34 against ResNet-18/34"),
    "he2015.table3": Source("he2015", "table", "3", "Error rates (%, 10-crop testing) on ImageNet validation",
                            "shortcut options A, B, C for ResNet-34; ResNet-50/101/152"),
    "he2015.table6": Source("he2015", "table", "6", "Classification error on the CIFAR-10 test set",
                            "ResNet-20 to 1202"),
    "he2015.fig1": Source("he2015", "figure", "1", "Training error (left) and test error (right) on "
                          "CIFAR-10 with 20-layer and 56-layer \"plain\" networks",
                          "the degradation problem in one picture"),
    "he2015.fig2": Source("he2015", "figure", "2", "Residual learning: a building block",
                          "F(x) + x, with the ReLU after the addition"),
    "he2015.fig3": Source("he2015", "figure", "3", "Example network architectures for ImageNet",
                          "VGG-19 (19.6 G FLOPs), the 34-layer plain net and its residual twin (3.6 G)"),
    "he2015.fig4": Source("he2015", "figure", "4", "Training on ImageNet",
                          "plain-18/34 against ResNet-18/34: ResNet-18 converges faster"),
    "he2015.fig5": Source("he2015", "figure", "5", "A deeper residual function F for ImageNet",
                          "the basic block beside the bottleneck block"),
    "he2015.fig6": Source("he2015", "figure", "6", "Training on CIFAR-10",
                          "deeper plain nets train worse; deeper ResNets better"),
    "he2015.fig7": Source("he2015", "figure", "7", "Standard deviations (std) of layer responses on CIFAR-10",
                          "ResNets respond less than plain nets, deeper ResNets less still"),
    # He et al. 2015, "Delving Deep into Rectifiers"
    "he2015init.sec2.2": Source("he2015init", "section", "2.2", "Initialization of Filter Weights for Rectifiers",
                                "variance 2/n for ReLU layers, fan-in or fan-out"),
    # He et al. 2016
    "he2016.sec2": Source("he2016", "section", "2", "Analysis of Deep Residual Networks",
                          "with identity shortcuts and no ReLU after the addition, "
                          "dL/dx_l = dL/dx_L (1 + d/dx_l sum F): the 1 passes the gradient back"),
    "he2016.sec4": Source("he2016", "section", "4", "On the Usage of Activation Functions",
                          "the full pre-activation block (BN, ReLU, conv)"),
    "he2016.sec5": Source("he2016", "section", "5", "Results",
                          "ResNet-1001 with pre-activation: 4.62% on CIFAR-10"),
    # Veit et al. 2016
    "veit2016.sec4": Source("veit2016", "section", "4", "Lesion study",
                            "deleting blocks of trained nets at test time"),
    "veit2016.fig3": Source("veit2016", "figure", "3", "Deleting individual layers",
                            "one block deleted at test time: a ResNet barely hurt, a plain net "
                            "(no shortcuts) broken"),
    "veit2016.fig5": Source("veit2016", "figure", "5", "Deleting and reordering several modules",
                            "error grows smoothly with the number of blocks deleted"),
    # Li et al. 2018
    "li2018.sec4": Source("li2018", "section", "4", "Proposed Visualization: Filter-Wise Normalization",
                          "random directions scaled to each filter's norm"),
    "li2018.sec6": Source("li2018", "section", "6", "What Makes Neural Networks Trainable? Insights "
                          "on the (Non)Convexity Structure of Loss Surfaces",
                          "without shortcuts the surface turns chaotic as depth grows (56, 110); "
                          "at 20 layers both are fairly smooth"),
    "li2018.fig5": Source("li2018", "figure", "5", "2D visualization of the loss surface of ResNet "
                          "and ResNet-noshort with different depth",
                          "ResNet-20/56/110 with and without shortcuts"),
    # Krizhevsky et al. 2012 (AlexNet)
    "krizhevsky2012.sec3.1": Source("krizhevsky2012", "section", "3.1", "ReLU Nonlinearity",
                                    "ReLUs train several times faster than tanh"),
    "krizhevsky2012.sec3.3": Source("krizhevsky2012", "section", "3.3", "Local Response Normalization",
                                    "LRN across neighbouring channels"),
    "krizhevsky2012.sec3.4": Source("krizhevsky2012", "section", "3.4", "Overlapping Pooling",
                                    "3x3 max pooling with stride 2"),
    "krizhevsky2012.sec4.1": Source("krizhevsky2012", "section", "4.1", "Data Augmentation",
                                    "crops and flips; PCA colour augmentation with "
                                    "alpha ~ N(0, 0.1^2) per component"),
    "krizhevsky2012.fig1": Source("krizhevsky2012", "figure", "1",
                                  "A four-layer convolutional neural network with ReLUs",
                                  "25% training error on CIFAR-10 six times faster than tanh"),
    # Simonyan & Zisserman 2014 (VGG)
    "simonyan2014.sec4.1": Source("simonyan2014", "section", "4.1", "Single Scale Evaluation",
                                  "local response normalisation does not improve the net (A-LRN)"),
    # Szegedy et al. 2014 (GoogLeNet)
    "szegedy2014.sec4": Source("szegedy2014", "section", "4", "Architectural Details",
                               "1x1 convolutions reduce dimensions before the 3x3 and 5x5 convs"),
    "szegedy2014.fig2": Source("szegedy2014", "figure", "2", "Inception module",
                               "(b) with dimension reductions"),
    "szegedy2014.table1": Source("szegedy2014", "table", "1", "GoogLeNet incarnation of the Inception architecture",
                                 "inception (3a): a 28x28x192 input; its 5x5 branch reduces to 16 channels "
                                 "with a 1x1 and outputs 32"),
    # Zeiler & Fergus 2014
    "zeiler2014.fig2": Source("zeiler2014", "figure", "2", "Visualization of features in a fully trained model",
                              "layers 1-2 answer to edges and colours, deeper layers to textures and object parts"),
}

_KIND = {"en": {"section": "section {n}", "table": "Table {n}", "figure": "Figure {n}"},
         "ko": {"section": "{n}절", "table": "표 {n}", "figure": "그림 {n}"}}


def cite(key: str, lang: str = "en", form: str = "src") -> str:
    """The text a page shows for source `key`.

    form "src": the place only ("section 4.1" / "4.1절"); "cite": the paper and the place ("He et
    al. 2015, Table 3" / "He et al. 2015, 표 3"), or the paper alone for a key of PAPERS;
    "titled": the place and its heading ('section 4.1, "Deeper Bottleneck Architectures"').
    Raises KeyError for an unknown key, so a typo cannot reach a page unnoticed in the tests.
    """
    if key in PAPERS and form == "cite":
        return PAPERS[key].cite
    source = SOURCES[key]
    place = _KIND[lang][source.kind].format(n=source.number)
    if form == "src":
        return place
    if form == "cite":
        return f"{PAPERS[source.paper].cite}, {place}"
    if form == "titled":
        return f"{place}, \u201c{source.title}\u201d" if lang == "en" else f"{place} \u201c{source.title}\u201d"
    raise ValueError(f"unknown citation form {form!r}")

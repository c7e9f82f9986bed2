"""The drawings: every figure a page shows, built from plain data and already-translated text,
with no Streamlit and no session (a contract in .importlinter, checked by tests/test_layers.py).

    canvas          the SVG canvas all inline figures are drawn on, sized for phones and projectors
    axes            axes, legends and panels of the SVG charts
    bar_charts      bars and a ring                    line_charts     lines and histograms
    diagrams        He et al.'s block diagram          outline         a whole network's outline
    pictures        images and heat maps as PNG        style           colours, plotly look, numbers
    training_charts loss curves, gradient heat maps    flops_charts    multiply-adds and parameters
    study_charts    lesion study and loss landscape    words           the text a figure is handed
    gradient_charts gradient norm and gains by depth   activation_charts  BN on and off, layer by layer

A renderer lists the text keys it needs in WORDS; the page passes ``ui.page.i18n.words(WORDS)``.
"""

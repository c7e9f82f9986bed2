"""The Bottleneck & FLOPs page under AppTest: the calculator's defaults are the textbook numbers,
every section runs in both languages, and Home's preset opens it configured."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from ui.page import nav

APP = "../app.py"
RAW_KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_\-]+)+$")   # what t() shows for a missing key


def open_bottleneck(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page(nav.file_of("bottleneck")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def show(at: AppTest, section: str) -> AppTest:
    at.segmented_control(key="bottleneck_section").set_value(section).run()
    assert not at.exception and not at.error, [e.value for e in at.exception] + [e.value for e in at.error]
    return at


def test_calculator_defaults_are_the_textbook_example():
    at = open_bottleneck()
    assert at.title[0].value == "Bottleneck & FLOPs"
    assert metrics(at) == {"Direct k×k conv": "120,422,400 MACs", "1×1 first, then k×k": "12,443,648 MACs",
                           "Saving": "9.68× fewer"}
    formula = next(m.value for m in at.markdown if m.value.startswith("Direct:"))
    assert "28×28×32×5×5×192 = 120,422,400" in formula
    assert "2,408,448 (1×1) and 28×28×32×5×5×16 = 10,035,200 (k×k), together **12,443,648**" in formula
    # The two paths are an inline SVG figure: the first visit needs no chart library.
    figure = next(m.value for m in at.markdown if m.value.startswith("<svg"))
    assert "120,422,400" in figure and "12,443,648" in figure
    assert not at.get("plotly_chart")


def test_calculator_follows_the_sliders():
    at = open_bottleneck()
    at.slider(key="bottleneck_mid").set_value(64).run()
    # 28*28*64*192 + 28*28*32*25*64 = 9,633,792 + 40,140,800
    assert metrics(at)["1×1 first, then k×k"] == "49,774,592 MACs"
    at.slider(key="bottleneck_mid").set_value(1024).run()
    assert at.info, "a reduction that widens the map should say it does not pay off"
    assert "Saving" not in metrics(at) and re.fullmatch(r"[\d.]+× more", metrics(at)["Extra cost"])


def test_a_widening_reduction_is_an_extra_cost_in_korean():
    at = open_bottleneck("ko")
    at.slider(key="bottleneck_mid").set_value(1024).run()
    assert re.fullmatch(r"[\d.]+배 많음", metrics(at)["추가 비용"])
    at.slider(key="bottleneck_mid").set_value(16).run()
    assert metrics(at)["절감"] == "9.68배 적음"


def _set_widths(at, cin: int, cout: int, mid: int, k: int | None = None):
    """The input, output and 1x1 widths (and the kernel size), each set as a reader moves its slider."""
    for key, value in (("bottleneck_cin", cin), ("bottleneck_cout", cout), ("bottleneck_mid", mid)):
        at.slider(key=key).set_value(value).run()
    if k is not None:
        at.select_slider(key="bottleneck_k").set_value(k).run()
    return at


@pytest.mark.parametrize("lang, label, same", [("en", "Saving", "none (about the same cost)"),
                                               ("ko", "절감", "없음 (연산량이 거의 같음)")])
def test_a_reduction_that_costs_the_same_is_no_saving(lang, label, same):
    # k=1, 2 -> 1 -> 2 channels: 2x2 multiply-adds per pixel either way, neither "1× fewer" nor more
    at = _set_widths(open_bottleneck(lang), 2, 2, 1, k=1)
    assert metrics(at)[label] == same
    assert not at.info
    # 1024 -> 513 -> 1024: the 1x1 path costs 0.2% more, which would read "1× more" (1/0.998)
    _set_widths(at, 1024, 1024, 513)
    assert metrics(at)[label] == same


@pytest.mark.parametrize("lang, cost, said", [
    ("en", "2× more", "Here the two-step path costs more than the direct one"),
    ("ko", "2배 많음", "여기서는 1×1을 거치는 경로가 k×k 합성곱만 쓸 때보다 오히려 비쌉니다")])
def test_one_input_channel_cannot_be_narrowed(lang, cost, said):
    # 1 -> 1 -> 1 channels, k=1: the 1x1 path is twice the direct one whatever the width after the
    # 1x1 (it is already the least), so the note must not blame that width.
    at = _set_widths(open_bottleneck(lang), 1, 1, 1, k=1)
    assert list(metrics(at).values())[-1] == cost
    assert len(at.info) == 1 and at.info[0].value.startswith(said)


def test_basic_and_bottleneck_blocks_match_the_paper():
    at = show(open_bottleneck(), "block")
    assert metrics(at) == {"Basic block, 64 channels": "73,728 weights",
                           "Bottleneck block, 256 channels": "69,632 weights"}


def test_table_sets_our_counts_beside_table_1():
    at = show(open_bottleneck(), "table")
    table = at.dataframe[0].value
    row = table.set_index("Network").loc["ResNet-50"]
    assert row["Ours, v1 (paper layout)"] == "3.858 G MACs"
    assert row["Ours, v1.5 (torchvision)"] == "4.089 G MACs"
    assert row["Paper (Table 1; VGG-19: Figure 3)"] == "3.8 G MACs"
    assert list(table["Network"]) == ["ResNet-18", "ResNet-34", "ResNet-50", "ResNet-101", "ResNet-152", "VGG-19"]
    # The intro's "about 0.23 G more" for v1.5 is the difference of the numbers every row shows.
    assert any("about 0.23 G more" in m.value for m in at.markdown)
    for net in ("ResNet-50", "ResNet-101", "ResNet-152"):
        v1, v15 = (float(table.set_index("Network").loc[net][col].split()[0])
                   for col in ("Ours, v1 (paper layout)", "Ours, v1.5 (torchvision)"))
        assert round(v15 - v1, 2) == 0.23, net
    assert table.set_index("Network").loc["ResNet-152"]["Ours, v1 (paper layout)"] == "11.282 G MACs"
    # the paper's 18% is its plain net's; ResNet-34's option B projections add a little
    assert "plain net needs 18.6%" in at.caption[0].value and "shortcuts: 18.7%" in at.caption[0].value
    # ...and the caption's 18.7% is the ratio of the two rows shown (3.66 / 19.63 read 18.6%)
    r34, vgg = (float(table.set_index("Network").loc[net]["Ours, v1 (paper layout)"].split()[0])
                for net in ("ResNet-34", "VGG-19"))
    assert f"{100 * r34 / vgg:.1f}" == "18.7"


def test_per_layer_costs_for_any_model():
    at = show(open_bottleneck(), "layers")
    assert metrics(at)["Parameters"] == "21,797,672"            # torchvision's ResNet-34
    assert metrics(at)["Multiply-adds for one image"] == "3.66 G MACs"
    at.selectbox(key="bottleneck_arch").set_value("resnet50").run()
    assert metrics(at)["Multiply-adds for one image"] == "3.86 G MACs"   # the paper's layout unless asked
    assert "v1, the paper's layout" in at.caption[0].value
    at.radio(key="bottleneck_layout").set_value("v1.5").run()
    assert metrics(at)["Multiply-adds for one image"] == "4.09 G MACs"
    assert "v1.5, torchvision's layout" in at.caption[0].value
    at.selectbox(key="bottleneck_arch").set_value("vgg19").run()
    assert at.toggle(key="bottleneck_plain").disabled
    assert metrics(at)["Parameters"] == "143,667,240"


@pytest.mark.parametrize("lang, purple", [("en", "Purple: 1×1 projection shortcuts"), ("ko", "보라색: 1×1 사영 숏컷")])
@pytest.mark.parametrize("arch, plain, drawn", [("resnet34", False, True),     # option B: projections
                                                ("resnet20", False, False),    # option A: none
                                                ("resnet34", True, False)])    # the plain twin: none
def test_the_legend_names_purple_bars_only_where_the_chart_draws_them(lang, purple, arch, plain, drawn):
    at = show(open_bottleneck(lang), "layers")
    at.selectbox(key="bottleneck_arch").set_value(arch).run()
    at.toggle(key="bottleneck_plain").set_value(plain).run()
    legend = at.caption[-1].value
    assert (purple in legend) == drawn
    assert ("old: fully connected" if lang == "en" else "황금색: 완전 연결 층") in legend   # "Gold" or "; gold"


@pytest.mark.parametrize("section", ["calc", "block", "table", "layers"])
def test_every_section_speaks_korean(section):
    at = show(open_bottleneck("ko"), section)
    assert at.segmented_control(key="bottleneck_section").value == section
    assert at.title[0].value == "병목 블록과 FLOPs"
    texts = [m.value for m in at.markdown] + [m.label for m in at.metric] + [c.value for c in at.caption]
    assert not [x for x in texts if RAW_KEY.match(x)], "a key without a translation is showing"


def test_settings_survive_a_visit_to_another_page():
    at = open_bottleneck()
    at.slider(key="bottleneck_cin").set_value(256).run()
    at.switch_page(nav.file_of("home")).run()
    at.switch_page(nav.file_of("bottleneck")).run()
    assert at.slider(key="bottleneck_cin").value == 256


def test_home_preset_opens_the_calculator_with_the_textbook_numbers():
    at = open_bottleneck()
    show(at, "block")
    at.slider  # the calculator's sliders are not drawn now; the preset must still set them
    at.switch_page(nav.file_of("home")).run()
    at.button(key="home_preset_bottleneck_savings").click().run()
    assert not at.exception
    assert at.title[0].value == "Bottleneck & FLOPs"
    assert at.segmented_control(key="bottleneck_section").value == "calc"
    assert metrics(at)["Direct k×k conv"] == "120,422,400 MACs"

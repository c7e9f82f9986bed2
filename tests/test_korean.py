"""Korean particles follow the value before them, read as a Korean reader reads it
(resnet_core.korean), and t() applies them after the values are in."""

import pytest

from resnet_core import korean, text

# Sino-Korean readings of the last digit: 일 이 삼 사 오 육 칠 팔 구, and 영.
LAST_DIGIT = {"1": "이", "2": "가", "3": "이", "4": "가", "5": "가", "6": "이", "7": "이", "8": "이",
              "9": "가", "0": "이"}


@pytest.mark.parametrize("digit", list(LAST_DIGIT))
def test_a_number_takes_the_particle_of_its_last_digit(digit):
    for number in (digit, f"1{digit}", f"2,03{digit}", f"0.{digit}", f"12.5{digit}"):
        if number.endswith("0") and "." not in number:
            continue   # 10, 2,030: 십, 삼십 (below)
        assert korean.particle(number, "이/가") == LAST_DIGIT[digit], number


@pytest.mark.parametrize("number, expected", [
    ("10", "이"), ("20", "이"), ("100", "이"), ("3,600", "이"), ("1000", "이"), ("20000", "이"),
    ("1,000,000", "이"), ("100000000", "이"), ("0", "이"), ("2.0", "이"), ("1.10", "이")])
def test_round_numbers_end_in_their_unit(number, expected):
    # 십, 백, 천, 만, 억 all end in a consonant; 영 too.
    assert korean.particle(number, "이/가") == expected


def test_the_pairs_and_their_forms():
    assert [korean.particle("3분", p) for p in ("이/가", "은/는", "을/를", "과/와", "으로/로")] == \
        ["이", "은", "을", "과", "으로"]
    assert [korean.particle("45초", p) for p in ("이/가", "은/는", "을/를", "과/와", "으로/로")] == \
        ["가", "는", "를", "와", "로"]
    assert korean.particle("1시간", "이/가") == "이"
    assert korean.particle("2시간", "으로/로") == "으로"
    # ㄹ takes 로, not 으로: 일, 칠, 팔, 열.
    assert [korean.particle(v, "으로/로") for v in ("1", "7", "8", "모델", "6", "3")] == \
        ["로", "로", "로", "로", "으로", "으로"]
    # Either order of a pair means the same.
    assert korean.particle("2", "와/과") == korean.particle("2", "과/와") == "와"


@pytest.mark.parametrize("value, expected", [
    ("ResNet-20", "은"), ("ResNet-56", "은"), ("ResNet-32", "는"), ("ResNet-34", "는"),
    ("ResNet-1202", "는"), ("ResNet-110", "은"), ("플레인-20", "은"), ("플레인-56", "은"), ("plain-2", "는"),
    ("VGG-19", "는"), ("ResNet", "은"), ("ImageNet", "은"), ("BN", "은"), ("ReLU", "는"), ("GAP", "은"),
    ("tanh", "는"), ("Goldstein", "은"), ("F(x_l)", "은"), ("N(0, σ²)", "은"), ("FC", "는"), ("Grad-CAM", "은"), ("CIFAR-10", "은"),
    ("A", "는"), ("B", "는"), ("C", "는"), ("stage2.block0.conv1", "은"), ("stage3.block1", "은"),
    ("(1, 16, 32, 32)", "는"), ("12%", "는"), ("9.68배", "는"), ("**3**", "은"), ("`stem`", "은"),
    ("네트워크(논문의 기준선)", "는"), ("Goldstein (2018)", "은"), ("Belongie (2016)", "는"), ("학습 기록 #3 (플레인)", "은"), ("'abc'", "는"),
    # A link's setting and its value (links.rejected): the value is read, not the name before it.
    ("copies=[1,2]", "는"), ("stages=[10,20]", "은"), ("seed=null", "은"), ("pad=true", "는"), ("size=(3, 4)", "는"),
])
def test_words_and_names(value, expected):
    assert korean.particle(value, "은/는") == expected


def test_an_unreadable_value_gets_both_forms():
    assert korean.particle("", "은/는") == "은(는)"
    assert korean.particle("→", "이/가") == "이(가)"


def test_render_puts_the_particle_after_the_value():
    template = "약 {time}{이/가} 걸립니다. {low}{과/와} {high} 사이, 학습률 **{lr}**{을/를} 씁니다."
    assert text.render(template, "ko", time="3분", low=2, high=9, lr=0.1) == \
        "약 3분이 걸립니다. 2와 9 사이, 학습률 **0.1**을 씁니다."
    assert text.render(template, "ko", time="45초", low=3, high=10, lr=0.05) == \
        "약 45초가 걸립니다. 3과 10 사이, 학습률 **0.05**를 씁니다."
    assert text.render("{net}{은/는}", "ko", net="ResNet-20") == "ResNet-20은"
    # Format specs and literal braces of a plain string still work.
    assert text.render("{n:,}{이/가}", "ko", n=3600) == "3,600이"
    assert text.render("a {b} c", "en") == "a {b} c"


def test_t_and_fmt_ratio_in_both_languages():
    from ui.draw import style
    assert style.fmt_ratio(3600.2, "ko") == "3,600배"
    assert style.fmt_ratio(3600.2, "en") == "3,600×"
    assert style.fmt_ratio(120_422_400 / 12_443_648, "ko") == "9.68배"


def test_fmt_ratio_writes_tiny_ratios_as_fractions_a_student_can_read():
    from ui.draw import style
    # BatchNorm at depth 56 without BN, and a sigmoid plain net on Gradient flow: no e-notation.
    assert style.fmt_ratio(1.63e-05, "en") == "1/61,300"
    assert style.fmt_ratio(1.63e-05, "ko") == "6만 1,300분의 1"
    assert style.fmt_ratio(7.41e-10, "en") == "1/1,350,000,000"
    assert style.fmt_ratio(7.41e-10, "ko") == "13억 5,000만분의 1"
    assert style.fmt_ratio(0.00123, "ko") == "813분의 1"
    assert style.fmt_ratio(0.01, "en") == "0.01×"     # from 1/100 up, still a decimal
    assert style.fmt_ratio(0.0, "ko") == "0배"
    # Past 조 (10¹²) a power of ten: sigmoid plain-56's first layers get about 1e-28.
    assert style.fmt_ratio(1.06e-28, "en") == "1/(9.43×10²⁷)"
    assert style.fmt_ratio(1.06e-28, "ko") == "9.43×10²⁷분의 1"
    assert style.fmt_ratio(1.01e-12, "ko") == "9,900억분의 1"
    for x in (1.63e-05, 7.41e-10, 0.00123, 0.5, 1.06e-28):
        assert "e-" not in style.fmt_ratio(x, "en") + style.fmt_ratio(x, "ko")
    # The particle after a fraction follows 1 (일): "…분의 1을", "…분의 1이".
    assert text.render("{ratio}{을/를} 받습니다", "ko", ratio=style.fmt_ratio(1.63e-05, "ko")) == \
        "6만 1,300분의 1을 받습니다"

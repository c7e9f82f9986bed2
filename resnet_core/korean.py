"""Korean particles chosen from how the word before them is read.

Korean attaches 은/는, 이/가, 을/를, 과/와 and (으)로 to the word before, and the form depends on
that word's last sound: 은, 이, 을, 과, 으로 after a final consonant (받침), 는, 가, 를, 와, 로 after
a vowel, and 로 also after ㄹ. A value put into a sentence ("{time}", "{n}") decides which, so the
particle cannot be typed into the catalog: "3분이", "45초가", "ResNet-20은", "2와", "3과".

Numbers are read the Sino-Korean way (2 이, 4 사, 5 오, 9 구 end in a vowel; 10 십, 100 백 in a
consonant); Latin words by their usual Korean reading (ResNet 레즈넷, BN 비엔, ReLU 렐루).
"""

from __future__ import annotations

import re

VOWEL, CONSONANT, RIEUL = "vowel", "consonant", "rieul"   # RIEUL: final ㄹ (takes 로, not 으로)

# The particle pairs a catalog may mark, "{이/가}" or "{가/이}" alike: (after a consonant, after a vowel).
PAIRS = {
    frozenset(("은", "는")): ("은", "는"),
    frozenset(("이", "가")): ("이", "가"),
    frozenset(("을", "를")): ("을", "를"),
    frozenset(("과", "와")): ("과", "와"),
    frozenset(("으로", "로")): ("으로", "로"),
    frozenset(("이나", "나")): ("이나", "나"),
    frozenset(("이라", "라")): ("이라", "라"),
}
MARK = re.compile(r"\{(은/는|는/은|이/가|가/이|을/를|를/을|과/와|와/과|으로/로|로/으로|이나/나|나/이나|이라/라|라/이라)\}")

# Sino-Korean digits: 영 일 이 삼 사 오 육 칠 팔 구.
_DIGIT = {"0": CONSONANT, "1": RIEUL, "2": VOWEL, "3": CONSONANT, "4": VOWEL, "5": VOWEL,
          "6": CONSONANT, "7": RIEUL, "8": RIEUL, "9": VOWEL}
# A number ending in zeros ends in its unit: 십, 백, 천, 만 (up to 천만), 억 (up to 천억), 조.
_ZEROS = [CONSONANT, CONSONANT, CONSONANT, CONSONANT, CONSONANT, CONSONANT, CONSONANT,
          CONSONANT, CONSONANT, CONSONANT, CONSONANT, CONSONANT, VOWEL]
# Symbols read as words: 퍼센트, 배, 도, 프라임, 제곱 (3×3 is read through its last digit anyway).
_SYMBOL = {"%": VOWEL, "×": VOWEL, "°": VOWEL, "~": VOWEL, "′": VOWEL, "²": CONSONANT}
# English letter names as Korean says them: 에이 비 씨 디 이 에프 지 에이치 아이 제이 케이 엘 엠 엔 오 피
# 큐 알 에스 티 유 브이 더블유 엑스 와이 지(제트).
_LETTER = {**{c: VOWEL for c in "ABCDEFGHIJKOPQSTUVWXYZ"}, "L": RIEUL, "M": CONSONANT,
           "N": CONSONANT, "R": RIEUL}
# Latin words the app puts before a particle, read as a Korean reader says them.
_WORDS = {
    "resnet": CONSONANT, "net": CONSONANT, "imagenet": CONSONANT, "alexnet": CONSONANT,
    "googlenet": CONSONANT, "plain": CONSONANT, "relu": VOWEL, "tanh": VOWEL,
    "fc": VOWEL, "bn": CONSONANT, "sgd": VOWEL, "adam": CONSONANT, "saliency": VOWEL,
    "occlusion": CONSONANT, "gradients": VOWEL, "grad-cam": CONSONANT, "cam": CONSONANT,
    "vgg": VOWEL, "cifar": VOWEL, "mnist": VOWEL, "digits": VOWEL, "shapes": VOWEL,
    "macs": VOWEL, "flops": VOWEL, "onnx": VOWEL, "lrn": CONSONANT, "pca": VOWEL, "px": VOWEL,
    "xavier": VOWEL, "he": VOWEL, "kaiming": CONSONANT, "inception": CONSONANT, "ray": VOWEL,
    "softmax": VOWEL, "batch": VOWEL, "layer": VOWEL, "conv": VOWEL, "block": CONSONANT,
    "stem": CONSONANT, "gap": CONSONANT, "fan-in": CONSONANT, "fan-out": VOWEL, "goldstein": CONSONANT,
    "belongie": VOWEL, "mnist-fashion": CONSONANT, "fashion-mnist": VOWEL, "shortcut": CONSONANT,
    "k": VOWEL, "m": VOWEL, "g": VOWEL, "t": VOWEL,   # SI prefixes: 킬로 메가 기가 테라
}
_TRAILING_MARKUP = "*_`'\"’” \u00a0"


def final_sound(text: str) -> str | None:
    """How `text` ends when read aloud: VOWEL, CONSONANT, RIEUL, or None if it cannot tell.

    Markup (**bold**, `code`) is skipped; a parenthesis right after a word is skipped too, since
    the particle belongs to the word before it ("네트워크(기준선)와"); a value that is all
    parenthesis, like a shape "(1, 16, 32, 32)", is read through its last item.
    """
    text = text.rstrip(_TRAILING_MARKUP)
    if not text:
        return None
    last = text[-1]
    if last in ")]":
        depth, i = 0, len(text) - 1
        while i >= 0:
            depth += {")": 1, "]": 1, "(": -1, "[": -1}.get(text[i], 0)
            if depth == 0:
                break
            i -= 1
        before = text[:max(i, 0)]
        inside = text[i + 1:-1]
        # An aside right after a word, or a year after an author ("Goldstein (2018)은"), leaves
        # the particle to the word before it; a value in parentheses on its own, or given to a
        # name ("copies=[1,2]는"), is read itself.
        year = re.fullmatch(r"\s*(19|20)\d\d[a-z]?\s*", inside) and before.strip()
        # F(x), N(0, σ²): a function applied, read out; "W_s(BN 포함)" is an aside.
        function = re.search(r"(^|[^\w])[A-Za-z]$", before) and not re.search("[\uac00-\ud7a3]", inside)
        if i > 0 and before and (not before[-1].isspace() and before[-1] not in "=:" or year) and not function:
            return final_sound(before)
        return final_sound(inside)
    if "\uac00" <= last <= "\ud7a3":
        jong = (ord(last) - 0xAC00) % 28
        return VOWEL if jong == 0 else RIEUL if jong == 8 else CONSONANT
    if last in "0123456789":
        return _number(text)
    if last in _SYMBOL:
        return _SYMBOL[last]
    word = re.search(r"[A-Za-z][A-Za-z\-]*$", text)
    if word:
        return _latin(word.group(0))
    return None


def _number(text: str) -> str:
    token = re.search(r"[\d,]*\.?\d+$", text).group(0)
    if "." in token:                      # 3.5: 삼 점 오, read digit by digit after the point
        return _DIGIT[token[-1]]
    digits = token.replace(",", "").lstrip("0")
    if not digits:
        return CONSONANT                  # 영
    zeros = len(digits) - len(digits.rstrip("0"))
    if zeros == 0:
        return _DIGIT[digits[-1]]
    return _ZEROS[min(zeros, len(_ZEROS)) - 1]


def _latin(word: str) -> str:
    key = word.lower()
    if key in _WORDS:
        return _WORDS[key]
    tail = key.rsplit("-", 1)[-1]
    if tail in _WORDS:
        return _WORDS[tail]
    if word.isupper() and len(word) <= 5:          # an acronym, read letter by letter
        return _LETTER[word[-1]]
    # A loanword's usual Korean ending: -m ㅁ, -n/-ng ㄴ/ㅇ, -l ㄹ, -t/-k/-p as 받침 (넷, 블록, 맵);
    # most other endings gain a vowel (-s 스, -d 드, -r 어, -e 이).
    if key.endswith("l"):
        return RIEUL
    if key[-1] in "mntkp":
        return CONSONANT
    return VOWEL


def particle(text: str, pair: str) -> str:
    """The particle of `pair` ("이/가", "은/는", ...) that follows `text`.

    >>> particle("3분", "이/가"), particle("45초", "이/가"), particle("ResNet-20", "은/는")
    ('이', '가', '은')
    >>> particle("8", "으로/로"), particle("6", "으로/로"), particle("2", "과/와")
    ('로', '으로', '와')

    When the reading is unknown the particle is written both ways, "은(는)", the convention
    Korean uses for a word it cannot see.
    """
    a, b = pair.split("/")
    after_consonant, after_vowel = PAIRS[frozenset((a, b))]
    sound = final_sound(text)
    if sound is None:
        return f"{after_consonant}({after_vowel})"
    if after_consonant == "으로":
        return "으로" if sound == CONSONANT else "로"
    return after_consonant if sound in (CONSONANT, RIEUL) else after_vowel


def attach(text: str, marks: dict[str, str]) -> str:
    """Replace each particle mark in `text` (a private sentinel -> its pair, see `mark`) with the
    particle the text before it calls for."""
    out = []
    pos = 0
    for m in _SENTINEL.finditer(text):
        out.append(text[pos:m.start()])
        out.append(particle("".join(out), marks[m.group(0)]))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


_SENTINEL = re.compile("\ue000\\d+\ue001")


def mark(template: str) -> tuple[str, dict[str, str]]:
    """Swap the catalog's particle marks ("{이/가}") for sentinels that str.format leaves alone;
    returns the template and the sentinel -> pair table for `attach`."""
    marks: dict[str, str] = {}

    def swap(m: re.Match) -> str:
        key = f"\ue000{len(marks)}\ue001"
        marks[key] = m.group(1)
        return key

    return MARK.sub(swap, template), marks


def with_particle(value: object, pair: str) -> str:
    """`value` followed by its particle: with_particle("3분", "이/가") -> "3분이"."""
    text = str(value)
    return text + particle(text, pair)

"""One word per meaning in the Korean text: assets/i18n/glossary.json settles each term.

A glossary entry names a meaning (its English pattern, ``match``), the Korean word for it
(``ko``) and the words retired for that meaning (``retired``, regular expressions). A Korean
string fails when its English says the meaning and the Korean uses a retired word, unless that
word is the settled word of another meaning the English also says ("step" may be 단계 even in a
sentence about stages). An entry with an empty ``match`` retires its words everywhere (calques).
"""

import json
import re

import pytest

from ui.page import i18n

GLOSSARY = i18n.I18N_DIR / "glossary.json"


def _glossary() -> dict:
    with GLOSSARY.open(encoding="utf-8") as f:
        return json.load(f)


def _strings():
    for name, entries in i18n.load_files().items():
        if name == GLOSSARY.name:
            continue
        for key, entry in entries.items():
            # Placeholders ({stride}) are values, not words.
            yield name, key, entry["en"], re.sub(r"{[^{}]*}", " ", entry["ko"])


def retired_uses(en: str, ko: str, glossary: dict) -> list[str]:
    """The retired words `ko` uses for a meaning `en` says, as "term: word" strings."""
    said = {code for code, term in glossary.items() if not term["match"] or re.search(term["match"], en, re.I)}
    licensed = {glossary[code]["ko"] for code in said}
    found = []
    for code in said:
        for word in glossary[code]["retired"]:
            hit = re.search(word, ko)
            # Excused only where the hit lies inside a settled word written there ("단계" of
            # 학습 단계 when steps are also meant), not merely because it spells part of one.
            if hit and not any(m.start() <= hit.start() and hit.end() <= m.end()
                               for w in licensed for m in re.finditer(re.escape(w), ko)):
                found.append(f"{code}: {hit.group(0)!r}")
    return found


def test_glossary_entries_are_complete():
    for code, term in _glossary().items():
        assert code.startswith("term."), code
        assert set(term) == {"en", "ko", "match", "retired"}, code
        for word in term["retired"]:
            re.compile(word)
            assert not re.search(word, term["ko"]), f"{code} retires its own word"


def test_no_korean_string_uses_a_retired_word():
    glossary = _glossary()
    bad = [f"{name} {key}: {use}" for name, key, en, ko in _strings() for use in retired_uses(en, ko, glossary)]
    assert not bad, "retired words in Korean text (see assets/i18n/glossary.json):\n" + "\n".join(bad)


def test_the_check_tells_meanings_apart():
    glossary = _glossary()
    assert retired_uses("Training steps", "학습 단계 수", glossary) == []
    assert retired_uses("the first stage", "첫 단계", glossary) == ["term.stage: '단계'"]
    assert retired_uses("a stage of 20 steps", "20단계짜리 스테이지", glossary) == []
    assert retired_uses("gradients do not vanish", "그래디언트가 건강합니다", glossary) == ["term.no_calque: '건강'"]
    assert retired_uses("training error (%)", "학습 오차 (%)", glossary) == ["term.error: '오차'"]
    assert retired_uses("wider", "폭주", glossary) == []
    assert retired_uses("Run the lesion study", "블록 삭제 실험 실행", glossary) == []   # a verb, not a run
    assert retired_uses("Plain run", "플레인 실험", glossary) == ["term.run: '실험'"]


@pytest.mark.parametrize("en, ko, found", [
    # The words issue 24 retired: each is caught where its meaning is said, and only there.
    ("a heat map over the image", "이미지 위에 열지도로", ["term.heatmap: '열지도'"]),
    ("a heat map over the image", "이미지 위에 히트맵로", ["term.heatmap: '히트맵로'"]),
    ("a heat map over the image", "이미지 위에 히트맵으로", []),
    ("the degradation problem", "퇴화 문제", ["term.degradation: '퇴화'"]),
    ("on the Degradation page", "(Degradation) 페이지에서", ["term.degradation: 'Degradation'"]),
    ("runs #3 (plain)", "실행 #3 (플레인)", ["term.run: '실행 #'"]),
    ("Runs: a 16×16 image gives 10 scores", "실행됩니다: 16×16 이미지에서 점수 10개", []),
    ("the stem", "입력부", ["term.stem: '입력부'"]),
    ("pre-act", "사전 활성", ["term.preact: '사전 활성'"]),
    ("pre-activation blocks", "사전 활성화 블록", []),
    ("the two-step path costs more", "두 단계 경로가 더 비쌉니다", ["term.two_step: '단계 경로'"]),
    ("Training plain-8 and ResNet-8", "plain- 와 ResNet-8", ["term.plain: 'plain-'"]),
    ("option A shortcuts", "옵션 A 숏컷", ["term.option: '옵션'"]),
    ("the first layer's gradient", "첫 층의 기울기", ["term.gradient: '기울기'"]),
])
def test_the_retired_words_of_issue_24(en, ko, found):
    assert sorted(retired_uses(en, ko, _glossary())) == sorted(found)


def test_glossary_terms_are_in_the_table():
    table = i18n.table()
    for code, term in _glossary().items():
        assert table[code]["ko"] == term["ko"]

"""One word per meaning in the Korean text: assets/i18n/glossary.json settles each term.

A glossary entry names a meaning (its English pattern, ``match``), the Korean word for it
(``ko``) and the words retired for that meaning (``retired``, regular expressions). A Korean
string fails when its English says the meaning and the Korean uses a retired word, unless that
word is the settled word of another meaning the English also says ("step" may be 단계 even in a
sentence about stages). An entry with an empty ``match`` retires its words everywhere (calques).
"""

import json
import re

from ui import i18n

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
            if hit and not any(hit.group(0) in w for w in licensed):
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


def test_glossary_terms_are_in_the_table():
    table = i18n.table()
    for code, term in _glossary().items():
        assert table[code]["ko"] == term["ko"]

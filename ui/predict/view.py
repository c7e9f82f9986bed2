"""What Predict, then observe draws: a question with its options as buttons (bands for a number),
the measured outcome beside the paper's finding, and the class's tally as counts and bars (never
names)."""

from __future__ import annotations

import math

import streamlit as st

from resnet_core.predict.bank import Question

from ui.draw import bar_charts, style
from ui.page import nav, terms
from ui.page.i18n import in_run_language, lang, t
from ui.training import estimates

VOTE_COLOUR, RIGHT_COLOUR = "#8A94A6", "#2E7D32"


def option_label(q: Question, option: str) -> str:
    return t(f"predict.q.{q.id}.{option}")


def question(q: Question, stored: int | None = None, *, in_class: bool = False) -> None:
    """The question, and what answering it costs: counted at once, the stored result `stored` (a
    finished task with this setup, which a press reuses), or the time its nets take to train.
    `in_class`: a student's page in a class round, which has no Run button (the teacher runs it)."""
    st.markdown(f"### {t(f'predict.q.{q.id}')}")
    if not q.trained:
        st.caption(t("predict.counts"))
        return
    if stored is not None:
        st.caption(f":material/history: {t('predict.stored_class' if in_class else 'predict.stored', id=stored)}")
        return
    planned = q.plan(q.setup)
    ests = estimates.estimates(planned)   # the queue's own estimate (ui/training/estimates.py); the nets train in turn
    if ests:
        st.caption(f":material/timer: {trains_text(len(planned), estimates.seconds_text(sum(e.seconds for e in ests)))}")


def trains_text(n: int, time: str) -> str:
    """What a trained question costs before it runs: one net, or n nets in turn."""
    return t("predict.trains_one", time=time) if n == 1 else t("predict.trains", n=n, time=time)


def options(q: Question, mine: str | None, on_pick, key: str, *, disabled: bool = False) -> None:
    """A button per option (the chosen one filled); a range question also offers its bands as a
    slider. `on_pick(option)` records the choice."""
    if q.kind == "range":
        start = mine if mine in q.options else q.options[len(q.options) // 2]
        picked = st.select_slider(t("predict.pick_range"), q.options, value=start, disabled=disabled,
                                  format_func=in_run_language(lambda o: option_label(q, o)), key=f"{key}_range")
        st.button(t("predict.save_range"), key=f"{key}_save", on_click=on_pick, args=(picked,), disabled=disabled,
                  type="primary" if mine != picked else "secondary")
    else:
        cols = st.columns(len(q.options))
        for col, option in zip(cols, q.options):
            col.button(option_label(q, option), key=f"{key}_{option}", on_click=on_pick, args=(option,),
                       type="primary" if option == mine else "secondary", disabled=disabled, width="stretch")
    st.markdown(t("predict.your_vote", option=option_label(q, mine)) if mine else t("predict.no_vote"))


def tally_chart(q: Question, counts: dict[str, int], answer: str | None = None) -> str:
    """The class's votes per option as bars with their counts; the right option green once known."""
    items = [bar_charts.Bar(option_label(q, o), (bar_charts.Segment(
        t("predict.votes_axis"), counts.get(o, 0), RIGHT_COLOUR if o == answer else VOTE_COLOUR),),
        text=str(counts.get(o, 0))) for o in q.options]
    return bar_charts.bars(items, y_title=t("predict.votes_axis"), title=t("predict.votes_axis"),
                           height=300, width=640)


def _times(x: float | None) -> str:
    """How many times, with "×" in English and 배 in Korean, never both."""
    if x is None or not math.isfinite(x):
        text = "∞"
    elif x >= 1e4:
        text = style.power_text(x, 1)
    else:
        text = f"{x:,.1f}" if x < 100 else f"{x:,.0f}"
    return f"{text}배" if lang() == "ko" else f"{text}×"


def _gradient_ratio(net: dict) -> str:
    """The first layers' gradient against the last ones', in the direction it was measured: layers
    at exactly 0 are counted, a ratio below 1 (the first layers get more) is said as "larger"."""
    if net["zero_layers"] and net["times_smaller"] is None:   # the first layers' gradient is exactly 0
        return t("predict.zero_layers", n=net["zero_layers"])
    x = net["times_smaller"]
    if x is not None and math.isfinite(x) and 0 <= x < 1:   # 0: the last layers got exactly 0
        return t("predict.times_larger", ratio=_times(1 / x if x > 0 else None))
    return t("predict.times_smaller", ratio=_times(x))


def _loss(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def measured_values(q: Question, m: dict) -> dict:
    """The numbers each question's `measured` sentence shows, formatted."""
    if q.id == "degradation":
        loss, err = m["final_train_loss"], m["final_train_error"]
        return {"p20": _loss(loss["plain-20"]), "p56": _loss(loss["plain-56"]), "e20": _pct(err["plain-20"]),
                "e56": _pct(err["plain-56"])}
    if q.id == "lesion":
        p, r = m["nets"]["plain"], m["nets"]["residual"]
        return {"pd": terms.accuracy_change(p["median_drop"]), "rd": terms.accuracy_change(r["median_drop"]), "pa": _pct(p["intact_acc"]),
                "ra": _pct(r["intact_acc"])}
    if q.id == "gradient_ratio":
        return {kind: _gradient_ratio(m[kind]) for kind in ("plain", "residual")}
    if q.id == "macs":
        return {k: style.fmt_macs(v) for k, v in m["macs"].items()}
    if q.id in ("shortcut_c", "shortcut_a"):
        diff = m["c_minus_a"] if q.id == "shortcut_c" else m["a_minus_plain"]
        return {"a": style.fmt_int(m["params"]["A"]), "c": style.fmt_int(m["params"]["C"]),
                "plain": style.fmt_int(m["plain_params"]), "diff": style.fmt_int(diff)}
    if q.id == "gap_size":
        return {"acc_train": _pct(m["acc"][str(m["train_size"])]), "acc_test": _pct(m["acc"][str(m["test_size"])]),
                "bar": _pct(m["beats_chance_above"]), "n": m["n_images"], "train": m["train_size"],
                "test": m["test_size"]}
    if q.id == "bottleneck":
        return {"direct": style.fmt_int(m["direct_macs"]), "bottleneck": style.fmt_int(m["bottleneck_macs"]),
                "ratio": _times(m["ratio"])}
    if q.id == "landscape":
        return {"plain": m["nets"]["plain"]["local_minima_2d"], "residual": m["nets"]["residual"]["local_minima_2d"],
                "grid": m["grid"]}
    return {}


def right_count_text(counts: dict[str, int], answer: str) -> str:
    """How many of the class predicted the answer; a round revealed with no votes says so, never
    "0 of 0 predicted right" (the teacher may reveal a round nobody voted in)."""
    n = sum(counts.values())
    return t("predict.right_count", right=counts.get(answer, 0), n=n) if n else t("predict.no_votes")


def outcome(q: Question, result: dict, mine: str | None, counts: dict[str, int] | None = None) -> None:
    """The answer, whether this user (and how many of the class) predicted it, the measured
    numbers, the paper's finding and a link to the page that shows it in depth."""
    answer = result["answer"]
    with st.container(border=True):
        st.markdown(f"#### {t('predict.result')}")
        st.markdown(t("predict.answer", option=option_label(q, answer)))
        if mine == answer:
            st.success(t("predict.you_right"), icon=":material/check_circle:")
        elif mine:
            st.info(t("predict.you_wrong", option=option_label(q, mine)), icon=":material/lightbulb:")
        if counts is not None:
            st.markdown(right_count_text(counts, answer))
            st.markdown(tally_chart(q, counts, answer), unsafe_allow_html=True)
        st.markdown(t(f"predict.q.{q.id}.measured", **measured_values(q, result["measurement"])))
        st.markdown(f"**{t('predict.finding')}.** {t(f'predict.q.{q.id}.finding')}")
        if nav.exists(q.page):
            st.page_link(nav.file_of(q.page), label=t("predict.more", page=t(f"page.{q.page}.title")),
                         icon=":material/arrow_forward:")

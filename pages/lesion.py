"""Lesion study: delete blocks of a trained plain net and of its residual twin at test time and
watch held-out accuracy (Veit et al. 2016). What the paper found is stated, and whether it held
here is read from the measured drops, never assumed."""

import streamlit as st

from resnet_core.inspection import lesion
from ui import guard, keep, t
from ui.draw import study_charts
from ui.page import presets, terms, verdicts
from ui.page.i18n import words
from ui.training import exports, twins

presets.apply("lesion")
st.title(t("page.lesion.title"))
st.markdown(t("lesion.lead"))

DRAWS = [1, 3, 5, 10]


def findings(result: dict) -> None:
    """The paper's claims, each with the numbers measured here (lesion.verdict, recomputed from
    the stored drops, so a finding always matches the bars above it)."""
    nets = {n["kind"]: n for n in result["nets"]}
    if set(nets) != {"plain", "residual"}:
        return
    plain, residual = nets["plain"], nets["residual"]
    # Stored labels are English ("plain-20"); each language names the net its own way.
    plain_name, residual_name = terms.net_label(plain["label"]), terms.net_label(residual["label"])
    st.subheader(t("lesion.findings"))
    if not result["verdicts"]:
        st.caption(t("lesion.not_twins"))
        return
    verdict = lesion.verdict(plain, residual)
    p, r = verdict["plain"], verdict["residual"]
    tol = f"{lesion.shown_tolerance(residual):.1f}"
    numbers = {
        "residual_robust": dict(drop=terms.accuracy_change(r["median_drop_ordinary"]), net=residual_name,
                                limit=f"{100 * lesion.ROBUST_BELOW:g}"),
        "plain_fragile": dict(drop=terms.accuracy_change(p["median_drop_ordinary"]), net=plain_name,
                              other=terms.accuracy_change(r["median_drop_ordinary"]), limit=f"{100 * lesion.FRAGILE_AT_LEAST:g}",
                              times=lesion.FRAGILE_TIMES),
        "downsampling_hurts": dict(down_change=terms.accuracy_change(r["median_drop_downsampling"]),
                                   ordinary_change=terms.accuracy_change(r["median_drop_ordinary"]), tol=tol),
    }
    for code, outcome in verdict["outcomes"].items():
        text = t(verdicts.key(f"lesion.check.{code}", outcome), **numbers[code])
        if code == "downsampling_hurts":   # a measurement here, not a claim of the paper: no held/not held colour
            st.info(text, icon=":material/info:")
        else:
            verdicts.box(outcome, text)
    worst(residual_name, r, tol)
    if p["undeletable"]:
        st.markdown(t("lesion.undeletable", net=plain_name, blocks=", ".join(study_charts.block_name(b) for b in p["undeletable"])))
    for net, name in ((plain, plain_name), (residual, residual_name)):
        # A net that did not train: its drops (and a "held") say little. Read on the accuracy as
        # shown, to 0.1: 49.96% reads "50.0%" and is not "only" that.
        if float(_pts(net["intact_acc"])) < 50:
            # A plain net deeper than 20 layers: the shallower pair is the fair one (Figure 6);
            # otherwise only more training can help.
            deep = net is plain and plain.get("depth", 0) > 20
            st.info(t("lesion.plain_untrained.deep" if deep else "lesion.plain_untrained", net=name,
                      acc=_pts(net["intact_acc"]), depth=net.get("depth", "")), icon=":material/info:")
    other = twins.known_not_twins(plain["run_id"], residual["run_id"])
    if verdict["held"]:   # not twins: the difference may come from more than the shortcuts
        st.markdown(t("lesion.held.other" if other else "lesion.held"))
    elif other:
        st.markdown(t("lesion.not_held.other"))   # not twins: one net's steps and data would mislead
    else:
        st.markdown(t("lesion.not_held", steps=plain.get("train_steps", ""),
                      dataset=t(f"landscape.dataset.{plain.get('dataset')}")))


def worst(name: str, summary: dict, tol: str) -> None:
    """The block(s) the net could least do without, named as the bars name them; blocks whose
    drops are within the tolerance of the largest are named together, not ranked."""
    blocks = summary["worst_blocks"]
    if not blocks:
        return
    drops = summary["drops"]   # each the difference of the accuracies as the chart shows them
    # Only deletions that lowered accuracy are named, and only when every block tied with the
    # worst did: a drop within the tolerance of a deletion that raised accuracy, or left it as it
    # was, cannot be told from no harm, so no block stands out to be named.
    if any(float(_pts(drops[b])) <= 0 for b in blocks):
        return
    if len(blocks) == 1:
        kind = "down" if blocks[0] in summary["downsampling_blocks"] else "ordinary"
        st.markdown(t("lesion.worst.one", net=name, block=study_charts.block_name(blocks[0]),
                      drop=_pts(drops[blocks[0]]), kind=t(f"lesion.kind.{kind}")))
    else:
        top, low = _pts(drops[blocks[0]]), _pts(drops[blocks[-1]])
        # Drops shown alike read "−2.3 each", not a range "−2.3 to −2.3".
        st.markdown(t("lesion.worst.tied.same" if top == low else "lesion.worst.tied", net=name,
                      blocks=", ".join(study_charts.block_name(b) for b in blocks), drop=top, low=low, tol=tol))


def _pts(v) -> str:
    return study_charts.pct_text(v)   # as the bars and the intact line show it


def show(result: dict) -> None:
    nets, charted = terms.study_nets(result)
    st.subheader(t("lesion.single_title"))
    st.caption(t("lesion.single_help"))
    st.plotly_chart(study_charts.single_deletions(charted, words(study_charts.WORDS)), config=exports.png_config("lesion-single-deletions"),
                    key="lesion_single_chart")
    st.subheader(t("lesion.k_title"))
    st.caption(t("lesion.k_help.one") if result["draws"] == 1 else t("lesion.k_help", draws=result["draws"]))
    st.plotly_chart(study_charts.k_curve(charted, words(study_charts.WORDS)), config=exports.png_config("lesion-k-deletions"), key="lesion_k_chart")
    findings(result)
    st.caption(terms.study_measured("lesion.measured", nets, "n_test", seconds=f"{result['seconds']:.1f}",
                                    device=terms.device_name(result["device"])))


with guard():
    trained = twins.study_intro("lesion")
    if trained:
        draws = st.select_slider(t("lesion.draws"), DRAWS, 5, help=t("lesion.draws_help"), **keep("lesion_draws"))
        result = twins.study_ui("lesion", "lesion", trained, {"draws": int(draws), "seed": 0})
        if result:
            show(result)
    st.divider()
    st.markdown(t("lesion.paper"))

"""Event study page, impact section (AppTest on the demo database): the sentence, the
counterfactual band on the study chart, the two-panel impact chart, the controls chooser and
a refusal shown as a sentence."""

from __future__ import annotations

from app_helpers import figure, open_page

PAGE = "app_pages/study.py"


def _text(at) -> str:
    return " ".join(m.value for m in at.markdown).replace("\\", "")


def test_impact_is_shown_for_the_app_the_event_moved_most(demo_env):
    at = open_page(PAGE)
    assert not at.exception
    # The demo's key event is Fri 27 Feb 2026: ChatGPT (peak +327%) is studied, not Claude.
    assert at.selectbox(key="st_imp_app").value == "ChatGPT"
    assert (
        "From 27 Feb to 12 Mar 2026, ChatGPT (US, iOS+Android) uninstalls were 82,000 above "
        "what the four weeks before predicted (95% interval 78,000 to 86,000)." in _text(at)
    )
    study, impact = figure(at, 0), figure(at, 1)
    # The counterfactual band on the study chart: ChatGPT's expected series, in % of its
    # reference, on the 14 post days 0..+13 (the page's "Days after"; the study shows +14 too).
    expected = [t for t in study["data"] if t.get("meta", {}).get("role") == "expected"]
    assert [t["name"] for t in expected] == ["ChatGPT: expected, 95% band"]
    assert expected[0]["x"] == list(range(14))
    bands = [t for t in study["data"] if t.get("meta", {}).get("role") == "band"]
    assert len(bands) == 2 and bands[1]["fill"] == "tonexty"
    # The impact chart: two panels, daily (actual, expected, band) and cumulative.
    assert "yaxis2" in impact["layout"]
    roles = [t.get("meta", {}).get("role") for t in impact["data"]]
    assert roles.count("band") == 4 and "cumulative" in roles and "expected" in roles
    cumulative = next(t for t in impact["data"] if t.get("meta", {}).get("role") == "cumulative")
    assert len(cumulative["x"]) == 14 and cumulative["yaxis"] == "y2"
    assert any("Expected had nothing happened" in c.value for c in at.caption)


def test_controls_chooser_adjusts_the_expectation(demo_env):
    at = open_page(PAGE)
    at.multiselect(key="st_imp_controls_ChatGPT").set_value(["Gemini", "Copilot"]).run()
    assert not at.exception
    text = _text(at)
    assert "(difference-in-differences with Gemini and Copilot; 95% interval" in text
    assert "Gemini and Copilot, used as controls, moved by under 5%" in text
    at.radio(key="st_imp_method").set_value("synthetic").run()
    assert not at.exception
    assert "(synthetic control from Gemini and Copilot; 95% interval" in _text(at)
    controls = at.dataframe[-1].value
    assert controls["app"].to_list() == ["Gemini", "Copilot"]


def test_a_control_the_event_moved_is_refused_with_a_sentence(demo_env):
    at = open_page(PAGE)
    at.multiselect(key="st_imp_controls_ChatGPT").set_value(["Claude"]).run()
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]
    assert errors and errors[0].startswith("Claude, proposed as a control, moved too: +69%")
    # The study itself is still there, without a band.
    study = figure(at, 0)
    assert not [t for t in study["data"] if t.get("meta", {}).get("role") == "expected"]

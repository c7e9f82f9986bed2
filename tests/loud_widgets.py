"""AppTest sends a segmented control's or pills' value as its label, made with the page's
format_func OUTSIDE the page's run. A format_func that translates without ui.page.i18n's
in_run_language (label_of uses it) speaks English there; on a Korean page that label is not among
the shown options, and the page silently keeps the control's old value: a test that picks a
section of a Korean page would read the first section and still pass (a selectbox or radio raises
"... is not in list" instead). Installed for the AppTest files (conftest.py), this makes the silent
case fail as loudly, naming the fix."""

from streamlit.testing.v1 import element_tree


def install() -> None:
    group = element_tree.ButtonGroup
    if getattr(group, "_loud", False):
        return
    sent = group._widget_state

    def widget_state(self):
        if not isinstance(self._value, element_tree.InitialValue):   # set by the test, not by the page
            lost = [label for label in self.formatted_values if label not in self.options]
            if lost:
                raise ValueError(
                    f"{self.key}: {lost} is not among the shown options {list(self.options)}; the page "
                    "would keep its old value. Make the page's format_func with i18n.label_of or wrap it "
                    "in i18n.in_run_language, so it speaks the page's language after the run too")
        return sent.fget(self)

    group._widget_state = property(widget_state)
    group._loud = True

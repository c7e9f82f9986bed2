"""ResNet Explorer: the router. Page config, language, navigation; each page lives in pages/.

To add a page: add its url_path to its section in ui/page/nav.py SECTIONS (see docs/pages.md).

The navigation is set before anything imports torch: until a run calls ``st.navigation``,
Streamlit treats the ``pages/`` folder as its old file-list menu, and that list would stay in the
sidebar for the seconds torch takes to load. So only Streamlit and the text table load first
(``ui.page.nav``, ``ui.page.i18n``); the helpers that need torch are imported after the
navigation is set.
"""

import streamlit as st

from ui.page import nav
from ui.page.i18n import init_lang, language_toggle, t

st.set_page_config(page_title="ResNet Explorer", page_icon=":material/hub:", layout="wide")
init_lang()

# Each section of ui.page.nav.SECTIONS, its pages from pages/<url_path>.py.
sections = {t(title) if title else "": [nav.page(f"pages/{code}.py", code, default=code == "home") for code in codes]
            for title, codes in nav.SECTIONS.items()}
# Every page listed: a collapsed menu hides the last four behind Streamlit's own "View 4 more",
# which stays English on the Korean page.
pg = st.navigation({name: pages for name, pages in sections.items() if pages}, expanded=True)

# From here on torch may load: the sidebar already shows the app's own navigation. One thread
# at a time imports it (ui/server/startup.py): sessions that import side by side can get
# half-built modules.
from ui.server import startup  # noqa: E402

startup.load("ui.training.exports", "ui.training.progress", "ui.training.page_runs", "ui.draw.outline",
             "ui.classroom.teacher", "ui.users.identity", "ui.page.links")
from ui.classroom import projector, teacher  # noqa: E402
from ui.page import figures, links, share  # noqa: E402
from ui.server import preload, shared  # noqa: E402
from ui.users import follow, identity  # noqa: E402

from resnet_core import settings  # noqa: E402
from ui.page.errors import config_text, guard  # noqa: E402

bad_settings = settings.problems()   # a server setting out of range: say which, never a traceback
for bad in bad_settings:
    st.error(t("settings.bad", msg=config_text(bad)), icon=":material/tune:")
if bad_settings:
    st.stop()
startup.settle()   # once per process: no full garbage collection per script run (see ui/server/startup.py)
links.open_short()  # a short link (?s=code) becomes the settings it stands for
identity.owner()    # keeps ?u= in the URL on every page, so a reload anywhere finds the user's runs
shared.runner()   # the first visit starts the training workers, so the first run need not wait for them
figures.page_css()   # phone and projector layout (assets/layout.css)
language_toggle()
teacher.sidebar()   # only when the server has a teacher key (ui/classroom/teacher.py)
follow.follow_toggle()             # a student may follow the teacher's projector
follow.follow(pg.url_path or "home")   # ... and is taken to the teacher's page and settings
projector.apply()   # the teacher's projector view, when switched on (ui/classroom/projector.py)
follow.watch()  # at the top: the teacher's pause, within a second, without a click
# What fails before a page's own guard (its imports: a file changed under a running server) is
# said in the reader's language, the sidebar still working; Streamlit's own message is English.
with guard("error.page"):
    pg.run()
links.report()      # a link value a widget would not take is named, and the address put right
follow.publish_view()   # the teacher's page and settings, for those who follow
share.box()         # the page's settings as one link, a short one and a QR code (ui/page/share.py)
preload.charts()    # last on the page: once the browser is idle, plotly's code loads for the next page

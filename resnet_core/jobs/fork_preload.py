"""Imported by the fork server alone, first of its preloaded modules (resnet_core.jobs.forkserver),
never by the app.

A forked worker is handed the parent's preparation data, which names the parent's ``__main__``
script, and multiprocessing runs that script again in the child before the worker's function.
While Streamlit runs a page, its script runner installs the page script as ``__main__``, so a
worker started from a page would run the page again: a second app in every worker, which tries to
start a pool of its own mid-import ("could not start a training worker" in the server's log).
A worker runs resnet_core.jobs.worker.serve_forked and needs nothing from any ``__main__``, so
in the fork server, and therefore in every fork of it, the parent's main module is not re-run.
"""

import multiprocessing.spawn


def _keep_own_main(_name_or_path: str) -> None:
    return None


multiprocessing.spawn._fixup_main_from_path = _keep_own_main
multiprocessing.spawn._fixup_main_from_name = _keep_own_main

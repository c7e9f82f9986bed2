"""Running a websocket test's coroutine from a test: in a thread and event loop of its own,
because this process may already run Playwright's loop (the browser tests' session fixture) and
asyncio.run refuses to start inside a running loop."""

import asyncio
import threading


def run_apart(coroutine):
    """asyncio.run(coroutine) in its own thread; its result, or its exception raised here."""
    out: dict = {}

    def run() -> None:
        try:
            out["result"] = asyncio.run(coroutine)
        except BaseException as exc:   # handed to the test's thread, which reports it
            out["error"] = exc

    thread = threading.Thread(target=run, name="websocket-test")
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out.get("result")

"""Explore speed in a real browser: a control change until the charts are drawn again, and
an export dropped on the Import page until Overview shows its charts.

    python bench/make_export.py /tmp/bexp300k --plays 300000 --zip
    python bench/browser_explore_bench.py --export /tmp/bexp300k.zip [--old /tmp/wt-old]

For each version of the code (this repository, and with ``--old`` another checkout of it, in
turn), a fresh server with an empty store: the zip is uploaded on the Import page and the
clock runs from the Import button to the Overview page showing its charts (the import, the
first visit after it, the browser drawing them). Then, on Overview, the custom stream
threshold is set to values no earlier run used and the clock runs from the key press until
the rerun has finished and every chart is drawn; then podcasts, audiobooks and videos are
added to the content one at a time, timed the same way; then Habits and Discovery are opened
in turn and the last content type chosen is taken away on each (their sessions and first
listens over several content types), timed the same way. Median of ``--repeat`` runs each.

Targets (issue 17, 300k plays): a control change <= 0.5 s, import to Overview <= 8 s.
Uses the tests' browser helpers (tests/browser.py): Debian's Chromium, never a download.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import browser  # noqa: E402


def _until_redrawn(page, act) -> float:
    """Seconds from ``act()`` (a key press) until the rerun it starts has finished and the
    page's charts are drawn."""
    with browser.one_rerun(page, timeout=60_000):
        start = time.perf_counter()
        act()
    browser.expect_charts_rendered(page, min_count=2)
    return time.perf_counter() - start


def bench_code(repo: Path, export: Path, chromium) -> dict[str, list[float]]:
    """Time one import and three control changes against the code in ``repo`` (a fresh
    server and store each call, so no value of a change is cached from an earlier call)."""
    from playwright.sync_api import expect

    browser.REPO = repo  # start_app runs `streamlit run Home.py` in this folder
    timings: dict[str, list[float]] = {"import until Overview is drawn": [], "control change until redrawn": [],
                                       "content added until redrawn": [], "Habits, Discovery: content type removed": []}
    with tempfile.TemporaryDirectory(prefix="encore-browser-bench-") as workdir:
        app = browser.start_app(Path(workdir))
        try:
            page = app.new_page(chromium)
            page.goto(f"{app.url}/import")
            main = page.get_by_test_id("stMain")
            uploader = page.get_by_test_id("stFileUploader").filter(has_text="Export zip, or JSON / CSV files from it")
            uploader.locator("input[type=file]").set_input_files(str(export))
            expect(uploader.get_by_text(export.name)).to_be_visible(timeout=120_000)
            button = main.get_by_role("button", name="Import", exact=True)
            expect(button).to_be_enabled()
            start = time.perf_counter()
            button.click()
            success = page.get_by_test_id("stAlert").filter(has_text=re.compile(r"^\s*Imported into profile"))
            expect(success).to_be_visible(timeout=300_000)
            browser.sidebar_link(page, "Overview").click()
            expect(main.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=120_000)
            browser.wait_for_app_run(page, timeout=120_000)
            browser.expect_charts_rendered(page, min_count=2, timeout=120_000)
            timings["import until Overview is drawn"].append(time.perf_counter() - start)

            sidebar = page.get_by_test_id("stSidebar")
            with browser.one_rerun(page, timeout=60_000):
                sidebar.get_by_text("Custom threshold", exact=True).click()
            browser.expect_charts_rendered(page, min_count=2)
            seconds = sidebar.get_by_label("Seconds", exact=True)
            for value in (31, 32, 33):  # values no earlier change in this server used
                seconds.fill(str(value))
                timings["control change until redrawn"].append(_until_redrawn(page, lambda: seconds.press("Enter")))
            content = sidebar.get_by_test_id("stMultiSelect").get_by_role("combobox")
            for kind in ("podcast", "audiobook", "video"):  # three content choices no earlier change made
                content.click()
                content.fill(kind)
                timings["content added until redrawn"].append(_until_redrawn(page, lambda: page.keyboard.press("Enter")))
                page.keyboard.press("Escape")
            # Habits and Discovery (sessions and first listens over several content types):
            # each opened, then the last content type chosen taken away
            for name in ("Habits", "Discovery"):
                browser.sidebar_link(page, name).click()
                expect(main.get_by_role("heading", name=name, exact=True)).to_be_visible(timeout=120_000)
                browser.wait_for_app_run(page, timeout=120_000)
                browser.expect_charts_rendered(page, min_count=2, timeout=120_000)
                content.click()
                timings["Habits, Discovery: content type removed"].append(
                    _until_redrawn(page, lambda: page.keyboard.press("Backspace")))
                page.keyboard.press("Escape")
            assert page.get_by_test_id("stException").count() == 0, "the page raised"
        finally:
            browser.stop_app(app)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--export", type=Path, required=True, help="an export zip (make_export.py --zip)")
    parser.add_argument("--old", type=Path, help="another checkout of Encore to time in turn (e.g. a worktree)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    versions = [("this code", REPO)] + ([("old code", args.old.resolve())] if args.old else [])
    results: dict[str, dict[str, list[float]]] = {name: {} for name, _ in versions}
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=browser.chromium_path(), headless=True,
                                      args=browser.CHROMIUM_ARGS)
        try:
            for _ in range(args.repeat):  # old and new in turn, one run each, so drift hits both alike
                for name, repo in versions:
                    for label, runs in bench_code(repo, args.export, chromium).items():
                        results[name].setdefault(label, []).extend(runs)
        finally:
            chromium.close()
    print(f"export: {args.export}; median of {args.repeat} imports, {3 * args.repeat} threshold changes, "
          f"{3 * args.repeat} content types added on Overview and {2 * args.repeat} taken away on Habits and "
          "Discovery\n")
    for name, _ in versions:
        for label, runs in results[name].items():
            print(f"{name:<10} {label:<40} {statistics.median(runs):6.2f} s   runs: "
                  + ", ".join(f"{r:.2f}" for r in runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

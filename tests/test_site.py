"""The course site (`make site`): built offline from the committed notebooks, checked in Chromium.

The fast tests check the Sphinx extension's generated Markdown (course map, latest run). The
browser tests build the site first (an incremental Sphinx build: under ten seconds of CPU when
nothing changed, so a stale site is never what gets checked), serve it on 127.0.0.1 and load every page once in headless Chromium; each property
(no failed request, no console error, nothing fetched from another host, every image loaded,
maths rendered, every internal link and anchor resolving, search working) is its own test over
those loads. Screenshots of three pages go to _build/site-screenshots/ for a person to look at.
"""

import dataclasses
import html.parser
import importlib.util
import os
import subprocess
import sys
import time
import urllib.parse

import pytest

from browser import BrowserMissing, chromium, serve_folder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
SITE = os.path.join(ROOT, "_build", "site")
SCREENSHOTS = os.path.join(ROOT, "_build", "site-screenshots")
# The same command as `make site`.
BUILD = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", DOCS, SITE]
SCREENSHOT_PAGES = {"index.html": "landing.png",
                    "notebooks/03_mlp_backpropagation.html": "notebook-03-maths.png",
                    "api/layers.html": "api-layers.png"}
# Console messages a page may log without anything being wrong: (fragment, why it is harmless).
# Empty today; an entry needs its reason.
CONSOLE_ALLOWED = ()

# Truthy once the page's own scripts are done: lazy images told to load now and loaded, and
# MathJax finished typesetting when the page has maths.
READY = """(() => {
  document.querySelectorAll('img[loading="lazy"]').forEach(i => { i.loading = 'eager'; });
  if (!Array.from(document.images).every(i => i.complete)) return false;
  if (!document.querySelector('.math')) return true;
  if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return false;
  if (!window.__siteTypeset) {
    window.__siteTypeset = 'waiting';
    MathJax.startup.promise.then(() => { window.__siteTypeset = 'done'; });
  }
  return window.__siteTypeset === 'done';
})()"""
# Per page: images that did not load, math elements MathJax left alone, and raw TeX in text
# outside code, preformatted output and typeset maths.
INSPECT = """
const broken = Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))
  .map(i => i.currentSrc || i.src);
const maths = document.querySelectorAll('span.math, div.math');
const untypeset = Array.from(maths).filter(m => !m.querySelector('mjx-container'))
  .map(m => m.textContent.slice(0, 80));
const skip = new Set(['SCRIPT', 'STYLE', 'PRE', 'CODE', 'TEXTAREA', 'MJX-CONTAINER', 'KBD', 'SAMP']);
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode(node) {
  for (let e = node.parentElement; e; e = e.parentElement) {
    if (skip.has(e.tagName) || e.classList.contains('highlight')) return NodeFilter.FILTER_REJECT;
  }
  return NodeFilter.FILTER_ACCEPT;
}});
const raw = [];
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const t = n.textContent;
  if (t.includes('$$') || t.includes('\\\\frac')) raw.push(t.trim().slice(0, 80));
}
return {broken, maths: maths.length, typeset: document.querySelectorAll('mjx-container').length,
        untypeset, raw};
"""


def _extension():
    path = os.path.join(DOCS, "_ext", "course_site.py")
    spec = importlib.util.spec_from_file_location("course_site", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


course_site = _extension()


# --- the generated Markdown (no build, no browser) ------------------------------------------

def test_course_map_lists_every_notebook_once_under_its_unit():
    from dlcourse_keras.course import catalogue

    text = course_site.course_map_markdown(catalogue.NOTEBOOKS)
    for nb in catalogue.NOTEBOOKS:
        assert text.count(f"](notebooks/{nb.filename})") == 1, nb.filename
    assert text.count("### Unit ") == 5
    assert text.index("Unit IV") < text.index("09_cnn_architectures") < text.index("Unit V")
    assert "| 13 | [Encoder-decoder translation](notebooks/13_translation.ipynb) |" in text


def test_course_map_refuses_units_that_do_not_partition_the_catalogue():
    from dlcourse_keras.course import catalogue

    units = course_site.UNITS
    with pytest.raises(ValueError, match=r"ids in no unit \['13'\]"):
        course_site.course_map_markdown(catalogue.NOTEBOOKS, units[:-1] + (("V", "x", ("11", "12")),))
    with pytest.raises(ValueError, match=r"ids in two units \['00'\]"):
        course_site.course_map_markdown(catalogue.NOTEBOOKS, units + (("VI", "x", ("00",)),))
    with pytest.raises(ValueError, match=r"unknown ids \['99'\]"):
        course_site.course_map_markdown(catalogue.NOTEBOOKS, units + (("VI", "x", ("99",)),))


def test_latest_run_without_a_report_says_how_to_make_one_and_invents_nothing():
    text = course_site.latest_run_markdown(None)
    assert "make run" in text and "make site" in text
    assert not any(ch.isdigit() for ch in text.replace("report.json", ""))


def test_latest_run_shows_the_report_as_recorded():
    report = {
        "profile": "full", "state": "complete", "started": "2026-01-02T03:04:05+00:00",
        "ok": 1, "failed": 1, "not_finished": 0,
        "machine": {"cpu_count": 2, "versions": {"tensorflow": "2.21.0", "keras": "3.12.0"}},
        "notebooks": [
            {"id": "09", "title": "CNN architectures", "status": "ok", "seconds": 633.7,
             "metrics": [{"name": "fashion_best_test_accuracy", "value": 0.92114, "target": 0.92,
                          "goal": "max", "met": True},
                         {"name": "epochs", "value": 8}]},
            {"id": "13", "title": "Encoder-decoder translation", "status": "failed", "seconds": 90.0,
             "metrics": [{"name": "test_bleu", "value": None, "nonfinite": "nan", "target": 30,
                          "goal": "max", "met": False}]},
        ],
    }
    text = course_site.latest_run_markdown(report)
    assert "| 09 | CNN architectures | ok | 10.6 | `fashion_best_test_accuracy` | 0.9211 | >= 0.92 | yes |" in text
    assert "|  |  |  |  | `epochs` | 8 |  |  |" in text
    assert "| 13 | Encoder-decoder translation | failed | 1.5 | `test_bleu` | nan | >= 30 | **no** |" in text
    assert "1 ok, 1 failed" in text and "TensorFlow 2.21.0" in text
    assert "{warning}" not in text
    smoke = course_site.latest_run_markdown(dict(report, profile="smoke"))
    assert "{warning}" in smoke and "not a complete full-profile run" in smoke


def test_landing_page_markers_are_filled_or_the_build_stops():
    from dlcourse_keras.course import catalogue

    with open(os.path.join(DOCS, "index.md"), encoding="utf-8") as f:
        source = f.read()
    filled = course_site.fill_landing_page(source, catalogue.NOTEBOOKS, None, exercises_present=False)
    assert "<!--" not in filled and "EXERCISES" not in filled
    assert "\nexercises\n" not in filled and "(exercises.md)" not in filled
    with_exercises = course_site.fill_landing_page(source, catalogue.NOTEBOOKS, None, True)
    assert "\nexercises\n" in with_exercises and "\n* [Exercises](exercises.md)" in with_exercises
    with pytest.raises(ValueError, match="course-map"):
        course_site.fill_landing_page(source.replace(course_site.MAP_MARKER, ""),
                                      catalogue.NOTEBOOKS, None, False)


def test_landing_page_is_reread_when_the_report_or_the_exercises_page_changes(tmp_path):
    report = tmp_path / "report.json"
    first = course_site.landing_page_inputs(str(tmp_path), str(report))
    assert course_site.landing_page_inputs(str(tmp_path), str(report)) == first
    report.write_text('{"profile": "full"}')
    second = course_site.landing_page_inputs(str(tmp_path), str(report))
    (tmp_path / "exercises.md").write_text("# Exercises")
    third = course_site.landing_page_inputs(str(tmp_path), str(report))
    assert len({first, second, third}) == 3


def test_verbatim_docstrings_expire_once_fixed():
    known = {"pkg.f": "|y| **"}
    lines = ["parsed"]
    assert course_site.verbatim_docstring("pkg.g", "x", lines, known) is None and lines == ["parsed"]
    assert course_site.verbatim_docstring("pkg.f", "a\n|y| ** 2", lines, known) is None
    assert lines == ["::", "", "    a", "    |y| ** 2", ""]
    message = course_site.verbatim_docstring("pkg.f", "fixed", ["x"], known)
    assert "pkg.f" in message and "delete its entry" in message


def _public_modules():
    package = os.path.join(ROOT, "dlcourse_keras")
    return {n[:-3] if n.endswith(".py") else n for n in os.listdir(package)
            if not n.startswith(("_", ".")) and (n.endswith(".py") or os.path.isfile(os.path.join(package, n, "__init__.py")))}


def test_api_reference_has_a_page_for_every_public_module_but_the_course_machinery(tmp_path):
    modules = [m for m, _, _ in course_site.api_modules()]
    assert len(modules) == len(set(modules))
    assert set(modules) == _public_modules() - set(course_site.API_EXCLUDED)
    assert {"word_vectors", "bootstrap", "text_splits", "plots", "device"} <= set(modules)
    assert set(course_site.API_EXCLUDED) == {"course"}
    course_site.write_api_pages(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == sorted(["index.md"] + [f"{m}.rst" for m in modules])
    index = (tmp_path / "index.md").read_text()
    for m in modules:
        assert f"[`dlcourse_keras.{m}`]({m}.rst)" in index and f"\n{m}\n" in index


def test_a_new_module_gets_an_api_page_without_being_listed(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "_private.py").write_text("")
    (package / "listed.py").write_text('"""Listed."""')
    (package / "new_thing.py").write_text('"""Does a new thing.\n\nMore text."""')
    (package / "sub" / "__init__.py").write_text('"""A subpackage."""')
    (package / "machinery.py").write_text("")
    found = course_site.api_modules(str(package), known=(("listed", "Listed", "listed one"),),
                                    excluded={"machinery": "documented elsewhere"})
    assert found == [("listed", "Listed", "listed one"), ("new_thing", "New thing", "Does a new thing."),
                     ("sub", "Sub", "A subpackage.")]
    with pytest.raises(ValueError, match="gone"):
        course_site.api_modules(str(package), known=(("gone", "Gone", "x"),), excluded={})
    with pytest.raises(ValueError, match="missing"):
        course_site.api_modules(str(package), known=(), excluded={"missing": "x"})


def test_readme_package_table_names_only_homes_that_exist_and_every_subpackage():
    import re

    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    table = readme[readme.index("| home | what |"):]
    table = table[:table.index("\n\n")]
    homes = [h for row in table.splitlines()[2:] for h in re.findall(r"`([a-z_]+/?)`", row.split("|")[1])]
    package = os.path.join(ROOT, "dlcourse_keras")
    for home in homes:
        path = os.path.join(package, home.rstrip("/"))
        assert (os.path.isdir(path) if home.endswith("/") else os.path.isfile(path + ".py")), home
    subpackages = {d + "/" for d in os.listdir(package)
                   if not d.startswith(("_", ".")) and os.path.isfile(os.path.join(package, d, "__init__.py"))}
    assert subpackages <= set(homes), sorted(subpackages - set(homes))


# --- the built site in a browser ------------------------------------------------------------

@pytest.fixture(scope="session")
def site():
    """The built site: Sphinx builds it (incrementally, warnings as errors) before the tests."""
    start = time.monotonic()
    result = subprocess.run(BUILD, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"the site does not build (exit {result.returncode}):\n"
                    f"{result.stdout[-4000:]}\n{result.stderr[-6000:]}")
    print(f"\nsite build: {time.monotonic() - start:.1f} s")
    return SITE


def _pages(site):
    pages = []
    for directory, folders, files in os.walk(site):
        folders[:] = sorted(f for f in folders if not f.startswith("_"))
        rel = os.path.relpath(directory, site)
        pages += [os.path.normpath(os.path.join(rel, f)).replace(os.sep, "/")
                  for f in sorted(files) if f.endswith(".html")]
    return pages


@dataclasses.dataclass
class Loaded:
    log: object
    broken_images: list
    maths: int
    typeset: int
    untypeset: list
    raw_tex: list


@pytest.fixture(scope="session")
def browser():
    try:
        with chromium() as b:
            yield b
    except BrowserMissing as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def served(site):
    with serve_folder(site) as base:
        yield base


@pytest.fixture(scope="session")
def loaded(site, served, browser):
    """Every page loaded once in Chromium, with what it did; three screenshots taken."""
    results, start = {}, time.monotonic()
    for page in _pages(site):
        log = browser.open(served + page, ready=READY)
        found = browser.driver.execute_script(INSPECT)
        results[page] = Loaded(log, found["broken"], found["maths"], found["typeset"],
                               found["untypeset"], found["raw"])
        if page in SCREENSHOT_PAGES:
            path = os.path.join(SCREENSHOTS, SCREENSHOT_PAGES[page])
            if page.startswith("notebooks/"):  # the viewport at the first displayed equation
                browser.driver.execute_script(
                    "const m = document.querySelector('div.math');"
                    "if (m) { m.scrollIntoView({block: 'center'}); }")
                browser.screenshot(path, full_page=False)
            else:
                browser.screenshot(path, full_page=page == "index.html")
    requests = sum(len(r.log.requests) for r in results.values())
    print(f"\nbrowser: {len(results)} pages, {requests} requests, "
          f"{sum(r.typeset for r in results.values())} equations typeset, "
          f"{time.monotonic() - start:.1f} s")
    return results


def test_harness_sees_what_a_bad_page_does(tmp_path, browser):
    """The checks below can fail: a page that breaks each rule is caught by each one."""
    (tmp_path / "bad.html").write_text(
        "<!doctype html><html><head><link rel='icon' href='data:,'></head><body><p>$$x$$</p>"
        "<img src='https://example.com/logo.png'><img src='missing.png'>"
        "<a href='gone.html#nowhere'>x</a><script>console.error('deliberate')</script></body></html>")
    with serve_folder(tmp_path) as base:
        log = browser.open(base + "bad.html", ready=READY)
        found = browser.driver.execute_script(INSPECT)
    assert log.external_requests() == ["https://example.com/logo.png"]
    assert {(u.rsplit("/", 1)[-1], r) for u, r in log.failures} >= {
        ("logo.png", "net::ERR_NAME_NOT_RESOLVED"), ("missing.png", "HTTP 404")}
    assert any("deliberate" in m for m in log.console_errors)
    assert len(found["broken"]) == 2 and found["raw"] == ["$$x$$"]


def test_site_has_every_notebook_guide_and_api_page(site):
    from dlcourse_keras.course import catalogue

    pages = set(_pages(site))
    for nb in catalogue.NOTEBOOKS:
        assert f"notebooks/{nb.filename[:-6]}.html" in pages
    for name in ("index", "running", "data", "long-trainings", "versions", "contributing", "search",
                 "api/index", *(f"api/{m}" for m, _, _ in course_site.api_modules())):
        assert f"{name}.html" in pages, name
    assert os.path.isfile(os.path.join(site, "_static", "mathjax", "tex-chtml.js"))


def test_every_page_loads_without_failed_requests(loaded):
    failures = {p: r.log.failures for p, r in loaded.items() if r.log.failures}
    assert failures == {}


def test_no_page_logs_a_console_error(loaded):
    def unexplained(message):
        return not any(fragment in message for fragment, _ in CONSOLE_ALLOWED)

    errors = {p: [m for m in r.log.console_errors if unexplained(m)] for p, r in loaded.items()}
    assert {p: m for p, m in errors.items() if m} == {}


def test_no_request_leaves_the_machine(loaded):
    external = {p: r.log.external_requests() for p, r in loaded.items() if r.log.external_requests()}
    assert external == {}
    assert all(r.log.requests[0].startswith("http://127.0.0.1:") for r in loaded.values())


def test_every_image_loaded(loaded):
    assert {p: r.broken_images for p, r in loaded.items() if r.broken_images} == {}
    badge = loaded["notebooks/03_mlp_backpropagation.html"].log.requests
    assert any(u.endswith("/_images/colab-badge.svg") for u in badge), "the local Colab badge"


def test_maths_is_typeset_and_no_raw_tex_is_left(loaded):
    assert {p: r.untypeset for p, r in loaded.items() if r.untypeset} == {}
    assert {p: r.raw_tex for p, r in loaded.items() if r.raw_tex} == {}
    with_maths = {p for p, r in loaded.items() if r.maths}
    # 03 prints its worked example with display(Markdown("$$...$$")): rendered as MyST
    assert loaded["notebooks/03_mlp_backpropagation.html"].typeset >= 100
    assert {"notebooks/02_gradient_descent_and_losses.html", "notebooks/11_recurrent_networks.html"} <= with_maths


def test_notebook_pages_offer_colab_and_download(loaded, site):
    from dlcourse_keras.course import catalogue

    for nb in catalogue.NOTEBOOKS:
        with open(os.path.join(site, "notebooks", nb.filename[:-6] + ".html"), encoding="utf-8") as f:
            text = f.read()
        assert f'href="{nb.colab_url}"' in text, f"{nb.filename}: no Colab button to {nb.colab_url}"
        assert f'href="../_sources/notebooks/{nb.filename}"' in text, f"{nb.filename}: no download"


class _Anchors(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) and tag in ("a", "link", "img", "script"):
                self.links.append(attrs[key])


def _parse(path, cache):
    if path not in cache:
        parser = _Anchors()
        with open(path, encoding="utf-8") as f:
            parser.feed(f.read())
        cache[path] = parser
    return cache[path]


def test_every_internal_link_and_anchor_resolves(site):
    cache, broken, checked = {}, [], 0
    for page in _pages(site):
        for link in _parse(os.path.join(site, page), cache).links:
            parts = urllib.parse.urlsplit(link)
            if parts.scheme or parts.netloc or link == "#":
                continue  # other sites (not fetched, only linked) and script-only links
            target = os.path.normpath(os.path.join(site, os.path.dirname(page),
                                                   urllib.parse.unquote(parts.path)))
            if not parts.path:
                target = os.path.join(site, page)
            elif os.path.isdir(target):
                target = os.path.join(target, "index.html")
            checked += 1
            if not os.path.isfile(target):
                broken.append((page, link, "no such file"))
            elif parts.fragment and target.endswith(".html"):
                if urllib.parse.unquote(parts.fragment) not in _parse(target, cache).ids:
                    broken.append((page, link, "no such anchor"))
    print(f"\nlinks: {checked} internal links and resources checked")
    assert broken == []
    assert checked > 500


def test_search_finds_backpropagation(served, browser):
    ready = "document.querySelectorAll('#search-results li').length > 0"
    log = browser.open(served + "search.html?q=backpropagation", ready=ready, timeout=30)
    hits = browser.driver.execute_script(
        "return Array.from(document.querySelectorAll('#search-results li a')).map(a => a.href)")
    assert any("03_mlp_backpropagation.html" in h for h in hits), hits
    assert log.failures == [] and log.external_requests() == []


def test_screenshots_were_written(loaded):
    for name in SCREENSHOT_PAGES.values():
        path = os.path.join(SCREENSHOTS, name)
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", path
        assert os.path.getsize(path) > 20_000, path

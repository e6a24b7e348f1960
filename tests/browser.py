"""A small harness for tests that drive a real browser: headless Debian Chromium via Selenium.

What it gives a test:

* :func:`find_browser` -- the ``chromium`` and ``chromedriver`` executables, or
  :class:`BrowserMissing` with the command that installs them.
* :func:`serve_folder` -- a static HTTP server for a folder on ``127.0.0.1`` (a free port).
* :func:`chromium` -- a started :class:`Browser` with a fresh profile, no network beyond
  ``127.0.0.1`` (every other host name fails to resolve), Chrome DevTools performance logs
  (network requests) and browser logs (console messages) switched on.
* :meth:`Browser.open` -- loads a page, waits for it, and returns a :class:`PageLog`: every
  request the page made, every failed one, every console error.
* :meth:`Browser.collect` -- the same for what the page did afterwards (cells run in JupyterLab).
* :meth:`Browser.screenshot` -- a PNG of the whole page.

Example (a JupyterLab test would pass its own server's URL to ``open``)::

    with serve_folder("_build/site") as base, chromium() as browser:
        log = browser.open(base + "index.html")
        assert not log.failures and not log.console_errors and log.external_requests() == []
        browser.screenshot("_build/screenshots/index.png")
"""

import contextlib
import dataclasses
import functools
import http.server
import json
import os
import shutil
import tempfile
import threading
import time
import urllib.parse

INSTALL_HINT = ("Debian's Chromium and its driver are needed: "
                "`apt-get install -y chromium chromium-driver` (as root; `apt-get update` first), "
                "then `pip install selenium` (the project's test extra has it).")
# Flags that make headless Chromium quiet and self-contained; --host-resolver-rules makes any
# request to another host fail at name resolution instead of leaving the machine.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
# URL schemes that never touch the network: inline data and the browser's own pages.
NON_NETWORK_SCHEMES = ("data", "blob", "about", "chrome", "chrome-extension", "devtools")


class BrowserMissing(RuntimeError):
    """Chromium, its driver or Selenium is not installed."""


def find_browser():
    """Paths of the ``chromium`` and ``chromedriver`` executables.

    Returns:
        ``(chromium_path, chromedriver_path)``.

    Raises:
        BrowserMissing: either is missing, or Selenium cannot be imported; the message says
            how to install them.
    """
    found = {name: shutil.which(name) for name in ("chromium", "chromedriver")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise BrowserMissing(f"{' and '.join(missing)} not found on PATH. {INSTALL_HINT}")
    try:
        import selenium  # noqa: F401
    except ImportError as error:
        raise BrowserMissing(f"selenium cannot be imported ({error}). {INSTALL_HINT}") from error
    return found["chromium"], found["chromedriver"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports failures itself
        pass


@contextlib.contextmanager
def serve_folder(folder):
    """Serves ``folder`` over HTTP on ``127.0.0.1`` for the duration of the ``with`` block.

    Args:
        folder: the folder to serve; must exist.

    Yields:
        The base URL, ending with ``/`` (e.g. ``"http://127.0.0.1:41235/"``).

    Raises:
        FileNotFoundError: ``folder`` is not a folder.
    """
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"folder={folder!r} is not a folder to serve")
    handler = functools.partial(_QuietHandler, directory=os.path.abspath(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def is_local(url):
    """True when loading ``url`` stays on this machine (loopback or a non-network scheme)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in NON_NETWORK_SCHEMES:
        return True
    host = parts.hostname or ""
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


@dataclasses.dataclass
class PageLog:
    """What one page load did, from Chrome DevTools' logs.

    Attributes:
        url: the page loaded.
        requests: every URL the page requested, in order (the page itself first).
        failures: ``(url, reason)`` for each request that failed to load or got an HTTP
            status of 400 or more.
        console_errors: console messages at level SEVERE (``console.error``, uncaught
            exceptions, resources that failed to load), as Chrome words them.
        seconds: time from the start of the load until the page was ready.
    """

    url: str
    requests: list
    failures: list
    console_errors: list
    seconds: float

    def external_requests(self):
        """The requests that would have left this machine."""
        return [u for u in self.requests if not is_local(u)]


def _network_events(entries, urls=None):
    """Requests and failures in DevTools log ``entries``; ``urls`` maps request ids to URLs and
    is filled in, so that a later batch can name a request that started in an earlier one."""
    requests, failures = [], []
    urls = {} if urls is None else urls
    for entry in entries:
        message = json.loads(entry["message"])["message"]
        method, params = message["method"], message.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            urls[params["requestId"]] = url
            requests.append(url)
        elif method == "Network.responseReceived":
            status = params["response"].get("status", 0)
            if status >= 400:
                failures.append((params["response"]["url"], f"HTTP {status}"))
        elif method == "Network.loadingFailed":
            url = urls.get(params["requestId"], "?")
            failures.append((url, params.get("errorText", "failed")
                             + (" (canceled)" if params.get("canceled") else "")))
    return requests, failures


class Browser:
    """A started headless Chromium; see :func:`chromium`.

    Attributes:
        driver: the Selenium WebDriver, for anything this class does not wrap.
    """

    def __init__(self, driver):
        self.driver = driver
        self._urls = {}  # DevTools request id -> URL, across open() and collect()

    def drain_logs(self):
        """Reads and discards the logs gathered so far (e.g. the start page's)."""
        self.driver.get_log("performance")
        self.driver.get_log("browser")

    def collect(self, url=None):
        """What the page on show did since the last :meth:`open` or :meth:`collect`.

        For pages that keep working after they loaded (a JupyterLab session running cells).

        Args:
            url: the label of the returned log. Default: the page's current URL.

        Returns:
            A :class:`PageLog` whose ``seconds`` is 0.
        """
        requests, failures = _network_events(self.driver.get_log("performance"), self._urls)
        console = [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        return PageLog(url or self.driver.current_url, requests, failures, console, 0.0)

    def wait_for(self, script, timeout=10.0, poll=0.05):
        """Polls the JavaScript expression ``script`` until it is truthy.

        Returns:
            Its last value (falsy when ``timeout`` seconds passed first).
        """
        deadline = time.monotonic() + timeout
        while True:
            value = self.driver.execute_script(f"return ({script});")
            if value or time.monotonic() > deadline:
                return value
            time.sleep(poll)

    def open(self, url, ready="true", timeout=20.0, settle=0.2):
        """Loads ``url`` and returns what the load did.

        Args:
            url: the page.
            ready: a JavaScript expression that is truthy once the page has finished its
                own work (scripts that render after ``load``). Default ``"true"``.
            timeout: seconds to wait for ``ready``. Default 20.
            settle: seconds to wait after ``ready`` for late requests and messages.
                Default 0.2.

        Returns:
            A :class:`PageLog`.

        Raises:
            TimeoutError: ``ready`` did not become truthy in time.
        """
        self.driver.get("about:blank")  # ends the previous page, so its late events are not counted
        self.drain_logs()
        start = time.monotonic()
        self.driver.get(url)
        if not self.wait_for(f"document.readyState === 'complete' && ({ready})", timeout):
            raise TimeoutError(f"{url}: not ready after {timeout} s ({ready})")
        seconds = time.monotonic() - start
        time.sleep(settle)
        requests, failures = _network_events(self.driver.get_log("performance"), self._urls)
        console = [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        return PageLog(url, requests, failures, console, seconds)

    def screenshot(self, path, full_page=True):
        """Writes a PNG of the page to ``path``: the whole page, or what the window shows.

        A whole-page shot resizes the window to the page's height for the moment, so fixed
        and sticky parts (side bars) are drawn once, as a reader would see them.
        """
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if not full_page:
            self.driver.save_screenshot(path)
            return path
        size = self.driver.get_window_size()
        height = self.driver.execute_script(
            "return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
        try:
            self.driver.set_window_size(size["width"], min(int(height) + 200, 16000))
            time.sleep(0.3)  # let the layout follow the new size
            self.driver.save_screenshot(path)
        finally:
            self.driver.set_window_size(size["width"], size["height"])
        return path


@contextlib.contextmanager
def chromium(width=1280, height=900, extra_flags=()):
    """Starts headless Chromium with a fresh profile and DevTools logging.

    Args:
        width, height: window size in pixels. Default 1280 x 900.
        extra_flags: more command-line flags for Chromium. Default none.

    Yields:
        A :class:`Browser`; the browser and its profile folder are removed afterwards.

    Raises:
        BrowserMissing: Chromium, chromedriver or Selenium is not installed.
    """
    chromium_path, driver_path = find_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="dlcourse-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium_path
    for flag in (*CHROMIUM_FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}",
                 *extra_flags):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        browser = Browser(driver)
        driver.get("about:blank")
        browser.drain_logs()
        yield browser
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)

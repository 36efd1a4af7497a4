"""The web page in a real browser: Debian's chromium, headless, driven by Selenium, against a real
``argstance serve`` on the tiny model. Saves a screenshot to artifacts/page.png."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.registry import Registry
from tests.conftest import ROOT, SAMPLES

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "artifacts"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium: apt-get install -y chromium chromium-driver (.ci/run does this)",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def server(tiny_registry: Registry, tmp_path: Path) -> Iterator[str]:
    """``argstance serve`` in its own process on the tiny model; yields its URL once it is ready."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGSTANCE_")}
    env["ARGSTANCE_REGISTRY"] = str(tiny_registry.root)
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    assert "binding 127.0.0.1" in (tmp_path / "server.log").read_text()


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"argstance serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"argstance serve was not ready after {timeout} s")


def annotate_via_api(url: str, text: str) -> dict:
    request = urllib.request.Request(
        f"{url}/v1/annotate",
        json.dumps({"text": text, "format": "text"}).encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_page_annotates_the_example_oped_in_chromium(server: str) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    wait = WebDriverWait(driver, 30)
    try:
        driver.get(server)
        wait.until(lambda d: "tiny-1" in d.find_element(By.ID, "model-info").text)
        example = SAMPLES / "example-oped.txt"
        driver.find_element(By.ID, "article-file").send_keys(str(example))
        wait.until(lambda d: d.find_element(By.ID, "article-text").get_property("value"))
        driver.find_element(By.ID, "annotate-button").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#article .sentence"))

        expected = annotate_via_api(server, example.read_text(encoding="utf-8"))["sentences"]
        shown = driver.find_elements(By.CSS_SELECTOR, "#article .sentence")
        assert len(shown) == len(expected) > 10
        for node, sentence in zip(shown, expected, strict=True):
            assert f"role-{sentence['role']['label']}" in node.get_attribute("class").split()
            badge = node.find_element(By.CSS_SELECTOR, ".badge")
            assert f"stance-{sentence['stance']['label']}" in badge.get_attribute("class").split()
            assert node.get_attribute("title").startswith(f"role: {sentence['role']['label']} (")
        assert len(driver.find_elements(By.CSS_SELECTOR, "#role-counts tr")) == 4
        assert len(driver.find_elements(By.CSS_SELECTOR, "#lean-bar span")) == 3
        assert "leans" in driver.find_element(By.ID, "lean-text").text
        assert driver.find_element(By.ID, "download-button").is_enabled()

        # Keyboard: from the last button, Tab reaches the first sentence and shows its scores.
        driver.execute_script("arguments[0].focus()", driver.find_element(By.ID, "download-button"))
        ActionChains(driver).send_keys(Keys.TAB).perform()
        assert driver.switch_to.active_element.get_attribute("data-index") == "0"
        assert "Role:" in driver.find_element(By.ID, "details").text

        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / "page.png"
        assert driver.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000
        assert driver.get_log("browser") == []  # no script errors, no blocked resources
    finally:
        driver.quit()

"""A real Chromium without a screen, driven by Selenium, for testing pages opened from files.

Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them);
Selenium is pointed at both, so nothing is downloaded. Under CI=true a missing
browser fails the tests instead of skipping them.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE = (390, 844)
DESKTOP = (1280, 800)


def require_chromium() -> None:
    """Skip when Chromium is missing on a developer's machine; under CI=true, fail."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if shutil.which(path) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} missing: sudo apt-get install chromium chromium-driver"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def chromium(
    size: tuple[int, int] = PHONE, scheme: str = "dark", mobile: bool | None = None
) -> Iterator[Any]:
    """A headless Chromium that may play audio unprompted (muted), logging its network use."""
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={size[0]},{size[1]}",
        "--autoplay-policy=no-user-gesture-required",
        "--mute-audio",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
        )
        if mobile if mobile is not None else size == PHONE:
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": True},
            )
        yield driver
    finally:
        driver.quit()


def open_file(driver: Any, path: Path) -> None:
    driver.get(path.resolve().as_uri())


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser asked for since the last call (Chrome's network log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            params = message["params"]
            urls.append(params.get("request", {}).get("url") or params.get("url", ""))
    return urls


def console_problems(driver: Any) -> list[str]:
    """Errors and warnings the page wrote to the console (a script error, a blocked load)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] != "INFO"]

"""Make sure a Chromium exists for the browser tests, or stop with a message saying how to get one."""

from __future__ import annotations

import os
import subprocess
import sys

path = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
if os.path.exists(path):
    sys.exit(0)
print(f"No Chromium at {path}; trying `python -m playwright install chromium` ...", flush=True)
if subprocess.call([sys.executable, "-m", "playwright", "install", "chromium"]) == 0:
    sys.exit(0)
sys.exit(
    "The browser tests need Chromium and none could be found or installed.\n"
    "Install Debian's: `sudo apt-get install -y chromium`, or point CHROMIUM=/path/to/chromium at one."
)

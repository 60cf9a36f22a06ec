"""Make sure a redis-server exists for the rooms-across-processes tests, or install Debian's (as root), or stop with
a message saying how to get one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

if shutil.which("redis-server"):
    sys.exit(0)
if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
    print("No redis-server; installing Debian's (apt-get install -y redis-server) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.call(["apt-get", "install", "-y", "--no-install-recommends", "redis-server"], env=env) == 0:
        sys.exit(0)
sys.exit(
    "The rooms tests need Redis's server and none could be found or installed.\n"
    "Install Debian's: `sudo apt-get install -y redis-server`."
)

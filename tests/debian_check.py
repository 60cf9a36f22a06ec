"""Make sure the Debian programs the tests run for real exist (redis-server for the rooms across processes, nginx for
the reverse proxy of docker-compose.yml), or install Debian's packages (as root), or stop with a message saying how
to get them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

NEEDED = {  # program → (Debian package, what the tests use it for)
    "redis-server": ("redis-server", "rooms across processes (tests/app/test_rooms_redis.py)"),
    "nginx": ("nginx-light", "the reverse proxy of docker-compose.yml (tests/app/test_proxy.py)"),
}


def found(program: str) -> bool:
    return shutil.which(program) is not None or os.path.exists(f"/usr/sbin/{program}")


missing = {program: need for program, need in NEEDED.items() if not found(program)}
if missing and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
    packages = [package for package, _ in missing.values()]
    print(f"Installing Debian's {', '.join(packages)} (apt-get install -y) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.call(["apt-get", "install", "-y", "--no-install-recommends", *packages], env=env)
    missing = {program: need for program, need in missing.items() if not found(program)}
if missing:
    sys.exit("The tests need these programs and they could not be found or installed:\n" + "\n".join(
        f"  {program}, for {purpose}: `sudo apt-get install -y {package}`"
        for program, (package, purpose) in missing.items()))

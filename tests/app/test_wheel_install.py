"""Do what the Docker image does: build the wheel, install it in a fresh venv, run `playground` elsewhere."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_serves_page_from_any_directory(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("backprop_playground-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    vpy = venv / "bin" / "python"
    # Reuse the dependencies already installed for the tests (plain paths: their .pth files are not run,
    # so the editable source tree stays invisible).
    venv_site = subprocess.run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip()
    Path(venv_site, "_reuse_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([str(vpy), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
                   check=True, capture_output=True)
    port = free_port()
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAYGROUND_")}
    env["PYTHONPATH"] = ""
    proc = subprocess.Popen([str(venv / "bin" / "playground"), "--port", str(port)], cwd=workdir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "playground did not start"
                time.sleep(0.2)
        assert health.json()["status"] == "ok"
        page = httpx.get(base + "/")
        assert page.status_code == 200 and "Backprop Playground" in page.text
        assert httpx.get(base + "/static/js/main.js").status_code == 200
        import_check = subprocess.run([str(vpy), "-c", "import app, sys; print(app.__file__)"], cwd=workdir,
                                      capture_output=True, text=True, env=env, check=True)
        assert str(venv) in import_check.stdout, "the venv must import the installed wheel, not the source tree"
    finally:
        proc.terminate()
        proc.wait(timeout=10)

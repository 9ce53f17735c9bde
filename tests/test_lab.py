"""`make lab` opens JupyterLab with the project's kernel: start the server, find the kernel, stop it."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JUPYTER = Path(sys.executable).with_name("jupyter")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_jupyterlab_serves_the_project_kernel(tmp_path):
    if not JUPYTER.exists():
        pytest.fail("jupyter is not installed in this environment: run `make setup` (installs the lab extra)")
    port, token = _free_port(), secrets.token_hex(8)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}
    proc = subprocess.Popen(
        [str(JUPYTER), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={ROOT / 'notebooks'}", "--ServerApp.port_retries=0", *(["--allow-root"] if os.geteuid() == 0 else [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        url = f"http://127.0.0.1:{port}/api/kernelspecs?token={token}"
        specs = None
        for _ in range(240):  # up to ~60 s on a busy machine; a bounded loop, loopback only
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited early: {proc.stderr.read().decode(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    specs = json.loads(r.read().decode())
                break
            except OSError:
                time.sleep(0.25)
        assert specs is not None, "JupyterLab did not answer on its port"
        assert "lyganalysis" in specs["kernelspecs"], (
            f"the project's kernel is not registered (have {sorted(specs['kernelspecs'])}): run `make setup`")
        spec = specs["kernelspecs"]["lyganalysis"]["spec"]
        assert Path(spec["argv"][0]).resolve().parent == Path(sys.executable).resolve().parent
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

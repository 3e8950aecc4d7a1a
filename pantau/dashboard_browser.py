"""The dashboard in headless Chromium with the network off: its DOM, and the screenshot in docs/.

Why a real browser: the dashboard is drawn by JavaScript (vega-embed) from JSON it fetches, so
only a browser shows whether it works; and with every host but loopback unreachable, a script,
style or font that a CDN would serve fails here as it would on an analyst's offline machine.

`python -m pantau.dashboard_browser [OUT.png]` runs `pantau demo` into a temporary archive,
serves it and writes the screenshot (default docs/img/dashboard.png, relative to the current
directory: run it from the repository root).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
WINDOW = (1280, 1900)
# Names resolve to nothing and every non-loopback connection goes to a dead proxy (port 9,
# discard): a CDN URL fails by name and by IP literal alike. Loopback bypasses the proxy.
OFFLINE_FLAGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=127.0.0.1:9",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    *OFFLINE_FLAGS,
)


def chromium_command(
    url: str, profile: Path, *, dump_dom: bool = False, screenshot: Path | None = None
) -> list[str]:
    """The command line of one offline headless Chromium run; virtual time lets the page's
    fetches and chart rendering finish before the DOM or the screenshot is taken."""
    cmd = [
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--virtual-time-budget=20000",
    ]
    if dump_dom:
        cmd.append("--dump-dom")
    if screenshot is not None:
        cmd.append(f"--screenshot={screenshot}")
    return [*cmd, url]


def run_chromium(
    url: str, workdir: Path, *, dump_dom: bool = False, screenshot: Path | None = None
) -> str:
    """Run Chromium once with a fresh profile under `workdir`; its stdout (the DOM when asked)."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=workdir))
    try:
        res = subprocess.run(
            chromium_command(url, profile, dump_dom=dump_dom, screenshot=screenshot),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if res.returncode != 0:
        raise RuntimeError(f"chromium exited {res.returncode}: {res.stderr[-2000:]}")
    return res.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(pantau: list[str], db: Path, port: int, cwd: Path) -> subprocess.Popen:
    """`pantau serve` on loopback, returned once it answers (a readiness poll)."""
    import httpx

    proc = subprocess.Popen(
        [*pantau, "--db", str(db), "serve", "--port", str(port)],
        cwd=str(cwd),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"pantau serve exited: {proc.communicate()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/-/versions.json", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("pantau serve did not come up")


def main(argv: list[str] | None = None) -> int:
    out = Path((argv if argv is not None else sys.argv[1:] or ["docs/img/dashboard.png"])[0])
    pantau = [sys.executable, "-m", "pantau.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        subprocess.run([*pantau, "demo", "--db", str(db)], check=True, capture_output=True)
        port = free_port()
        proc = start_serve(pantau, db, port, Path.cwd())
        try:
            shot = Path(tmp) / "dashboard.png"
            run_chromium(f"http://127.0.0.1:{port}/", Path(tmp), screenshot=shot)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, out)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

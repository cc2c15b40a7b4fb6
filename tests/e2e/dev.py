"""`roster dev` as the end-to-end tests run it: a child process on a fresh data folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
ROSTER = BIN / "roster"


class Dev:
    """`roster dev` in a child process, its standard output collected line by line."""

    def __init__(self, data_dir: Path, *args: str, **env: str) -> None:
        self.data_dir = data_dir
        environment = {**os.environ, "ROSTER_DATA_DIR": str(data_dir), **env}
        self.process = subprocess.Popen([str(ROSTER), "dev", "--reset", *args], cwd=ROOT,
                                        env=environment, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        self.lines: list[str] = []
        self.ready = threading.Event()
        self._reader = threading.Thread(target=self._read)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if "Ctrl-C stops it." in line:
                self.ready.set()
        self.ready.set()

    def token(self, role: str) -> str:
        """The token the banner printed for `role`."""
        return next(line.split()[1] for line in self.lines if line.split()[:1] == [role])

    def shell(self, block: str, timeout: float = 300) -> str:
        """Run `block` in bash from the repository, as a reader would in another shell
        beside this `roster dev`; its output (stdout and stderr), asserting it succeeded."""
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=ROOT,
                             timeout=timeout, env={**os.environ,
                                                   "ROSTER_DATA_DIR": str(self.data_dir)},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(run.stdout)
        assert run.returncode == 0, run.stdout
        return run.stdout

    def interrupt(self) -> int:
        """Ctrl-C: the exit code once it has stopped."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=30)
        self._reader.join()
        return code


def section(text: str, opening: str, closing: str) -> str:
    """What lies between `opening` and the next `closing` in `text`."""
    return text.split(opening, 1)[1].split(closing, 1)[0]


def readme_block(name: str) -> str:
    """The README's bash block between `<!-- name -->` and `<!-- /name -->`."""
    return section(README.read_text(), f"<!-- {name} -->\n```bash\n", f"```\n<!-- /{name} -->")


def running(data_dir: Path, *args: str, **env: str) -> Iterator[Dev]:
    """`roster dev` up and serving, killed afterwards if it still runs."""
    dev = Dev(data_dir, *args, **env)
    try:
        assert dev.ready.wait(60), "roster dev did not come up"
        assert dev.process.poll() is None, "\n".join(dev.lines)
        yield dev
    finally:
        if dev.process.poll() is None:
            dev.process.kill()
            dev.process.wait()
        dev._reader.join()

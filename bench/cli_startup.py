"""How long one `youthbot` command takes from start to exit, for two source trees run
alternately (machines are noisy: compare in the same period, read the ratio).

    .venv/bin/python bench/cli_startup.py --baseline /path/to/other/checkout [--runs 15]

Each run is a fresh process (`python -m bot ...`) with the tree first on PYTHONPATH and
its own empty database, as an operator's command would be; reported per command: median
and best wall time of each tree and the ratio of medians (this tree / baseline).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
COMMANDS = (["--help"], ["units", "list"], ["campaign", "create", "--help"])


def once(tree: Path, command: list[str], folder: Path) -> float:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(tree),
        "YOUTHBOT_DB": str(folder / f"{tree.name}.db"),
    }
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", *command],
        env=env,
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    trees = {"this": HERE, "baseline": args.baseline.resolve()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for command in COMMANDS:
            times: dict[str, list[float]] = {name: [] for name in trees}
            for tree in trees.values():  # warm the file cache, create the databases
                once(tree, command, folder)
            for _ in range(args.runs):
                for name, tree in trees.items():
                    times[name].append(once(tree, command, folder))
            medians = {name: statistics.median(found) for name, found in times.items()}
            cells = "  ".join(
                f"{name} median {medians[name] * 1000:.0f} ms best {min(times[name]) * 1000:.0f} ms"
                for name in trees
            )
            ratio = medians["this"] / medians["baseline"]
            print(f"{' '.join(command):<24} {cells}  ratio {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run one coreg-audio command in this process and report its peak memory.

``python -m benchmarks.measured REPORT.json ARGS...``: the command's own peak
resident memory (not its ffmpeg or speech-worker children, reported apart).
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from coreg_audio.cli import run


def main() -> int:
    report, arguments = Path(sys.argv[1]), sys.argv[2:]
    code = run(arguments)
    report.write_text(
        json.dumps(
            {
                "exit_code": code,
                "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "children_max_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                / 1024,
            }
        )
    )
    return code


if __name__ == "__main__":
    sys.exit(main())

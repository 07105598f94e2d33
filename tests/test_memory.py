"""The memory policy: on glibc, arrays of LARGE_BYTES and more are unmapped when freed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from coreg_audio import memory


def test_large_arrays_go_back_to_the_system_after_a_large_one_was_freed() -> None:
    """Without the policy the second array comes from the heap and stays resident freed."""
    code = textwrap.dedent("""
        import sys
        import numpy as np
        from coreg_audio import memory

        def resident_mb():
            for line in open("/proc/self/status"):
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024

        if sys.argv[1] == "policy":
            assert memory.return_large_blocks_when_freed()
        first = np.ones(3_000_000, dtype=np.float32)
        del first
        small = [np.ones(10_000) for _ in range(4)]
        before = resident_mb()
        second = np.ones(2_500_000, dtype=np.float32)
        keep = np.ones(1000)
        del second
        print(resident_mb() - before)
    """)
    grown = {
        mode: float(
            subprocess.run(
                [sys.executable, "-c", code, mode], capture_output=True, text=True, check=True
            ).stdout
        )
        for mode in ("policy", "default")
    }
    assert grown["policy"] < 2.0
    assert grown["default"] > 8.0


def test_the_threshold_leaves_the_mixers_blocks_on_the_heap() -> None:
    from coreg_audio.audio.mix import BLOCK_SAMPLES

    assert BLOCK_SAMPLES * 2 * 4 < memory.LARGE_BYTES

"""A batch item's save is bounded like its wait."""

from __future__ import annotations

from pathlib import Path

import veowrap


def test_a_trickling_download_cannot_hold_a_batch_item_forever(tmp_path: Path) -> None:
    import time

    from veowrap.testing import Fault, VeoEmulator

    with VeoEmulator(latency=0.02) as emu:
        # Vertex AI without output_gcs_uri answers inline; ask for a bucket so it downloads.
        emu.inject("gcs_download", Fault.trickle_body(0.05, after_bytes=100), times=50)
        gen = emu.generator(vertex=True, model="veo-3.1-generate-001")
        request = veowrap.VideoRequest(prompt="a kite", output_gcs_uri="gs://bucket/out/")
        started = time.monotonic()
        (item,) = gen.generate_all([request], output_dir=tmp_path / "o", timeout=1.5)
        elapsed = time.monotonic() - started
    assert isinstance(item.error, veowrap.DownloadError)
    assert item.handle is not None  # the paid video stays retrievable
    assert elapsed < 1.5 * 2 + 2  # the wait's budget, then the save's, plus the margin
    assert not list((tmp_path / "o").glob("*.mp4"))

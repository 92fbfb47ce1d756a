"""A ~110 MB download decoded with bounded memory, measured in this process."""

from __future__ import annotations

import gc
import threading
import time
import tracemalloc
import zipfile

import psutil
import pytest
import requests

from chorusweb.factpulse.client import FactPulseClient

BOUND = 64 * 1024 * 1024


class RssSampler(threading.Thread):
    """Samples the process's resident memory every 10 ms and keeps the highest value."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process()
        self.baseline = self.process.memory_info().rss
        self.peak = self.baseline
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self._stop_event.wait(0.01)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, self.process.memory_info().rss)
        return self.peak - self.baseline


@pytest.mark.slow
def test_large_download_peak_memory_stays_under_64_mb(sandbox, sandbox_connection, settings):
    from sandbox import services

    settings.SANDBOX_LARGE_DOCUMENTS = True
    summary = services.reset(size="small", large=True)
    assert summary.large_invoice_ids
    client = FactPulseClient(sandbox_connection, session=requests.Session())
    client.access_token()  # log in outside the measure
    gc.collect()

    sampler = RssSampler()
    sampler.start()
    tracemalloc.start()
    started = time.monotonic()
    try:
        document = client.telecharger_groupe_factures(
            invoice_ids=[summary.large_invoice_ids[0]], file_format="ZIP", include_attachments=True
        )
        _, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        rss_growth = sampler.stop()
    elapsed = time.monotonic() - started
    print(  # shown with -s or -rP
        f"download: {document.size / 1e6:.1f} MB decoded in {elapsed:.1f} s; "
        f"tracemalloc peak {traced_peak / 2**20:.1f} MiB; RSS growth {rss_growth / 2**20:.1f} MiB"
    )
    try:
        assert document.kind == "zip"
        assert document.size > 100_000_000  # ~110 MB decoded, ~147 MB of JSON on the wire
        assert document.size == document.path.stat().st_size
        with zipfile.ZipFile(document.path) as archive:
            assert archive.testzip() is None
            assert sum(info.file_size for info in archive.infolist()) > 100_000_000
        assert traced_peak < BOUND, f"Python allocations peaked at {traced_peak / 2**20:.1f} MiB"
        assert rss_growth < BOUND, f"RSS grew by {rss_growth / 2**20:.1f} MiB"
        assert elapsed < 30
    finally:
        document.cleanup()

"""The annotator that answers requests, run off the event loop, and swapped without downtime."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from models.inference import apply_threads
from models.pipeline import Annotator
from models.precision import apply_precision
from models.registry import Registry
from models.settings import Settings

T = TypeVar("T")
log = logging.getLogger(__name__)
# How often the server checks whether the registry's ACTIVE pointer moved (a job or the CLI activated).
FOLLOW_INTERVAL_S = 2.0


@dataclass(frozen=True)
class Serving:
    """A registry version and its loaded annotator, replaced together."""

    version: str
    annotator: Annotator


class ModelSlot:
    """Holds the serving annotator. A swap replaces the reference; calls already running keep theirs."""

    def __init__(
        self, registry: Registry, settings: Settings, on_swap: Callable[[Serving], None] | None = None
    ) -> None:
        self.registry = registry
        self.settings = settings
        self.on_swap = on_swap
        self.serving: Serving | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._swapping = asyncio.Lock()

    async def start(self) -> None:
        """Start the inference threads and load the configured (else the active) version."""
        apply_threads(self.settings.threads)
        self._executor = ThreadPoolExecutor(self.settings.worker_threads, thread_name_prefix="annotate")
        version = self.settings.version or self.registry.active()
        self._swap_to(Serving(version, await self.load(version)))

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    @property
    def current(self) -> Serving:
        if self.serving is None:
            raise RuntimeError("the model is not loaded yet")
        return self.serving

    async def load(self, version: str) -> Annotator:
        """Load a registry version in a helper thread (RegistryError when it does not exist)."""
        path = self.registry.path(version)
        return await asyncio.to_thread(self._load, path)

    def _load(self, path: Path) -> Annotator:
        annotator = Annotator.from_path(path, batch_size=self.settings.batch_size)
        apply_precision(annotator.loaded, self.settings.precision)
        return annotator

    async def activate(self, version: str) -> str:
        """Load ``version`` completely, persist it as active, then swap; returns the previous version."""
        return await self._switch(version, persist=True)

    async def _switch(self, version: str, persist: bool) -> str:
        async with self._swapping:  # two activations at once would race the ACTIVE file and the reference
            annotator = await self.load(version)
            if persist:
                self.registry.activate(version)
            previous = self.current.version
            self._swap_to(Serving(version, annotator))
            return previous

    async def follow_registry(self) -> None:
        """Serve whatever the registry's ACTIVE pointer names, e.g. after a training job activated a
        version. Not when settings pin a version. Runs until cancelled."""
        while self.settings.version is None:
            await asyncio.sleep(FOLLOW_INTERVAL_S)
            active = await asyncio.to_thread(self.registry.active)
            if self.serving is not None and active != self.serving.version:
                try:
                    await self._switch(active, persist=False)  # the pointer already says so
                    log.info("now serving %s, the registry's active version", active)
                except Exception:
                    log.exception("could not switch to the registry's active version %s", active)

    def _swap_to(self, serving: Serving) -> None:
        # One reference assignment: requests that already took the old annotator finish on it.
        self.serving = serving
        if self.on_swap is not None:
            self.on_swap(serving)

    async def run(self, work: Callable[[Annotator], T], annotator: Annotator | None = None) -> T:
        """Run ``work(annotator)`` on an inference thread (default: the serving annotator)."""
        chosen = annotator or self.current.annotator  # taken once: a swap mid-request changes nothing
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, work, chosen)

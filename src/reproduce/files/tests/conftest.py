"""Fixtures of the files tests: storage in a throw-away folder, tasks run in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Run django.tasks for real, in the test process."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def media_root(settings: Any) -> Path:
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def stored_files(media_root: Path) -> Callable[[], list[Path]]:
    """Every file under MEDIA_ROOT (the root conftest points it at a fresh folder)."""
    return lambda: sorted(p for p in media_root.rglob("*") if p.is_file())


@pytest.fixture
def upload_temp_dir(settings: Any, tmp_path: Path) -> Path:
    """Spool uploads into a folder the test can inspect for leftovers."""
    folder = tmp_path / "spool"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder

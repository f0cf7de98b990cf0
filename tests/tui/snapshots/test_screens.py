"""Every screen, at 100x30 and 160x45, compared with the accepted SVG snapshots.

The scenes are the ones `make screenshots` renders (tui/screenshots.py).
After an intended change of look: `pytest tests/tui/snapshots --snapshot-update`,
then review the new SVGs before committing them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.screenshots import SCENES, SIZES, Scene, build_app, play, prepare


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("scene", SCENES, ids=lambda s: s.name)
def test_screen(scene: Scene, size: tuple[int, int], snap_compare) -> None:
    db_path, project = prepare(scene, Path(os.environ["HOME"]))
    app = build_app(db_path, project)

    async def reach_the_screen(pilot) -> None:
        await play(scene, pilot)

    assert snap_compare(app, terminal_size=size, run_before=reach_the_screen)

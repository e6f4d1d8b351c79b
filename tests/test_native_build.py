"""What a native build leaves on disk: the binary and the downloads, not cargo's intermediates."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cairo import native


def fake_build_leftovers(cache: Path) -> dict[str, Path]:
    paths = {
        "target": cache / "native" / "target" / "release" / "deps" / "libx.rlib",
        "src": cache / "cargo-home" / "registry" / "src" / "index" / "x-1.0" / "lib.rs",
        "archive": cache / "cargo-home" / "registry" / "cache" / "index" / "x-1.0.crate",
        "binary": cache / "native" / "bin" / "cairo-evals-native-0123",
        "corelib": cache / "native" / "corelib" / ".verified",
    }
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    return paths


def test_prune_removes_the_target_folder_and_unpacked_sources_keeping_binary_archives_and_corelib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIRO_EVALS_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CARGO_HOME", raising=False)
    paths = fake_build_leftovers(tmp_path)
    native.prune_build()
    assert not (tmp_path / "native" / "target").exists()
    assert not (tmp_path / "cargo-home" / "registry" / "src").exists()
    assert paths["archive"].is_file() and paths["binary"].is_file() and paths["corelib"].is_file()


def test_prune_leaves_a_users_own_cargo_home_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRO_EVALS_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CARGO_HOME", str(tmp_path / "cargo-home"))  # theirs, even where ours would be
    paths = fake_build_leftovers(tmp_path)
    native.prune_build()
    assert not (tmp_path / "native" / "target").exists()
    assert paths["src"].is_file()

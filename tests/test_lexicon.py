"""Rebuilding the ratings table from a user-supplied lexicon file."""

from __future__ import annotations

from pathlib import Path

import pytest

from emotion_vectors.cli import main
from emotion_vectors.errors import DataError
from emotion_vectors.lexicon import differences, read_lexicon, rebuild_ratings
from emotion_vectors.ratings import rating_table

SHIPPED = {row["emotion"]: row for row in rating_table()}


def v2_lexicon(tmp_path: Path, changed: dict[str, tuple[float, float]] | None = None) -> Path:
    """A v2-format lexicon holding exactly the shipped direct and multi-word ratings (+ proxies), optionally altered."""
    lines = ["term\tvalence\tarousal\tdominance"]
    for emotion, row in SHIPPED.items():
        if row["nrc_source"] in ("nrc_vad", "nrc_vad_mwe"):
            valence, arousal = (changed or {}).get(emotion, (float(row["nrc_valence"]), float(row["nrc_arousal"])))
            lines.append(f"{emotion}\t{valence}\t{arousal}\t0.0")
    lines += ["confident\t0.5\t-0.3\t0.1", "energetic\t0.8\t0.9\t0.2"]
    path = tmp_path / "lexicon_v2.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_identical_lexicon_reproduces_every_direct_and_multi_word_rating(tmp_path: Path) -> None:
    rebuilt = {r.emotion: r for r in rebuild_ratings(read_lexicon(v2_lexicon(tmp_path)))}
    assert rebuilt["afraid"].match == "direct" and rebuilt["afraid"].valence == pytest.approx(-0.977)
    assert rebuilt["worn out"].match == "multi_word" and rebuilt["worn out"].arousal == pytest.approx(-0.2)
    direct = [r for r in rebuilt.values() if r.match in ("direct", "multi_word")]
    assert len(direct) == 164
    assert all(r.max_abs_difference == pytest.approx(0.0) for r in direct)


def test_proxy_estimate_is_the_mean_of_the_proxy_words(tmp_path: Path) -> None:
    rebuilt = {r.emotion: r for r in rebuild_ratings(read_lexicon(v2_lexicon(tmp_path)))}
    insulted = rebuilt["insulted"]  # estimate_from_offended
    assert insulted.match == "proxy:offended"
    assert insulted.valence == pytest.approx(float(SHIPPED["offended"]["nrc_valence"]))
    energized = rebuilt["energized"]  # estimate_from_energetic_invigorated
    assert energized.valence == pytest.approx((0.8 + 1.0) / 2)
    assert rebuilt["self-confident"].valence == pytest.approx(0.5)


def test_differences_are_reported(tmp_path: Path) -> None:
    rebuilt = rebuild_ratings(read_lexicon(v2_lexicon(tmp_path, {"calm": (0.1, -0.5)})))
    changed = {r.emotion for r in differences(rebuilt)}
    assert "calm" in changed
    assert "afraid" not in changed


def test_v1_comma_file_is_compared_with_the_v1_column(tmp_path: Path) -> None:
    path = tmp_path / "v1.csv"
    path.write_text("afraid,0.010,0.775,0.2\namused,0.5,0.5,0.5\n")
    rebuilt = {r.emotion: r for r in rebuild_ratings(read_lexicon(path))}
    assert rebuilt["afraid"].max_abs_difference == pytest.approx(0.0)
    assert rebuilt["amused"].max_abs_difference == pytest.approx(0.942 - 0.5)
    assert rebuilt["alert"].match == "missing"


def test_malformed_row_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("term\tvalence\tarousal\tdominance\nhappy\t0.9\t0.5\t0.1\nsad\tlow\t0.2\t0.1\n")
    with pytest.raises(DataError, match=r"bad\.txt:3"):
        read_lexicon(path)


def test_cli_prints_differences_and_writes_csv(tmp_path: Path, capsys) -> None:
    out = tmp_path / "rebuilt.csv"
    status = main(["ratings", "--lexicon", str(v2_lexicon(tmp_path, {"calm": (0.1, -0.5)})), "--out", str(out)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "calm" in printed and "differ" in printed
    assert len(out.read_text().splitlines()) == 172

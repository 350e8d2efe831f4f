"""Experiment config: loading, validation errors that name the key and file, and the dict round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from emotion_vectors.config import ExperimentConfig, ExtractionConfig, load_config, resolve_layers
from emotion_vectors.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = """
profile = "t"
output_dir = "out"
[[models]]
alias = "minilm"
[[corpora]]
name = "demo"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exp.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["demo", "paper"])
def test_shipped_configs_load_and_round_trip(name: str) -> None:
    config = load_config(ROOT / "configs" / f"{name}.toml")
    assert config.profile == name
    assert ExperimentConfig.from_dict(config.to_dict()) == config


def test_paper_config_encodes_the_papers_method() -> None:
    config = load_config(ROOT / "configs" / "paper.toml")
    assert [m.alias for m in config.models] == ["apertus-8b", "gemma-4-e4b"]
    assert {c.name for c in config.corpora} == {"apertus", "gemma"}
    assert config.extraction.token_offset == 50 and config.extraction.max_length == 512
    assert config.extraction.pad_side == "right"
    assert all(m.dtype == "float32" for m in config.models)
    assert config.analysis.neutral_variance == 0.5 and config.analysis.pca_components == 10
    assert config.analysis.pooling == "token_weighted" and config.analysis.projection == "neutral"
    assert config.neutral.source == "url" and len(config.neutral.sha256 or "") == 64


def test_defaults_fill_missing_sections(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.extraction == ExtractionConfig()
    assert config.corpora[0].source == "bundled"


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("[extraction]\ntoken_ofset = 3\n", "extraction.token_ofset"),
        ("[analysis]\nrating_source = 'vad'\n", "analysis.rating_source"),
        ("[analysis]\npca_components = 'ten'\n", "analysis.pca_components"),
        ("[extraction]\nbatch_tokens = true\n", "extraction.batch_tokens"),
        ("colour = 1\n", "colour"),
    ],
)
def test_bad_keys_and_values_name_the_key_and_file(tmp_path: Path, extra: str, needle: str) -> None:
    path = write(tmp_path, extra + MINIMAL if not extra.startswith("[") else MINIMAL + extra)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert needle in str(info.value)
    assert str(path) in str(info.value)


def test_a_plain_hub_id_is_a_model_and_a_failed_load_lists_the_known_aliases(tmp_path: Path) -> None:
    from emotion_vectors.errors import OfflineError
    from emotion_vectors.models import inspect_model

    config = load_config(write(tmp_path, MINIMAL.replace('"minilm"', '"no-such-model-xyz"')))
    assert config.models[0].alias == "no-such-model-xyz"  # plain Hub ids such as gpt2 are accepted
    with pytest.raises(OfflineError) as info:
        inspect_model(config.models[0], local_files_only=True)
    assert "no-such-model-xyz" in info.value.message and "apertus-8b" in info.value.fix


def test_hub_ids_and_paths_are_accepted_as_models(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL.replace('"minilm"', '"org/some-model"')))
    assert config.models[0].alias == "org/some-model"


def test_unknown_corpus_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown corpus 'novels'"):
        load_config(write(tmp_path, MINIMAL.replace('"demo"', '"novels"')))


def test_inconsistent_extraction_values_are_rejected() -> None:
    with pytest.raises(ConfigError, match="max_length"):
        ExtractionConfig(token_offset=50, max_length=50)
    with pytest.raises(ConfigError, match="token_offset"):
        ExtractionConfig(token_offset=-1)


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "profile = \n"))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("all", tuple(range(6))), ("2-4", (2, 3, 4)), ((0, 5), (0, 5)), ("paper", tuple(range(6)))],
)
def test_resolve_layers(spec, expected) -> None:
    assert resolve_layers(spec, n_blocks=6, paper_layers=None) == expected


def test_resolve_layers_paper_range_and_errors() -> None:
    assert resolve_layers("paper", 32, (1, 31)) == tuple(range(1, 32))
    with pytest.raises(ConfigError, match="out of range"):
        resolve_layers((0, 6), 6, None)
    with pytest.raises(ConfigError, match="increasing"):
        resolve_layers((3, 1), 6, None)

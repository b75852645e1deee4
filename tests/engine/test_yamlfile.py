"""The strict YAML loader: located data, and every way a file can be refused."""

from __future__ import annotations

import time

import pytest

from engine.core.errors import SpecError
from engine.process import yamlfile


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        yamlfile.parse(text, "f.yaml")
    return [str(p) for p in caught.value.problems]


def test_mappings_remember_where_keys_and_values_stand() -> None:
    data = yamlfile.parse("a: 1\nb:\n  - x\n  - {c: 2}\n", "f.yaml")
    assert data == {"a": 1, "b": ["x", {"c": 2}]}
    assert data.key_at["b"] == (2, 1)
    assert data.value_at["a"] == (1, 4)
    assert data["b"].item_at == [(3, 5), (4, 5)]
    assert data["b"][1].value_at["c"] == (4, 9)


def test_duplicate_keys_name_both_lines() -> None:
    assert problems("a: 1\nb: 2\na: 3\n") == [
        "f.yaml:3:1: duplicate key 'a' (first defined on line 1)"]


def test_on_off_yes_no_stay_strings_only_true_false_are_booleans() -> None:
    data = yamlfile.parse("a: [on, off, yes, no, y, n, true, false, True, FALSE]\n", "f")
    assert data["a"] == ["on", "off", "yes", "no", "y", "n", True, False, True, False]


def test_dates_octals_and_hex_stay_strings() -> None:
    data = yamlfile.parse("d: 2024-01-31\no: 0o17\nz: 017\nx: 0x1f\nn: 1_000\n", "f")
    assert data == {"d": "2024-01-31", "o": "0o17", "z": "017", "x": "0x1f", "n": 1000}


def test_alias_bomb_is_refused_in_well_under_a_second() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    started = time.process_time()
    found = problems("\n".join(lines) + "\n")
    assert time.process_time() - started < 0.5
    assert len(found) == 1 and "alias bomb" in found[0]


def test_a_few_aliases_are_fine() -> None:
    data = yamlfile.parse("base: &b {kind: task}\nother: *b\n", "f")
    assert data["other"] == {"kind": "task"}


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a [x, [y, *a]]\n"])
def test_recursive_alias_is_refused(text: str) -> None:
    assert problems(text) == ["f.yaml:1:4: recursive alias"]


def test_deep_nesting_is_refused_without_exhausting_the_stack() -> None:
    for text in ("a: " + "[" * 5000 + "]" * 5000 + "\n",
                 "a:\n" + "".join(" " * i + "- \n" for i in range(1, 200))):
        found = problems(text)
        assert len(found) == 1 and "nest" in found[0]  # ours (64) or libyaml's (1000)


def test_merge_keys_and_tags_are_refused() -> None:
    assert problems("a: &x {k: 1}\nb: {<<: *x}\n") == [
        "f.yaml:2:5: merge keys (<<) are not allowed"]
    assert problems("a: !!python/name:os.system x\n")[0].startswith("f.yaml:1:4: tag ")
    assert "tag tag:yaml.org,2002:set is not allowed" in problems("a: !!set {x}\n")[0]


def test_size_limit(tmp_path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 2000 + "\n")
    with pytest.raises(SpecError) as caught:
        yamlfile.load(path, limit=1000)
    assert str(caught.value) == f"{path}:1:1: file is larger than 1000 bytes"


def test_default_size_limit_is_one_mebibyte(tmp_path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * yamlfile.MAX_BYTES + "\n")
    with pytest.raises(SpecError, match="larger than 1048576 bytes"):
        yamlfile.load(path)


def test_nul_byte_means_binary(tmp_path) -> None:
    path = tmp_path / "b.yaml"
    path.write_bytes(b"a: 1\nb: \x00\x01\x02\n")
    with pytest.raises(SpecError) as caught:
        yamlfile.load(path)
    assert str(caught.value) == f"{path}:2:1: binary file (contains a NUL byte)"


def test_invalid_utf8_is_located(tmp_path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\ntitle: caf" + b"\xe9\n")
    with pytest.raises(SpecError) as caught:
        yamlfile.load(path)
    assert str(caught.value) == f"{path}:2:11: not valid UTF-8 text"


def test_control_characters_are_located() -> None:
    assert problems("a: 1\nb: x\x07y\n") == [
        "f.yaml:2:5: control character U+0007 is not allowed in YAML"]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(text: str) -> None:
    assert problems(text) == ["f.yaml:1:1: the file is empty"]


def test_missing_file_is_a_problem_not_a_crash(tmp_path) -> None:
    with pytest.raises(SpecError, match="cannot read file"):
        yamlfile.load(tmp_path / "absent.yaml")


def test_syntax_error_is_located() -> None:
    assert problems("a: [1, 2\nb: 3\n")[0].startswith("f.yaml:2:2: YAML syntax:")


def test_two_documents_are_refused() -> None:
    assert problems("a: 1\n---\nb: 2\n") == [
        "f.yaml:2:1: YAML syntax: expected a single document in the stream, but found "
        "another document"]


def test_keys_must_be_plain_names() -> None:
    assert problems("? [a, b]\n: 1\n") == ["f.yaml:1:3: a key must be a plain name"]
    assert problems("true: 1\n") == ["f.yaml:1:1: a key must be a plain name"]
    assert yamlfile.parse("1: x\n", "f") == {"1": "x"}


LOADERS = [yamlfile._PythonLoader] + (
    [yamlfile._LibyamlLoader] if hasattr(yamlfile, "_LibyamlLoader") else [])


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_both_composers_give_the_same_located_data(loader, monkeypatch) -> None:
    monkeypatch.setattr(yamlfile, "_Loader", loader)
    data = yamlfile.parse("a: [on, true]\nb:\n  c: 2024-01-01\n", "f")
    assert data == {"a": ["on", True], "b": {"c": "2024-01-01"}}
    assert data["b"].value_at["c"] == (3, 6)
    assert problems("a: 1\na: 2\n") == ["f.yaml:2:1: duplicate key 'a' (first defined on line 1)"]
    assert problems("é: ü\x07\n") == [
        "f.yaml:1:5: control character U+0007 is not allowed in YAML"]
    nested = "a:\n" + "".join(" " * i + "- \n" for i in range(1, 100))
    (found,) = problems(nested)
    # libyaml has read one event further when the composer descends: it points one deeper
    assert found in (f"f.yaml:{n}:{n}: YAML syntax: nested deeper than 64 levels"
                     for n in (65, 66))

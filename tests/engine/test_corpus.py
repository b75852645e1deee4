"""Every broken file of the corpus is refused by ``ticketflow validate`` at the right place.

Each file's first line says what to expect: ``# expect: LINE:COLUMN: part of the message``.
Files that cannot hold a comment (binary, invalid UTF-8, zero bytes) are listed below.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tui.cli import run

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "broken"
WITHOUT_COMMENT = {
    "binary.yaml": (3, 1, "binary file (contains a NUL byte)"),
    "invalid_utf8.yaml": (2, 11, "not valid UTF-8 text"),
    "zero_bytes.yaml": (1, 1, "the file is empty"),
}
EXPECT = re.compile(rb"# expect: (\d+):(\d+): (.+)")


def expectation(path: Path) -> tuple[int, int, str]:
    if path.name in WITHOUT_COMMENT:
        return WITHOUT_COMMENT[path.name]
    match = EXPECT.match(path.read_bytes().split(b"\n", 1)[0])
    assert match, f"{path.name} lacks its '# expect: LINE:COLUMN: message' first line"
    return int(match[1]), int(match[2]), match[3].decode().strip()


BROKEN = sorted(CORPUS.glob("*.yaml"))


def test_the_corpus_is_large_and_covers_the_uncommentable_files() -> None:
    assert len(BROKEN) >= 30
    assert set(WITHOUT_COMMENT) <= {path.name for path in BROKEN}


@pytest.mark.parametrize("path", BROKEN, ids=[path.stem for path in BROKEN])
def test_broken_file_is_refused_at_its_line_and_column(path: Path, capsys) -> None:
    line, column, message = expectation(path)
    code = run(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "Traceback" not in out + err
    where = f"{path}:{line}:{column}: "
    assert any(row.startswith(where) and message in row for row in err.splitlines()), err


def test_all_broken_files_at_once_report_each_file(capsys) -> None:
    assert run(["validate", str(CORPUS)]) == 2
    err = capsys.readouterr().err
    assert {Path(row.split(":", 1)[0]).name for row in err.splitlines()} == {
        path.name for path in BROKEN}

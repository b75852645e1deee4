"""Tables through Rich: plain aligned text when piped, cells shown as text, never wrapped."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from tui.output import print_table


def test_piped_tables_are_plain_aligned_text(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(["id", "summary"], [[1, "mail down"], [22, None]])
    assert capsys.readouterr().out == "ID  SUMMARY\n1   mail down\n22  -\n"


def test_cells_are_text_never_markup_and_rows_never_wrap(
        capsys: pytest.CaptureFixture[str]) -> None:
    long = "x" * 70
    print_table(["a", "b", "c", "d"], [["[bold]1[/]", long, long, "\x1b[2Jq"]])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "\x1b" not in "".join(lines)
    assert lines[1].startswith("[bold]1[/]") and lines[1].endswith("\\x1b[2Jq")


def test_wide_characters_keep_the_columns_aligned(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(["post", "n"], [["服務台", 1], ["desk", 2]])
    header, first, second = capsys.readouterr().out.splitlines()
    assert cell_len(first[:first.index("1")]) == cell_len(second[:second.index("2")]) == \
        cell_len(header[:header.index("N")])

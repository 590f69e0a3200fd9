"""Tables printed by management commands: columns aligned for a terminal, where Chinese characters take two."""

import unicodedata


def width(text: str) -> int:
    """Return how many columns `text` takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def aligned(lines: list[list[str]]) -> list[str]:
    """Return `lines` (a header and rows of cells) as text lines whose columns line up."""
    widths = [max(width(line[i]) for line in lines) for i in range(len(lines[0]))]
    return ["  ".join(cell + " " * (w - width(cell)) for cell, w in zip(line, widths, strict=True)).rstrip()
            for line in lines]  # fmt: skip

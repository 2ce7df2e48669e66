"""Figures that tests measure (notebook sizes, nbval coverage, timings), printed after the run.

``report(section, line)`` from any test; ``tests/conftest.py`` prints the sections in pytest's
terminal summary, with or without ``-s``.
"""

from __future__ import annotations

SECTIONS: dict[str, list[str]] = {}


def report(section: str, line: str) -> None:
    """Add ``line`` to ``section`` of the summary printed at the end of the test run."""
    SECTIONS.setdefault(section, []).append(line)


def write_summary(terminalreporter) -> None:
    for section, lines in SECTIONS.items():
        terminalreporter.section(section, sep="-")
        for line in lines:
            terminalreporter.write_line(line)

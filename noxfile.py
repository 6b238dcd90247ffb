"""The developer loop as nox sessions; `nox` with no arguments runs what CI runs (`.ci/run`).

    .venv/bin/pip install -e '.[dev]'    # nox and pre-commit, besides the test extra
    .venv/bin/nox                        # = bash .ci/run: wheel smoke test, then the README's test command
    .venv/bin/nox -s tests -- -m "not slow"
    .venv/bin/nox -s lint typecheck coverage

The sessions run the same commands as CI and as the gates in tests/test_gates.py; they only add a venv of their
own (under .nox/) with the package and its test extra installed.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["ci"]
nox.options.default_venv_backend = "venv"  # the stdlib's, as .ci/run uses

CODE = ["dockerhub_mcp", "tests", "benchmarks"]  # what mypy checks; ruff reads this file too


def install(session: nox.Session) -> None:
    """The package, editable, with its test extra: the same install as the README's test command."""
    session.install("-e", ".[test]")


@nox.session(python=False)
def ci(session: nox.Session) -> None:
    """Exactly what CI runs, in the repository's .venv."""
    session.run("bash", ".ci/run", external=True)


@nox.session
def coverage(session: nox.Session) -> None:
    """The README's test command: the whole suite with branch coverage across subprocesses, failing under 90%."""
    install(session)
    session.run("python", "-m", "pytest", "-n", "auto", "--cov=dockerhub_mcp", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The suite without coverage, for a quick loop; arguments go to pytest (e.g. `-- -m "not slow"`)."""
    install(session)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff (lint and format) and the import-linter layer contracts, as tests/test_gates.py runs them."""
    install(session)
    session.run("python", "-m", "ruff", "check", *CODE, "noxfile.py")
    session.run("python", "-m", "ruff", "format", "--check", *CODE, "noxfile.py")
    session.run("lint-imports", "--no-cache")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy strict over package, tests and benchmarks, as tests/test_gates.py runs it."""
    install(session)
    session.run("python", "-m", "mypy", *CODE)

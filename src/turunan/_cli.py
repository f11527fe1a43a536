"""What the commands of ``python -m turunan`` share: a parser whose errors are one line, argument types that
refuse nonsense (a negative epoch count, a NaN learning rate) while parsing, and checks that an output path
can be written, all run before any work starts, so that a typo never costs a training run and a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from typing import NoReturn


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with errors as one line on stderr ("<prog>: error: <what> (see <prog> --help)"), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def fail(self, message: str) -> NoReturn:
        """A problem found after parsing (an output path): one line, exit 2, as a parsing error."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def positive_int(text: str) -> int:
    n = _integer(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {n}")
    return n


def positive_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 < x < math.inf:          # also false for NaN
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return x


def _writable_folder(folder: str, what: str) -> str | None:
    """Create ``folder`` if needed and check that a file can be created in it; a message if not."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        return f"{what} {folder!r} is a file, not a folder"
    try:
        os.makedirs(folder, exist_ok=True)
    except NotADirectoryError:
        return f"cannot create {what} {folder!r}: a part of that path is a file, not a folder"
    except OSError as e:
        return f"cannot create {what} {folder!r}: {e.strerror or e}"
    try:
        # the only reliable test (os.access is wrong for root, ACLs, read-only mounts): create a file
        fd, probe = tempfile.mkstemp(prefix=".turunan-write-test-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        return f"{what} {folder!r} is not writable: {e.strerror or e}"
    return None


def check_out_folder(parser: ArgumentParser, folder: str, files: tuple[str, ...] = ()) -> None:
    """``--out FOLDER``: create it, check it is writable and that none of ``files`` in it is a folder."""
    problem = _writable_folder(folder, "the output folder (--out)")
    if problem is None:
        for name in files:
            if os.path.isdir(os.path.join(folder, name)):
                problem = f"cannot write {os.path.join(folder, name)!r}: it is a folder"
                break
    if problem:
        parser.fail(problem)


def check_out_file(parser: ArgumentParser, path: str, suffixes: tuple[str, ...]) -> None:
    """``--out FILE``: a known suffix, not a folder, in a folder that exists (or can be made) and is writable."""
    suffix = os.path.splitext(path)[1].lower()
    if os.path.isdir(path):
        parser.fail(f"--out {path!r} is a folder; give a file name such as "
                    f"{os.path.join(path, 'graph' + suffixes[0])!r}")
    if suffix not in suffixes:
        parser.fail(f"--out {path!r}: unknown picture format {suffix or '(no suffix)'!r}; use one of "
                    + ", ".join(suffixes))
    problem = _writable_folder(os.path.dirname(os.path.abspath(path)), "the folder of --out")
    if problem:
        parser.fail(problem)


def say_error(prog: str, message: str) -> int:
    """One line on stderr for a problem met while working; returns the exit status (1)."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 1

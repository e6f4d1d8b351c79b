"""The Scarb backend: today's Cairo compiler, as real users run it.

One call = one fresh temporary Scarb package that we write ourselves::

    <work_root>/tmp/answer-XXXX/Scarb.toml       our manifest (never the answer's)
    <work_root>/tmp/answer-XXXX/src/lib.cairo    answer + the case's tests (`join_sources`)

then ``scarb --json --offline build`` and, when the case has tests and the answer built,
``scarb --offline cairo-test --filter cairo_evals_tests::``. The package folder is deleted
after the call. Nothing from the answer is ever used as a path, a manifest or an argument:
it only ever reaches Scarb as the contents of ``src/lib.cairo``.

Sharing between calls:

* ``SCARB_CACHE=<work_root>/cache``: downloaded and unpacked dependencies (e.g. OpenZeppelin)
  are shared by every call. Resolution is ``--offline``: a dependency that is not in that
  cache yet makes Scarb fail before compiling (status ``crash``, code ``scarb-setup``); fill
  the cache once with `ScarbBackend.fetch`.
* ``--target-dir <work_root>/target/<slot>``: a slot is a small number held with a file lock
  for the length of one call, so concurrent calls (threads, xdist workers) never share a
  target folder (Scarb locks it) but compiled dependencies are reused call after call.

Output formats (from Scarb's and the Cairo test runner's own sources and tests; see
``tests/fixtures/scarb/README.md``):

* ``scarb --version``: ``scarb 2.12.1 (40d114d1e 2025-08-26)`` / ``cairo: 2.12.1 (…)`` /
  ``sierra: 1.7.0``.
* ``--json`` build output is NDJSON: ``{"status":"compiling","message":"answer v0.1.0 (…)"}``,
  ``{"type":"warn","message":"Unused variable…\\n --> …/src/lib.cairo:2:9\\n…","code":"E0001"}``,
  ``{"type":"error","message":"could not compile `answer` due to previous error"}``,
  ``{"status":"finished",…}``; exit code 1 on errors. Positions are parsed out of the
  message's `` --> path:line:col`` line. Scarb's newest structured form
  (``{"type":"diagnostic","severity":…,"file":…,"span":{"start":…,"end":…}}``, byte
  offsets) is understood too.
* ``cairo-test`` prints text: ``test answer::cairo_evals_tests::foo ... ok (gas usage est.: 1)``,
  ``... fail (…)``, then ``failures:`` with ``   <name> - Panicked with 0x… ('msg').`` and
  ``test result: …`` (on failure ``Error: test result: FAILED. …`` on stderr, exit code 1).
  Test-compile errors print in text mode as ``error[E0006]: Identifier not found.`` +
  `` --> …/src/lib.cairo:19:30``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from filelock import FileLock
from filelock import Timeout as LockTimeout

from ..paths import cache_dir
from ._types import (
    CompileRequest,
    CompileResult,
    CompilerNotFound,
    Diagnostic,
    Kind,
    TestFailure,
    TestRun,
)
from .diagnostics import (
    HARNESS_TEST_MODULE,
    LOCATION,
    join_sources,
    parse_block,
    split_blocks,
    test_names,
)

INSTALL_HINT = (
    "Install Scarb 2.8 or newer (https://docs.swmansion.com/scarb/download.html; e.g. "
    "`curl --proto '=https' --tlsv1.2 -sSf https://docs.swmansion.com/scarb/install.sh | sh`, "
    "or `asdf plugin add scarb && asdf install scarb 2.12.1`), check that `scarb --version` "
    "works in this shell, or pass the executable's path "
    "(ScarbBackend(executable=...)); --compiler wasm uses the embedded compiler instead."
)
PACKAGE_NAME = "answer"
TEST_FILTER = f"{HARNESS_TEST_MODULE}::"
MAX_SLOTS = 64
VERSION_TIMEOUT_S = 30.0
OUTPUT_TAIL = 1500

VERSION_LINE = re.compile(
    r"^(?P<tool>scarb|cairo):?\s+(?P<ver>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)",
    re.M,
)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DEP_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
DEP_SPEC = re.compile(r"^[0-9A-Za-z.*^~<>=, +-]+$")
COMPILING_TEXT = re.compile(r"^\s*(?:Compiling|Checking)\s", re.M)
SUMMARY_NOISE = re.compile(r"^(?:could not (?:compile|check) `|test result: )")
MESSAGE_END = re.compile(  # where an unlocated text message ends and Scarb's progress resumes
    r"^(?:\s*(?:Compiling|Checking|Finished|Running|Testing)\s|running \d+ tests?|test |"
    r"testing |failures:)"
)
TEST_LINE = re.compile(
    r"^test (?P<name>\S+) \.\.\. (?P<status>ok|fail|FAILED|failed to run|ignored|mismatch)\b"
)
TEST_SUMMARY = re.compile(
    r"test result: (?:ok|FAILED)\. (?P<passed>\d+) passed; (?P<failed>\d+) failed", re.I
)
FAILURE_ENTRY = re.compile(r"^\s+(?P<name>\S+::\S+) - (?P<msg>.*)$")
PANIC_PREFIX = re.compile(r"^\s*panicked with\s+(?P<body>.*?)\s*$", re.I | re.S)
PANIC_ITEM = re.compile(r"\('(?P<short>.*?)'\)(?=[\s,)\]]|$)|\"(?P<bytes>[^\"]*)\"", re.S)


# -- versions and the manifest -------------------------------------------------------------


@dataclass(frozen=True)
class ScarbVersion:
    """What `scarb --version` says.

    Attributes:
        scarb: Scarb's version, e.g. "2.12.1".
        cairo: the bundled Cairo compiler's version (which versions `starknet` and
            `cairo_test`), e.g. "2.12.1".
    """

    scarb: str
    cairo: str

    def render(self) -> str:
        """The backend version recorded with each verdict: "2.12.1 (cairo 2.12.1)"."""
        return f"{self.scarb} (cairo {self.cairo})"


def parse_version_output(text: str) -> ScarbVersion | None:
    """The Scarb and Cairo versions from `scarb --version` output, or None if either is
    missing. Accepts `tool version` and `tool: version` lines, as Scarb's own parser does."""
    found = {m["tool"]: m["ver"] for m in VERSION_LINE.finditer(ANSI.sub("", text))}
    if "scarb" not in found or "cairo" not in found:
        return None
    return ScarbVersion(scarb=found["scarb"], cairo=found["cairo"])


def version_tuple(version: str) -> tuple[int, int, int]:
    """`"2.12.1-rc.0"` -> `(2, 12, 1)` (pre-release and build parts are ignored)."""
    core = re.match(r"(\d+)\.(\d+)\.(\d+)", version)
    if core is None:
        raise ValueError(f"not a version: {version!r}")
    return int(core[1]), int(core[2]), int(core[3])


def render_manifest(
    kind: Kind,
    dependencies: Sequence[tuple[str, str]],
    version: ScarbVersion,
) -> str:
    """Our own `Scarb.toml` for one call, written for the installed Scarb.

    Version-aware parts (thresholds from Scarb's changelog and sources):

    * `edition = "2024_07"` from Scarb 2.7 (which introduced it); `"2023_11"` before.
    * `[dev-dependencies] cairo_test = "<cairo version>"` from Scarb 2.7, when the test
      runner became an explicit plugin package (`scarb new` adds it since then); older
      Scarb has it built in and rejects the unknown package.
    * `assert_macros` (the `assert_eq!` family used by tests): pinned to the Scarb version
      from 2.8.0; `"0.1.0"` on 2.7.x; absent before.
    * Contracts get `starknet = "<cairo version>"` and a `[[target.starknet-contract]]`
      target (`sierra = true`) next to `[lib]`; programs get `[lib]` only.

    `dependencies` are the suite's `(name, version-spec)` pairs (e.g. `("openzeppelin",
    "2.0.0")`); they come last and win over ours on a name clash.

    Raises:
        ValueError: a dependency name or version spec that is not a plain Scarb package
            name / version requirement (nothing else is ever written into the manifest).
    """
    scarb = version_tuple(version.scarb)
    deps: dict[str, str] = {}
    if kind == "contract":
        deps["starknet"] = version.cairo
    for name, spec in dependencies:
        if not DEP_NAME.match(name) or not DEP_SPEC.match(spec):
            raise ValueError(
                f"dependency {name!r} = {spec!r}: expected a Scarb package name "
                '([a-z_][a-z0-9_]*) and a version requirement such as "2.0.0"'
            )
        deps[name] = spec
    dev: dict[str, str] = {}
    if scarb >= (2, 7, 0):
        dev["cairo_test"] = version.cairo
        dev["assert_macros"] = version.scarb if scarb >= (2, 8, 0) else "0.1.0"
    for name in deps:
        dev.pop(name, None)

    lines = [
        "[package]",
        f'name = "{PACKAGE_NAME}"',
        'version = "0.1.0"',
        f'edition = "{"2024_07" if scarb >= (2, 7, 0) else "2023_11"}"',
        "",
        "[dependencies]",
        *(f'{name} = "{spec}"' for name, spec in deps.items()),
        "",
    ]
    if dev:
        lines += ["[dev-dependencies]", *(f'{n} = "{s}"' for n, s in dev.items()), ""]
    lines += ["[lib]", ""]
    if kind == "contract":
        lines += ["[[target.starknet-contract]]", "sierra = true", ""]
    return "\n".join(lines)


# -- running Scarb -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessResult:
    """One finished (or killed) Scarb process."""

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and everything it started (it leads its own session)."""
    if os.name == "posix":
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with suppress(ProcessLookupError):
        proc.kill()


def run_process(args: Sequence[str], cwd: Path, env: dict[str, str], timeout: float) -> ProcessResult:
    """Run one command (list args, no shell) in its own process group.

    On timeout (or any interruption) the whole group is killed with SIGKILL, so helper
    processes Scarb started (its extensions, the test runner) do not outlive the call.

    Raises:
        FileNotFoundError / PermissionError: the executable cannot be started.
    """
    proc = subprocess.Popen(
        list(args),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=os.name == "posix",
    )
    timed_out = False
    try:
        out, err = proc.communicate(timeout=max(timeout, 0.05))
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a straggler outside the group holds the pipes
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
            proc.wait(timeout=5)
            out, err = b"", b""
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    return ProcessResult(
        returncode=proc.returncode,
        stdout=out.decode("utf-8", errors="replace"),
        stderr=err.decode("utf-8", errors="replace"),
        timed_out=timed_out,
    )


@contextmanager
def target_slot(root: Path) -> Iterator[Path]:
    """A `--target-dir` no concurrent call is using: `<root>/<n>` for the lowest free `n`,
    held with a file lock (across threads and processes) until the block ends. Reusing
    small numbers keeps compiled dependencies warm without ever sharing a folder Scarb
    would lock."""
    root.mkdir(parents=True, exist_ok=True)
    for n in range(MAX_SLOTS):
        lock = FileLock(str(root / f"{n}.lock"))
        try:
            lock.acquire(timeout=0)
        except LockTimeout:
            continue
        try:
            yield root / str(n)
        finally:
            lock.release()
        return
    yield root / f"p{os.getpid()}-{threading.get_ident()}"  # more than MAX_SLOTS at once


# -- parsing Scarb's output ----------------------------------------------------------------


@dataclass
class ParsedOutput:
    """What one Scarb run said.

    Attributes:
        diagnostics: compiler diagnostics (located ones mapped to lib.cairo / tests.cairo)
            and unlocated errors (manifest, resolution), in order.
        notes: Scarb's own remarks that are not about the code (unlocated warnings).
        text: everything that was not a JSON line (stdout then stderr), colour codes removed.
        reached_compile: Scarb got as far as compiling the package (a `compiling` /
            `checking` status); False means it failed while reading the manifest or
            resolving dependencies.
    """

    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    text: str = ""
    reached_compile: bool = False


@dataclass(frozen=True)
class _Source:
    """The compiled file: where it is and how its lines split into answer and tests."""

    lib_path: Path
    answer_lines: int
    text: str

    def is_ours(self, path: str) -> bool:
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.lib_path.parent.parent / candidate
        return os.path.realpath(candidate) == os.path.realpath(self.lib_path)


def _locate(diag: Diagnostic, block: str, src: _Source) -> Diagnostic:
    """`parse_block` maps every location by line; put back a foreign file's own path."""
    loc = LOCATION.search(block)
    if loc is None or src.is_ours(loc["file"]):
        return diag
    return replace(diag, file=loc["file"], line=int(loc["line"]), col=int(loc["col"]))


def _line_col(text: str, byte_offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset into `text` (UTF-8)."""
    before = text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")
    line = before.count("\n") + 1
    return line, len(before) - (before.rfind("\n") + 1) + 1


def json_diagnostic(obj: dict[str, Any], src: _Source) -> Diagnostic | None:
    """One Diagnostic from one `--json` line, or None if the line is not a diagnostic.

    `{"type": "error"|"warn", "message": ..., "code": ...}` messages carry no `error:`
    header, so one is composed (severity from `type`) and handed to `parse_block`, which
    finds the ` --> path:line:col` line and maps lines past the answer to tests.cairo.
    A message without a location is kept whole (a manifest error's `Caused by:` lines are
    the useful part). The structured `{"type": "diagnostic", ...}` form gives a byte span
    instead, converted to line/column on our own source.
    """
    kind = obj.get("type")
    message = ANSI.sub("", str(obj.get("message", ""))).strip("\n")
    code = obj.get("code") or obj.get("error_code")
    code = str(code) if code else None
    if kind == "diagnostic":
        severity = "warning" if str(obj.get("severity", "error")).startswith("warn") else "error"
        diag = Diagnostic(severity, message.strip(), code=code)
        file, span = obj.get("file"), obj.get("span")
        if isinstance(file, str) and isinstance(span, dict) and "start" in span:
            if src.is_ours(file):
                line, col = _line_col(src.text, int(span["start"]))
                where = (
                    ("lib.cairo", line)
                    if line <= src.answer_lines
                    else ("tests.cairo", line - src.answer_lines)
                )
                return replace(diag, file=where[0], line=where[1], col=col)
            return replace(diag, file=file)
        return diag
    if kind not in ("error", "warn", "warning"):
        return None
    severity = "error" if kind == "error" else "warning"
    if LOCATION.search(message) is None:
        return Diagnostic(severity, message.strip(), code=code)
    block = f"{severity}: {message}"
    diag = parse_block(block, src.answer_lines)
    if diag is None:
        return Diagnostic(severity, message.strip(), code=code)
    return _locate(replace(diag, code=code or diag.code), block, src)


def _text_diagnostics(text: str, src: _Source) -> list[Diagnostic]:
    """Diagnostics printed as text (`error[E0006]: ...` + ` --> ...`), as `parse_text` reads
    them, with foreign files kept and unlocated messages kept whole."""
    found: list[Diagnostic] = []
    for block in split_blocks(text):
        diag = parse_block(block, src.answer_lines)
        if diag is None:
            continue
        if diag.line is None:  # keep the whole message (e.g. a manifest error's causes)
            body = []
            for line in block.split(":", 1)[1].splitlines():
                if MESSAGE_END.match(line):
                    break
                body.append(line)
            diag = replace(diag, message="\n".join(body).strip())
        found.append(_locate(diag, block, src))
    return found


def parse_output(stdout: str, stderr: str, src: _Source) -> ParsedOutput:
    """Diagnostics, notes and leftover text from one Scarb run (JSON and text lines mixed).

    Unlocated warnings are Scarb's remarks about itself (deprecations, version notes), so
    they become notes. "could not compile `answer` due to previous error" summaries are
    dropped when a real error is present.
    """
    parsed = ParsedOutput()
    text_lines: list[str] = []
    diags: list[Diagnostic] = []
    for line in ANSI.sub("", stdout).splitlines():
        obj = _json_line(line)
        if obj is None:
            text_lines.append(line)
            continue
        if obj.get("status") in ("compiling", "checking"):
            parsed.reached_compile = True
        diag = json_diagnostic(obj, src)
        if diag is not None:
            diags.append(diag)
    parsed.text = "\n".join(text_lines + ANSI.sub("", stderr).splitlines())
    if COMPILING_TEXT.search(parsed.text):
        parsed.reached_compile = True
    diags += _text_diagnostics(parsed.text, src)

    real_error = any(d.severity == "error" and not SUMMARY_NOISE.match(d.message) for d in diags)
    for diag in diags:
        unlocated = diag.line is None
        if unlocated and diag.severity == "warning":
            parsed.notes.append(f"scarb: warn: {diag.message}")
            continue
        noise = unlocated and SUMMARY_NOISE.match(diag.message)
        if noise and (real_error or diag.message.startswith("test result: ")):
            continue
        if diag not in parsed.diagnostics:
            parsed.diagnostics.append(diag)
    return parsed


def _json_line(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not (line.startswith("{") and line.endswith("}")):
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


# -- parsing the test runner's output ------------------------------------------------------


def decode_panic(message: str) -> str:
    """The readable part of a Cairo panic report.

    `Panicked with 0x77726f6e67 ('wrong').` -> `wrong`;
    `Panicked with (0x61 ('a'), 0x62 ('b')).` -> `a, b`;
    `Panicked with "assertion `x == 1` failed.\\n..."`. -> the ByteArray text;
    the older `panicked with [1725…588 ('Make this test fail'), ].` -> `Make this test fail`.
    Anything else (no short string / ByteArray, e.g. `Panicked with 0x1.` or
    `expected panic but finished successfully.`) is returned as it is.
    """
    raw = message.strip()
    m = PANIC_PREFIX.match(raw)
    if m is None:
        return raw
    body = m["body"]
    if body.endswith("."):
        body = body[:-1]
    if body.startswith('"') and body.endswith('"') and len(body) >= 2:
        return body[1:-1]
    items = [i["short"] if i["short"] is not None else i["bytes"] for i in PANIC_ITEM.finditer(body)]
    return ", ".join(items) if items else raw


@dataclass
class TestLines:
    """The test runner's verdicts: `test <full name> ... ok|fail` lines and the reasons."""

    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    summary: tuple[int, int] | None = None

    @property
    def ran(self) -> bool:
        return bool(self.passed or self.failed) or bool(self.summary and sum(self.summary))


def parse_test_output(text: str) -> TestLines:
    """Parse `scarb cairo-test` text. Several targets (unit, integration) add up; a failure
    reason may continue over several lines (a ByteArray panic message with newlines)."""
    lines = TestLines()
    current: str | None = None
    in_failures = False
    summaries: list[tuple[int, int]] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        test = TEST_LINE.match(line)
        summary = TEST_SUMMARY.search(line)
        if test:
            current, in_failures = None, False
            bucket = lines.passed if test["status"] == "ok" else lines.failed
            if test["status"] != "ignored":
                bucket.append(test["name"])
        elif summary:
            current, in_failures = None, False
            summaries.append((int(summary["passed"]), int(summary["failed"])))
        elif line.strip() == "failures:":
            in_failures, current = True, None
        elif in_failures and (entry := FAILURE_ENTRY.match(line)):
            current = entry["name"]
            lines.reasons[current] = entry["msg"]
        elif in_failures and current is not None and line.strip():
            lines.reasons[current] += "\n" + line
        elif not line.strip():
            current = None
    if summaries:
        lines.summary = (sum(p for p, _ in summaries), sum(f for _, f in summaries))
    return lines


def short_name(full: str) -> str:
    """`answer::cairo_evals_tests::test_foo` -> `test_foo` (as `test_names` reports it)."""
    return full.rsplit("::", 1)[-1]


# -- the backend ---------------------------------------------------------------------------


class ScarbBackend:
    """Compile (and test) Cairo with the installed Scarb.

    Args:
        executable: the `scarb` command: a name looked up on PATH, or a path.
        work_root: where temporary packages, the shared dependency cache and the target
            slots live (default `<cache_dir>/scarb`, see `harness.paths.cache_dir`).
        test_command: the Scarb subcommand that runs the case's tests; it must accept
            cairo-test's `--filter` (`cairo-test`, or `test` when no `[scripts] test` is set).
    """

    name = "scarb"

    def __init__(
        self,
        executable: str = "scarb",
        work_root: Path | None = None,
        test_command: str = "cairo-test",
    ) -> None:
        self.executable = executable
        self.work_root = Path(work_root) if work_root is not None else cache_dir() / "scarb"
        self.test_command = test_command
        self._lock = threading.Lock()
        self._resolved: str | None = None
        self._version: ScarbVersion | None = None

    # -- version -----------------------------------------------------------------------------

    def _resolve(self) -> str:
        exe = self.executable
        if os.sep in exe or (os.altsep and os.altsep in exe):
            if Path(exe).is_file() and os.access(exe, os.X_OK):
                return exe
            where = f"the path {exe!r}"
        else:
            found = shutil.which(exe)
            if found:
                return found
            where = f"`{exe}` on PATH ({os.environ.get('PATH', '')})"
        raise CompilerNotFound(
            f"Scarb backend: no Scarb executable found; looked for {where}. " + INSTALL_HINT
        )

    def scarb_version(self) -> ScarbVersion:
        """Scarb's and Cairo's versions, from one `scarb --version` run per instance.

        Raises:
            CompilerNotFound: the executable is missing, does not run, or does not print
                Scarb's version lines; the message says what was tried and how to install.
        """
        with self._lock:
            if self._version is not None:
                return self._version
            exe = self._resolve()
            try:
                proc = subprocess.run(
                    [exe, "--version"],
                    capture_output=True,
                    text=True,
                    errors="replace",
                    timeout=VERSION_TIMEOUT_S,
                    stdin=subprocess.DEVNULL,
                    env=self._env(),
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise CompilerNotFound(
                    f"Scarb backend: `{exe} --version` could not run ({exc}). " + INSTALL_HINT
                ) from exc
            version = parse_version_output(proc.stdout) if proc.returncode == 0 else None
            if version is None:
                said = (proc.stdout + proc.stderr).strip()[-400:] or "nothing"
                raise CompilerNotFound(
                    f"Scarb backend: `{exe} --version` exited {proc.returncode} and did not "
                    f"report Scarb and Cairo versions (it said: {said}). " + INSTALL_HINT
                )
            self._resolved, self._version = exe, version
            return version

    def version(self) -> str:
        """Scarb's version, e.g. "2.12.1" (cached; see `scarb_version` for errors)."""
        return self.scarb_version().scarb

    @property
    def cairo_version(self) -> str:
        """The Cairo compiler version bundled with this Scarb, e.g. "2.12.1"."""
        return self.scarb_version().cairo

    # -- one call ----------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        for var in (
            "SCARB_TARGET_DIR",
            "SCARB_MANIFEST_PATH",
            "SCARB_PROFILE",
            "SCARB_UI_VERBOSITY",
            "SCARB_OUTPUT_FORMAT",
        ):
            env.pop(var, None)
        env["SCARB_CACHE"] = str(self.work_root / "cache")
        env["NO_COLOR"] = "1"
        env["CLICOLOR"] = "0"
        return env

    def _scarb(self, pkg: Path, target: Path, *command: str, json_output: bool) -> list[str]:
        assert self._resolved is not None
        args = [self._resolved]
        if json_output:
            args.append("--json")
        args += [
            "--offline",
            "--manifest-path",
            str(pkg / "Scarb.toml"),
            "--target-dir",
            str(target),
            *command,
        ]
        return args

    def compile(self, req: CompileRequest, timeout: float = 120.0) -> CompileResult:
        """Build the answer with Scarb and, when the case has tests, run them.

        The verdict:

        * `ok`: `scarb build` succeeded (warnings are kept as diagnostics).
        * `status="error"`: compiler errors, each with Scarb's code (`E0006`) and its
          position in lib.cairo (the answer) or tests.cairo (the case's tests).
        * `status="crash"`: Scarb failed before compiling anything (manifest, offline
          dependency resolution; code `scarb-setup`) or was killed by a signal; not the
          answer's fault.
        * `status="timeout"`: `timeout` seconds (for build and tests together) ran out;
          Scarb and its children were killed. If it ran out during the tests, the answer's
          successful build stands (`ok=True`) and every test counts as failed.
        * Tests that do not compile against a building answer: `ok=True`, every test
          failed, one `<tests>` failure quoting the first diagnostics, which are added.

        Raises:
            CompilerNotFound: Scarb is missing or broken (see `scarb_version`).
            ValueError: a suite dependency that is not a plain name / version spec.
        """
        start = time.monotonic()
        deadline = start + timeout
        version = self.scarb_version()
        source, answer_lines = join_sources(req.code, req.tests)
        manifest = render_manifest(req.kind, req.dependencies, version)
        tmp_root = self.work_root / "tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        pkg = Path(tempfile.mkdtemp(prefix=f"{PACKAGE_NAME}-", dir=tmp_root))
        try:
            (pkg / "src").mkdir()
            (pkg / "Scarb.toml").write_text(manifest, encoding="utf-8", newline="\n")
            lib = pkg / "src" / "lib.cairo"
            lib.write_text(source, encoding="utf-8", newline="\n")
            src = _Source(lib_path=lib, answer_lines=answer_lines, text=source)
            with target_slot(self.work_root / "target") as target:
                return self._build_and_test(req, pkg, target, src, version, start, deadline, timeout)
        finally:
            shutil.rmtree(pkg, ignore_errors=True)

    def _build_and_test(
        self,
        req: CompileRequest,
        pkg: Path,
        target: Path,
        src: _Source,
        version: ScarbVersion,
        start: float,
        deadline: float,
        timeout: float,
    ) -> CompileResult:
        env = self._env()

        def result(**kw: Any) -> CompileResult:
            return CompileResult(
                backend=self.name,
                backend_version=version.render(),
                duration_s=round(time.monotonic() - start, 3),
                **kw,
            )

        build = run_process(
            self._scarb(pkg, target, "build", json_output=True), pkg, env, deadline - time.monotonic()
        )
        if build.timed_out:
            return result(
                ok=False,
                status="timeout",
                diagnostics=(_timeout_diagnostic(timeout),),
                notes=("killed during `scarb build`",),
            )
        out = parse_output(build.stdout, build.stderr, src)
        notes = list(out.notes)
        diagnostics = list(out.diagnostics)
        errors = [d for d in diagnostics if d.severity == "error"]

        if build.returncode is not None and build.returncode < 0:
            diagnostics.append(
                Diagnostic("error", f"scarb was killed by signal {-build.returncode}", code="crash")
            )
            return result(ok=False, status="crash", diagnostics=tuple(diagnostics), notes=tuple(notes))
        if build.returncode != 0 and not errors:
            diag = Diagnostic(
                "error",
                "scarb build failed (exit code "
                f"{build.returncode}) without a diagnostic: "
                f"{_tail(out.text) or 'no output'}",
                code="no-detail",
            )
            diagnostics.append(diag)
            errors.append(diag)

        if errors and not out.reached_compile:
            diagnostics = [
                replace(d, code=d.code or "scarb-setup") if d.severity == "error" else d for d in diagnostics
            ]
            notes.append(
                "Scarb failed before compiling the answer (manifest or dependency "
                "resolution), so this says nothing about the answer. Dependencies resolve "
                f"offline from {self.work_root / 'cache'}; fill it once with "
                "ScarbBackend.fetch(dependencies) while online."
            )
            return result(ok=False, status="crash", diagnostics=tuple(diagnostics), notes=tuple(notes))

        if errors:
            only_tests = req.tests is not None and all(d.file == "tests.cairo" for d in errors)
            if not only_tests:
                return result(ok=False, status="error", diagnostics=tuple(diagnostics), notes=tuple(notes))
            return result(
                ok=True,
                status="ok",
                diagnostics=tuple(diagnostics),
                tests=_tests_do_not_compile(req.tests or "", errors),
                notes=tuple(notes),
            )

        if req.tests is None:
            return result(ok=True, status="ok", diagnostics=tuple(diagnostics), notes=tuple(notes))

        expected = len(test_names(req.tests)) or 1
        run = run_process(
            self._scarb(pkg, target, self.test_command, "--filter", TEST_FILTER, json_output=False),
            pkg,
            env,
            deadline - time.monotonic(),
        )
        if run.timed_out:
            diagnostics.append(_timeout_diagnostic(timeout))
            failure = TestFailure(
                "<tests>", f"scarb {self.test_command} did not finish within the {timeout:g} s budget; killed"
            )
            return result(
                ok=True,
                status="timeout",
                diagnostics=tuple(diagnostics),
                tests=TestRun(0, expected, (failure,)),
                notes=(*notes, f"killed during `scarb {self.test_command}`"),
            )

        test_out = parse_output(run.stdout, run.stderr, src)
        for diag in test_out.diagnostics:
            if diag not in diagnostics:
                diagnostics.append(diag)
        notes += [n for n in test_out.notes if n not in notes]
        lines = parse_test_output(test_out.text)
        located_errors = [d for d in test_out.diagnostics if d.severity == "error" and d.line is not None]

        if lines.ran:
            tests = _test_run(lines)
        elif located_errors:
            tests = _tests_do_not_compile(req.tests, located_errors)
        elif run.returncode == 0:
            tests = TestRun(
                0,
                expected,
                (
                    TestFailure(
                        "<tests>",
                        f"scarb {self.test_command} ran no test matching `{TEST_FILTER}`: "
                        f"{_tail(test_out.text) or 'no output'}",
                    ),
                ),
            )
        else:
            tests = TestRun(
                0,
                expected,
                (
                    TestFailure(
                        "<tests>",
                        f"scarb {self.test_command} failed (exit code {run.returncode}) "
                        f"before running any test: {_tail(test_out.text) or 'no output'}",
                    ),
                ),
            )
        return result(ok=True, status="ok", diagnostics=tuple(diagnostics), tests=tests, notes=tuple(notes))

    # -- filling the dependency cache --------------------------------------------------------

    def fetch(
        self,
        dependencies: Sequence[tuple[str, str]] = (),
        kind: Kind = "contract",
        timeout: float = 600.0,
    ) -> None:
        """Download the suite's dependencies into the shared cache (`scarb fetch`, online),
        so that later `--offline` compiles find them.

        Raises:
            CompilerNotFound: Scarb is missing or broken.
            RuntimeError: `scarb fetch` failed or timed out (with what it said).
        """
        version = self.scarb_version()
        tmp_root = self.work_root / "tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        pkg = Path(tempfile.mkdtemp(prefix=f"{PACKAGE_NAME}-fetch-", dir=tmp_root))
        try:
            (pkg / "src").mkdir()
            (pkg / "Scarb.toml").write_text(
                render_manifest(kind, dependencies, version), encoding="utf-8", newline="\n"
            )
            (pkg / "src" / "lib.cairo").write_text("", encoding="utf-8")
            assert self._resolved is not None
            proc = run_process(
                [self._resolved, "--manifest-path", str(pkg / "Scarb.toml"), "fetch"],
                pkg,
                self._env(),
                timeout,
            )
            if proc.timed_out or proc.returncode != 0:
                said = _tail(ANSI.sub("", proc.stdout + proc.stderr)) or "no output"
                state = "timed out" if proc.timed_out else f"exited {proc.returncode}"
                raise RuntimeError(f"scarb fetch {state}: {said}")
        finally:
            shutil.rmtree(pkg, ignore_errors=True)


def _timeout_diagnostic(timeout: float) -> Diagnostic:
    return Diagnostic("error", f"scarb did not finish within {timeout:g} s; killed", code="timeout")


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= OUTPUT_TAIL else "…" + text[-OUTPUT_TAIL:]


def _test_run(lines: TestLines) -> TestRun:
    if not (lines.passed or lines.failed) and lines.summary:  # counts only, no names
        passed, failed = lines.summary
        unnamed = (TestFailure(f"<{failed} unnamed>", "scarb reported the count only"),)
        return TestRun(passed, failed, unnamed if failed else ())
    failures = tuple(
        TestFailure(
            short_name(full),
            decode_panic(lines.reasons[full]) if full in lines.reasons else "failed (scarb gave no reason)",
        )
        for full in lines.failed
    )
    return TestRun(len(lines.passed), len(lines.failed), failures)


def _tests_do_not_compile(tests: str, errors: Sequence[Diagnostic]) -> TestRun:
    """Every test failed because the test build did not compile. Usually the case's tests
    do not bind to the answer (errors in tests.cairo); errors only in lib.cairo during the
    test build come from code that `scarb build` skips (e.g. the answer's own `#[cfg(test)]`
    module), and the message says so."""
    in_tests = [d for d in errors if d.file == "tests.cairo"]
    shown = "; ".join(d.render() for d in (in_tests or list(errors))[:3])[:800]
    if in_tests:
        why = "the case's tests do not compile against this answer: "
    else:
        why = "the test build failed in the answer's own test-only code: "
    return TestRun(0, len(test_names(tests)) or 1, (TestFailure("<tests>", why + shown),))

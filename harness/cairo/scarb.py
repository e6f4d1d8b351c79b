"""The Scarb backend: the user's own Scarb (2.12–2.20 in the field) and, for snforge suites, their
Starknet Foundry (`snforge` 0.49 and later).

**What runs.** For each compile the answer and the case's sealed tests (`seal.seal`, wrapped in a
random `#[cfg(test)] mod cairo_evals_<hex>`) become `src/lib.cairo` of a package whose
`Scarb.toml` we write (the model never supplies one). Then:

1. `scarb --json --offline build` judges the answer. It never compiles `#[cfg(test)]` code, so its
   errors are always the answer's own.
2. With tests, the case's tests run, filtered to the marker:
   - **cairo-test**: `scarb --offline cairo-test --filter <marker>` (a substring of the full test
     path), text output `test <path> ... ok (gas usage est.: N)`;
   - **snforge**: `snforge test <marker>` (also a substring filter), text output
     `[PASS] <path> (l1_gas: ~0, l1_data_gas: ~0, l2_gas: ~N)`, `[FAIL] <path>` + `Failure data:`,
     `Tests: N passed, M failed, …`. snforge has no machine-readable output.

   `test_runner` chooses: `auto` (the default) picks snforge when `snforge` is on PATH and the
   case's tests use `snforge_std`, cairo-test otherwise; `snforge` and `cairo-test` force one.
   With snforge, `declare`/`deploy`/dispatcher tests work, which also checks the contract's ABI.

**Warm workspace.** Dependencies are not rebuilt per case. One package per (Scarb, Cairo,
snforge, test runner, kind, dependency set) lives in `<cache>/scarb/ws/<key>/<slot>/`; it is
prepared once (`scarb fetch`, online only when the offline attempt fails, then a build that
compiles the dependencies into its target folder and writes `Scarb.lock`). A compile takes a free
slot (a file lock, across threads and processes), swaps in its `src/lib.cairo`, removes the
previous case's artifacts, and runs with `--offline` and `SCARB_OFFLINE=true` (which also reaches the
nested `scarb build` of cairo-test and snforge, where `--offline` does not). `warm=False` gives
the old behaviour, a fresh package per case, for comparison (benchmarks/README.md).

**Verdicts and faults.** A harness timeout, a Scarb that crashes or is killed, a toolchain that
cannot fetch or resolve dependencies: `results.fault_result` (status timeout/crash, never cached,
never a verdict). Tests that do not compile against a building answer: `results.unbound`.

**Subprocess hygiene.** Scarb and snforge run with a scrubbed environment (PATH, HOME, locale,
temp dirs, `SCARB_*` and `SNFORGE_*`, XDG and Rust/asdf install dirs, proxies and CA settings; no
API keys, DSNs or cloud credentials), in their own session (a timeout kills the whole group; the
harness killed with -9 takes Scarb with it through `PR_SET_PDEATHSIG`),
and under an address-space limit (`RLIMIT_AS`, set with `resource.setrlimit` in the child before
`exec`; default 32 GiB, `CAIRO_EVALS_SCARB_MEMORY_GB` or `memory_limit_gb=` change it, 0 disables).
The default leaves room for the worst run Scarb itself bounds: a test that loops until cairo-test's
default gas (u32::MAX) runs out took 23 s, 6.1 GiB resident and 18.7 GiB of address space with
Scarb 2.16.0, and fails "Out of gas", a verdict on the answer; a 12 GiB limit turned it into a fault.

**Output formats** (from Scarb's and Starknet Foundry's own test expectations; fixtures in
`tests/fixtures/scarb/`, each naming its source and version):

- `scarb --version`: `scarb 2.12.1 (…)`, `cairo: 2.12.1 (…)`, `sierra: 1.7.0`.
- `--json`: `{"status":"compiling",…}`, `{"type":"error"|"warn","message":"…\\n --> path:l:c\\n…",
  "code":"E0006"}` (Scarb ≥ 2.5; `code` since 2.8/2.9) and, from Scarb ≤ 2.4,
  `{"type":"diagnostic","message":"error: …"}` (severity in the message's own header).
- Text mode (cairo-test's and snforge's nested builds): `error[E0006]: Identifier not found.`,
  ` --> …/src/lib.cairo:19:30`, `warn[E0001]: …`, `error: could not compile `x` due to …`.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock
from filelock import Timeout as LockTimeout

from ..paths import cache_dir
from . import diagnostics as dx
from ._types import (
    CompileRequest,
    CompileResult,
    CompilerNotFound,
    Diagnostic,
    Kind,
)
from .pool import Reply
from .results import Outcome, case_tests, decode_panic, fault_result, panic_texts, unbound, verdict
from .seal import Sealed, seal

TestRunner = Literal["auto", "snforge", "cairo-test"]
TEST_RUNNERS: tuple[str, ...] = ("auto", "snforge", "cairo-test")
TEST_RUNNER_ENV = "CAIRO_EVALS_TEST_RUNNER"
PATCH_ENV = "CAIRO_EVALS_SCARB_PATCH"
MEMORY_ENV = "CAIRO_EVALS_SCARB_MEMORY_GB"
DEFAULT_MEMORY_GB = 32.0

INSTALL_HINT = (
    "Install Scarb (https://docs.swmansion.com/scarb/download.html; e.g. "
    "`curl --proto '=https' --tlsv1.2 -sSf https://sh.starkup.sh | sh`, or "
    "`asdf plugin add scarb && asdf install scarb 2.12.1`), check that `scarb --version` works in "
    "this shell, or pass the executable's path (ScarbBackend(executable=...)); "
    "--compiler native or wasm use the embedded compilers instead."
)
SNFORGE_HINT = (
    "install Starknet Foundry (https://foundry-rs.github.io/starknet-foundry/; e.g. starkup, or "
    "`asdf plugin add starknet-foundry && asdf install starknet-foundry 0.49.0`)"
)
PACKAGE_NAME = "answer"
MAX_SLOTS = 64
VERSION_TIMEOUT_S = 30.0
PREPARE_TIMEOUT_S = 1800.0
OUTPUT_TAIL = 1500
LAYOUT = "2"  # bump when the workspace's layout or manifest rules change (new workspaces)

SNFORGE_STD = re.compile(r"\bsnforge_std\b")
VERSION_LINE = re.compile(
    r"^(?P<tool>scarb|cairo|sierra|snforge):?\s+(?P<ver>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)",
    re.M,
)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DEP_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
DEP_SPEC = re.compile(r"^[0-9A-Za-z.*^~<>=, +-]+$")
DEP_VALUE = re.compile(r'^[^"\\\x00-\x1f\x7f]+$')  # a path or URL: nothing that ends a TOML string
COMPILING = re.compile(r"^\s*(?:Compiling|Checking)\s", re.M)
SUMMARY_NOISE = re.compile(r"^(?:could not (?:compile|check) `|test result: )")
MESSAGE_END = re.compile(  # where an unlocated text message ends and the tool's progress resumes
    r"^(?:\s*(?:Compiling|Checking|Finished|Running|Testing|Collected)\s|running \d+ tests?|test |"
    r"\[(?:PASS|FAIL|IGNORE|ERROR|WARNING)\]|failures:)"
)
OOM = re.compile(r"memory allocation of \d+ bytes failed|out of memory|Cannot allocate memory", re.I)

# cairo-test (cairo-lang-test-runner): `test <path> ... ok (gas usage est.: 30510)`, `failures:`,
# `   <path> - Panicked with 0x… ('msg').`, `test result: ok. 1 passed; 0 failed; 0 ignored; …`.
CT_LINE = re.compile(
    r"^test (?P<name>\S+) \.\.\. (?P<status>ok|fail|failed to run|ignored)\b"
    r"(?:\s*\(gas usage est\.: (?P<gas>\d+)\))?"
)
CT_SUMMARY = re.compile(r"test result: (?:ok|FAILED)\. (?P<passed>\d+) passed; (?P<failed>\d+) failed", re.I)
CT_FAILURE = re.compile(r"^\s+(?P<name>\S+::\S+) - (?P<msg>.*)$")
# snforge (forge-runner `messages.rs`, `tests_summary.rs`): `[PASS] <path> (l1_gas: ~0, …, l2_gas: ~N)`
# (before 0.3x: `(gas: ~N)`; fuzzed: `(runs: 256, l1_gas: {…}, …)`), `[FAIL] <path>`, blank,
# `Failure data:`, the data indented by 4; `[IGNORE] <path>`; `Tests: 9 passed, 2 failed, 2 ignored,
# 0 filtered out`; build failures end with `[ERROR] Failed to build test artifacts with Scarb: …`.
SF_LINE = re.compile(r"^\[(?P<status>PASS|FAIL|IGNORE)\] (?P<name>\S+)(?P<rest>.*)$")
SF_GAS = re.compile(r"\bl2_gas: ~(?P<l2>\d+)|\(gas: ~(?P<old>\d+)\)")
SF_SUMMARY = re.compile(r"^Tests: (?P<passed>\d+) passed, (?P<failed>\d+) failed, (?P<ignored>\d+) ignored")
SF_WARNING = re.compile(r"^\[WARNING\] (.*)$", re.M)


# -- versions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScarbVersion:
    """What `scarb --version` says: Scarb's version and its bundled Cairo's (and Sierra's)."""

    scarb: str
    cairo: str
    sierra: str | None = None

    def render(self) -> str:
        return f"{self.scarb} (cairo {self.cairo})"


def _versions(text: str) -> dict[str, str]:
    return {m["tool"]: m["ver"] for m in VERSION_LINE.finditer(ANSI.sub("", text))}


def parse_version_output(text: str) -> ScarbVersion | None:
    """Scarb's, Cairo's and Sierra's versions from `scarb --version`, or None without the first two.
    Accepts `tool version` and `tool: version` lines, as Scarb's own parser does."""
    found = _versions(text)
    if "scarb" not in found or "cairo" not in found:
        return None
    return ScarbVersion(found["scarb"], found["cairo"], found.get("sierra"))


def parse_snforge_version(text: str) -> str | None:
    """`snforge 0.49.0` (clap's `--version`) -> "0.49.0"."""
    return _versions(text).get("snforge")


def version_tuple(version: str) -> tuple[int, int, int]:
    """`"2.12.1-rc.0"` -> `(2, 12, 1)` (pre-release and build parts are ignored)."""
    core = re.match(r"(\d+)\.(\d+)\.(\d+)", version)
    if core is None:
        raise ValueError(f"not a version: {version!r}")
    return int(core[1]), int(core[2]), int(core[3])


# -- the manifest ------------------------------------------------------------------------------


SOURCE_KEYS = ("version", "path", "git", "tag", "branch", "rev")
# Test-runner packages: a suite dependency of that name replaces the runner's dev-dependency.
DEV_PACKAGES = frozenset({"snforge_std", "cairo_test", "assert_macros"})


def dependency_toml(name: str, spec: str) -> str:
    """The manifest's value for one dependency: `"2.0.0"`, or an inline table with a source
    (`{ version = "2.0.0", path = "/x" }`, `{ git = "…", tag = "v2.0.0" }`), rewritten from its
    parsed keys so that nothing but those keys ever reaches the manifest.

    Raises:
        ValueError: a name that is not a Scarb package name, a version that is not a version
            requirement, or a table with other keys or values that are not plain strings.
    """
    bad = ValueError(
        f"dependency {name!r} = {spec!r}: expected a Scarb package name ([a-z_][a-z0-9_]*) and a "
        'version requirement such as "2.0.0", or a table of version/path/git/tag/branch/rev'
    )
    if not DEP_NAME.match(name):
        raise bad
    if not spec.lstrip().startswith("{"):
        if not DEP_SPEC.match(spec):
            raise bad
        return f'"{spec}"'
    try:
        document = tomllib.loads(f"x = {spec}")
    except tomllib.TOMLDecodeError:
        raise bad from None
    table = document["x"]
    if set(document) != {"x"} or not isinstance(table, dict) or not table or set(table) - set(SOURCE_KEYS):
        raise bad
    if any(not isinstance(v, str) or not DEP_VALUE.match(v) for v in table.values()):
        raise bad
    if "version" in table and not DEP_SPEC.match(table["version"]):
        raise bad
    return "{ " + ", ".join(f'{k} = "{table[k]}"' for k in SOURCE_KEYS if k in table) + " }"


def check_dependencies(dependencies: Sequence[tuple[str, str]]) -> None:
    """Raise ValueError unless every dependency is a plain Scarb package name with a version
    requirement or a source table (`dependency_toml`): nothing else is ever written into a manifest."""
    for name, spec in dependencies:
        dependency_toml(name, spec)


def parse_patches(text: str, where: str = PATCH_ENV) -> tuple[tuple[str, str], ...]:
    """Overrides of registry packages, written as the body of Scarb's `[patch.scarbs-xyz]` table:
    `name = "2.0.0"` or `name = { path = "…" }` / `{ git = "…", tag = "…" }`, one per line. A
    relative path is resolved against the current folder. Returns (name, manifest value) pairs.

    Raises:
        ValueError: text that is not such lines, naming `where` and the offending entry.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        expected = 'expected `name = "version"` or `name = { path = "…" }` lines'
        raise ValueError(f"{where}: {expected}: {e}") from None
    out = []
    for name, value in document.items():
        if isinstance(value, dict) and isinstance(value.get("path"), str):
            value = {**value, "path": str(Path(value["path"]).expanduser().resolve())}
        if isinstance(value, dict):
            spec = "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + " }"
        else:
            spec = value if isinstance(value, str) else repr(value)
        try:
            dependency_toml(name, spec)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        out.append((name, spec))
    return tuple(out)


def patches_default() -> tuple[tuple[str, str], ...]:
    """The patches $CAIRO_EVALS_SCARB_PATCH gives (what `--patch` sets), or none."""
    return parse_patches(os.environ.get(PATCH_ENV, ""))


def render_manifest(
    kind: Kind,
    dependencies: Sequence[tuple[str, str]],
    version: ScarbVersion,
    runner: str = "cairo-test",
    snforge: str | None = None,
    patches: Sequence[tuple[str, str]] = (),
) -> str:
    """Our `Scarb.toml`, written for the installed Scarb and the test runner.

    - `edition = "2024_07"` from Scarb 2.7 (which introduced it), `"2023_11"` before.
    - cairo-test: `cairo_test = "<Cairo version>"` as a dev-dependency from Scarb 2.7 (when the
      runner became a package; older Scarb rejects it).
    - snforge: `snforge_std = "<snforge version>"` (snforge wants its own version), with
      `[tool.scarb] allow-prebuilt-plugins = ["snforge_std"]` so Scarb uses the prebuilt
      `snforge_scarb_plugin` instead of building it with cargo, and `[scripts] test`, as
      `snforge new` writes them.
    - `assert_macros` (the `assert_eq!` family) pinned to Scarb's version from 2.8.0, `"0.1.0"` on
      2.7.x, absent before.
    - Contracts: `starknet = "<Cairo version>"` and `[[target.starknet-contract]] sierra = true`;
      with snforge every package depends on `starknet` (snforge_std does).
    - The suite's `dependencies` come last and win on a name clash; one named after a test-runner
      package (`snforge_std`, `cairo_test`, `assert_macros`, e.g. `snforge_std` from a path)
      replaces that dev-dependency. A dependency may carry a source (`dependency_toml`).
    - `patches` (`--patch`, `parse_patches`) go into `[patch.scarbs-xyz]`: a registry package,
      wherever it appears in the dependency tree (`snforge_std`, OpenZeppelin's packages), comes
      from the given source instead, e.g. a path on a machine without the registry.

    Raises:
        ValueError: a dependency that is not a plain name and version requirement.
    """
    check_dependencies(dependencies)
    scarb = version_tuple(version.scarb)
    deps: dict[str, str] = {}
    if kind == "contract" or runner == "snforge":
        deps["starknet"] = version.cairo
    dev: dict[str, str] = {}
    if runner == "snforge":
        dev["snforge_std"] = snforge or "*"
    elif scarb >= (2, 7, 0):
        dev["cairo_test"] = version.cairo
    if scarb >= (2, 7, 0):
        dev["assert_macros"] = version.scarb if scarb >= (2, 8, 0) else "0.1.0"
    for name, spec in dependencies:
        (dev if name in DEV_PACKAGES and name in dev else deps)[name] = spec
    for name in deps:
        dev.pop(name, None)

    lines = [
        "[package]",
        f'name = "{PACKAGE_NAME}"',
        'version = "0.1.0"',
        f'edition = "{"2024_07" if scarb >= (2, 7, 0) else "2023_11"}"',
        "",
        "[dependencies]",
        *(f"{name} = {dependency_toml(name, spec)}" for name, spec in deps.items()),
        "",
    ]
    if dev:
        lines += ["[dev-dependencies]", *(f"{n} = {dependency_toml(n, s)}" for n, s in dev.items()), ""]
    lines += ["[lib]", ""]
    if kind == "contract":
        lines += ["[[target.starknet-contract]]", "sierra = true", ""]
    if runner == "snforge":
        lines += ["[scripts]", 'test = "snforge test"', ""]
        lines += ["[tool.scarb]", 'allow-prebuilt-plugins = ["snforge_std"]', ""]
    if patches:
        lines += ["[patch.scarbs-xyz]", *(f"{n} = {dependency_toml(n, s)}" for n, s in patches), ""]
    return "\n".join(lines)


def read_lock(path: Path) -> dict[str, str]:
    """`{package: version}` of every package in a `Scarb.lock` but our own (empty when unreadable)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    out = {}
    for pkg in data.get("package", []):
        name, ver = pkg.get("name"), pkg.get("version")
        if isinstance(name, str) and isinstance(ver, str) and name != PACKAGE_NAME:
            out[name] = ver
    return out


# -- running a tool ----------------------------------------------------------------------------

_KEEP = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TERM",
        "TMPDIR", "TEMP", "TMP", "CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
        "http_proxy", "https_proxy", "no_proxy", "all_proxy",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "UNIVERSAL_SIERRA_COMPILER",
    }
)  # fmt: skip
_KEEP_PREFIXES = ("SCARB_", "SNFORGE_", "LC_", "XDG_", "ASDF_")
# Scarb variables that would point our calls at another package, target or output format.
_OURS = frozenset(
    {
        "SCARB_TARGET_DIR", "SCARB_MANIFEST_PATH", "SCARB_PROFILE", "SCARB_UI_VERBOSITY",
        "SCARB_OUTPUT_FORMAT", "SCARB_PACKAGES_FILTER", "SCARB_LOG", "SCARB_OFFLINE",
    }
)  # fmt: skip


def scrubbed_env(source: dict[str, str] | None = None, *, offline: bool = True) -> dict[str, str]:
    """The environment Scarb and snforge run with: what they need to find themselves, their
    caches and the network, and nothing else (no API keys, database URLs, cloud credentials)."""
    source = dict(os.environ) if source is None else source
    env = {k: v for k, v in source.items() if (k in _KEEP or k.startswith(_KEEP_PREFIXES)) and k not in _OURS}
    env["NO_COLOR"] = "1"
    env["CLICOLOR"] = "0"
    if offline:
        # reaches the nested `scarb metadata`/`scarb build` of cairo-test and snforge. Scarb reads it
        # as a clap bool: "1" is refused ("invalid value '1' for '--offline'", exit 2; seen with
        # Scarb 2.16.0, and the argument is declared the same way from 2.4 to 2.20).
        env["SCARB_OFFLINE"] = "true"
    return env


def memory_limit_bytes(explicit: float | None = None) -> int | None:
    """The address-space limit for Scarb's processes: `explicit` GiB, else $CAIRO_EVALS_SCARB_MEMORY_GB,
    else 32 GiB (see the module's docs); 0 means none."""
    gb = explicit
    if gb is None:
        try:
            gb = float(os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_GB))
        except ValueError:
            gb = DEFAULT_MEMORY_GB
    return int(gb * 1024**3) if gb > 0 else None


@dataclass(frozen=True)
class ProcessResult:
    """One finished (or killed) process."""

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool

    @property
    def out_of_memory(self) -> bool:
        return bool(self.returncode is not None and self.returncode < 0 and OOM.search(self.stderr))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and everything it started (it leads its own session)."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with suppress(ProcessLookupError):
        proc.kill()


def _libc_prctl() -> Callable[..., int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # resolved here, never in the forked child
    except (OSError, AttributeError):  # not Linux
        return None


_PRCTL = _libc_prctl()
PR_SET_PDEATHSIG = 1


def _child_setup(limit: int | None) -> Callable[[], None]:
    """What runs in the child between fork and exec (two syscalls, no locks, nothing imported):
    the address-space limit, and SIGKILL when the thread that started it dies (the harness killed
    with -9 takes its Scarb with it; the calling thread waits for the child, so it never exits
    first)."""

    def apply() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if _PRCTL is not None:
            _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)

    return apply


def run_process(
    args: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    memory_limit: int | None = None,
) -> ProcessResult:
    """Run one command (list args, no shell) in its own session under an address-space limit.

    On timeout (or any interruption) the whole group is killed with SIGKILL, so the processes
    Scarb starts (its extensions, the test runner, snforge's scarb) do not outlive the call.

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
        start_new_session=True,
        preexec_fn=_child_setup(memory_limit),
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
def slot(root: Path) -> Iterator[Path]:
    """`<root>/<n>` for the lowest `n` no concurrent call holds (a file lock, across threads and
    processes), until the block ends. Small numbers are reused, so their builds stay warm."""
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


# -- reading Scarb's diagnostics ---------------------------------------------------------------


@dataclass
class BuildOutput:
    """What one Scarb run said about the code.

    Attributes:
        diagnostics: compiler diagnostics (ours located in lib.cairo / tests.cairo, a dependency's
            keeping its path) and unlocated errors (manifest, resolution), in order.
        notes: the tools' remarks that are not about the code (unlocated warnings).
        text: everything that was not a JSON line (stdout then stderr), colour codes removed.
        reached_compile: Scarb got as far as compiling (a `compiling`/`checking` status); False
            means it failed reading the manifest or resolving dependencies.
    """

    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    text: str = ""
    reached_compile: bool = False

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


class Where:
    """Maps a reported location to the case's files: our `src/lib.cairo` splits into the answer
    (`lib.cairo`) and the sealed tests (`tests.cairo`); any other file keeps its own path."""

    def __init__(self, pkg: Path, sealed: Sealed) -> None:
        self.lib = os.path.realpath(pkg / "src" / "lib.cairo")
        self.pkg = pkg
        self.sealed = sealed

    def ours(self, path: str) -> bool:
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.pkg / candidate
        return os.path.realpath(candidate) == self.lib

    def diagnostic(self, block: str, code: str | None = None) -> Diagnostic | None:
        loc = dx.LOCATION.search(block)
        diag = dx.parse_block(block, self.sealed.answer_lines, locate=self.sealed.locate)
        if diag is None:
            return None
        if code:
            diag = replace(diag, code=code)
        if loc is not None and not self.ours(loc["file"]):
            diag = replace(diag, file=loc["file"], line=int(loc["line"]), col=int(loc["col"]))
        if diag.line is None:  # keep the whole message (a manifest error's causes are the point)
            body = []
            for line in block.split(":", 1)[1].splitlines():
                if MESSAGE_END.match(line):
                    break
                body.append(line)
            diag = replace(diag, message="\n".join(body).strip())
        return diag


def json_diagnostic(obj: dict[str, Any], where: Where) -> Diagnostic | None:
    """One Diagnostic from one `--json` line, or None when the line is not a diagnostic.

    - `{"type": "error"|"warn", "message": …, "code": …}` (Scarb ≥ 2.5): the message has no
      header, so one is composed from `type`; the ` --> path:line:col` line inside it is the place.
    - `{"type": "diagnostic", "message": "error: …"}` (Scarb ≤ 2.4): the message carries its own
      `error:`/`warn:` header, which decides the severity (a warning never fails a build).
    """
    kind = obj.get("type")
    message = ANSI.sub("", str(obj.get("message", ""))).strip("\n")
    code = obj.get("code")
    code = str(code) if code else None
    if kind == "diagnostic":
        diag = where.diagnostic(message, code)
        return diag or Diagnostic("error", message.strip(), code=code)
    if kind not in ("error", "warn", "warning"):
        return None
    severity = "error" if kind == "error" else "warning"
    diag = where.diagnostic(f"{severity}: {message}", code)
    return diag or Diagnostic(severity, message.strip(), code=code)


def parse_build_output(stdout: str, stderr: str, where: Where) -> BuildOutput:
    """Diagnostics, notes and leftover text from one run (JSON lines and text mixed).

    Unlocated warnings are the tools' remarks about themselves (deprecations, plugin notices):
    notes. The "could not compile `answer` due to …" summary is dropped beside a real error.
    """
    out = BuildOutput()
    text_lines: list[str] = []
    found: list[Diagnostic] = []
    for line in ANSI.sub("", stdout).splitlines():
        obj = _json_line(line)
        if obj is None:
            text_lines.append(line)
            continue
        if obj.get("status") in ("compiling", "checking"):
            out.reached_compile = True
        diag = json_diagnostic(obj, where)
        if diag is not None:
            found.append(diag)
    out.text = "\n".join(text_lines + ANSI.sub("", stderr).splitlines())
    if COMPILING.search(out.text):
        out.reached_compile = True
    for block in dx.split_blocks(out.text):
        diag = where.diagnostic(block)
        if diag is not None:
            found.append(diag)

    real_error = any(d.severity == "error" and not SUMMARY_NOISE.match(d.message) for d in found)
    for diag in found:
        unlocated = diag.line is None
        if unlocated and diag.severity == "warning":
            note = f"scarb: warn: {diag.message}"
            if note not in out.notes:
                out.notes.append(note)
            continue
        noise = unlocated and SUMMARY_NOISE.match(diag.message)
        if noise and (real_error or diag.message.startswith("test result: ")):
            continue
        if diag not in out.diagnostics:
            out.diagnostics.append(diag)
    return out


def _json_line(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not (line.startswith("{") and line.endswith("}")):
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


# -- reading the test runners ------------------------------------------------------------------


@dataclass
class TestReport:
    """A runner's verdicts by full test path, and its summary counts (passed, failed)."""

    __test__ = False

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    summary: tuple[int, int] | None = None

    @property
    def ran(self) -> bool:
        return bool(self.outcomes) or bool(self.summary and sum(self.summary))


def parse_cairo_test(text: str) -> TestReport:
    """`scarb cairo-test` text. Several targets add up; a failure reason may continue over several
    lines (a ByteArray panic message with newlines)."""
    report = TestReport()
    reasons: dict[str, str] = {}
    current: str | None = None
    in_failures = False
    summaries: list[tuple[int, int]] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        test = CT_LINE.match(line)
        summary = CT_SUMMARY.search(line)
        if test:
            current, in_failures = None, False
            status = {"ok": "passed", "ignored": "ignored"}.get(test["status"], "failed")
            gas = int(test["gas"]) if test["gas"] else None
            report.outcomes[test["name"]] = Outcome(status, "", gas)
        elif summary:
            current, in_failures = None, False
            summaries.append((int(summary["passed"]), int(summary["failed"])))
        elif line.strip() == "failures:":
            in_failures, current = True, None
        elif in_failures and (entry := CT_FAILURE.match(line)):
            current = entry["name"]
            reasons[current] = entry["msg"]
        elif in_failures and current is not None and line.strip():
            reasons[current] += "\n" + line
        elif not line.strip():
            current = None
    for name, reason in reasons.items():
        old = report.outcomes.get(name, Outcome("failed"))
        report.outcomes[name] = replace(old, message=decode_panic(reason))
    if summaries:
        report.summary = (sum(p for p, _ in summaries), sum(f for _, f in summaries))
    return report


def decode_failure_data(data: str) -> str:
    """The readable part of snforge's `Failure data:` block (already dedented), as `decode_panic`:
    `0x6661696c696e6720636865636b ('failing check')` -> `failing check`; a ByteArray
    `"assertion `x == y` failed.\\nx: 5\\ny: 6"` -> its text; anything else (`Incorrect panic data` /
    `Actual:` / `Expected:`, `Expected to panic, but no panic occurred`, VM errors, plain felts)
    is kept as it is.
    """
    text = data.strip()
    texts = panic_texts(text)
    return ", ".join(texts) if texts else text


def parse_snforge(text: str) -> TestReport:
    """`snforge test` text from 0.49 on (and older `(gas: ~N)` lines).

    A `[FAIL]` line is followed by a blank line, `Failure data:` and the data indented by four
    spaces (a ByteArray's lines too); a backtrace or note may follow, which is not kept.
    """
    report = TestReport()
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        m = SF_LINE.match(line)
        summary = SF_SUMMARY.match(line)
        if summary:
            report.summary = (int(summary["passed"]), int(summary["failed"]))
        if not m:
            i += 1
            continue
        status = {"PASS": "passed", "FAIL": "failed", "IGNORE": "ignored"}[m["status"]]
        gas = None
        if status == "passed" and (g := SF_GAS.search(m["rest"])):
            gas = int(g["l2"] or g["old"])
        message = ""
        i += 1
        if status == "failed":
            j = i
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and lines[j].strip() == "Failure data:":
                data, j = _indented_block(lines, j + 1)
                message = decode_failure_data(data)
                i = j
        report.outcomes[m["name"]] = Outcome(status, message, gas)
    return report


def _indented_block(lines: list[str], start: int) -> tuple[str, int]:
    """The lines from `start` indented by 4 spaces, dedented; a blank line ends the block unless a
    quoted ByteArray is still open."""
    out: list[str] = []
    j = start
    while j < len(lines):
        line = lines[j]
        if line.startswith("    "):
            out.append(line[4:])
        elif not line.strip() and "".join(out).count('"') % 2 == 1:
            out.append("")
        else:
            break
        j += 1
    return "\n".join(out).rstrip(), j


# -- the backend -------------------------------------------------------------------------------


class SetupFailed(Exception):
    """Preparing a workspace failed (fetch, resolution): a toolchain fault, not a verdict."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def test_runner_default() -> str:
    value = os.environ.get(TEST_RUNNER_ENV, "auto").strip() or "auto"
    if value not in TEST_RUNNERS:
        raise ValueError(f"{TEST_RUNNER_ENV}={value!r}: choose one of {', '.join(TEST_RUNNERS)}")
    return value


class _SetTestRunner(argparse.Action):
    """`--test-runner X` sets $CAIRO_EVALS_TEST_RUNNER, which every Scarb backend this process (and
    the workers it starts) makes reads as its default."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        os.environ[TEST_RUNNER_ENV] = str(values)
        setattr(namespace, self.dest, values)


class _AddPatch(argparse.Action):
    """`--patch 'NAME = SPEC'` adds a line to $CAIRO_EVALS_SCARB_PATCH (checked here, so a bad
    one is a usage error), which every Scarb backend of this process and its workers reads."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        line = str(values)
        try:
            patches = parse_patches(line, f"--patch {line!r}")
        except ValueError as e:
            parser.error(str(e))
        if len(patches) != 1:  # none, or several in one flag
            parser.error(f'--patch {line!r}: expected one `NAME = "version"` or `NAME = {{ path = "…" }}`')
        ((name, spec),) = patches
        kept = [p for p in patches_default() if p[0] != name]
        os.environ[PATCH_ENV] = "\n".join(f"{n} = {s}" for n, s in [*kept, (name, spec)])
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), line])


def add_scarb_options(parser: argparse.ArgumentParser) -> None:
    """The CLI's `--test-runner auto|snforge|cairo-test` (default: $CAIRO_EVALS_TEST_RUNNER, else
    auto) and `--patch NAME=SPEC` (default: $CAIRO_EVALS_SCARB_PATCH)."""
    parser.add_argument(
        "--test-runner",
        choices=TEST_RUNNERS,
        action=_SetTestRunner,
        default=None,
        help="Scarb's test runner: auto (snforge for tests that use snforge_std when snforge is on "
        "PATH, else cairo-test), snforge or cairo-test",
    )
    parser.add_argument(
        "--patch",
        action=_AddPatch,
        metavar="'NAME = SPEC'",
        default=None,
        help="Scarb backend: take registry package NAME from SPEC instead, wherever it is used "
        "(Scarb's [patch.scarbs-xyz]), e.g. --patch 'snforge_std = { path = \"vendor/snforge_std\" }' "
        "on a machine without the registry; repeatable; default $CAIRO_EVALS_SCARB_PATCH (such lines)",
    )


class ScarbBackend:
    """Compile and test Cairo with the installed Scarb (and snforge).

    Args:
        executable: the `scarb` command: a name looked up on PATH, or a path.
        work_root: where the warm workspaces and fresh packages live (default `<cache>/scarb`).
        test_runner: "auto" (snforge for tests that use `snforge_std` when snforge is on PATH,
            else cairo-test), "snforge" or "cairo-test"; default $CAIRO_EVALS_TEST_RUNNER, else auto.
            A request's own `test_runner` (the suite's `test_runner:`) wins.
        snforge: the `snforge` command (a name on PATH, or a path).
        warm: compile in the warm workspace (True) or a fresh package per case (False).
        memory_limit_gb: address-space limit for each Scarb/snforge process (0: none).
    """

    name = "scarb"

    def __init__(
        self,
        executable: str = "scarb",
        work_root: Path | None = None,
        test_runner: str | None = None,
        snforge: str = "snforge",
        warm: bool = True,
        memory_limit_gb: float | None = None,
        patches: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        self.executable = executable
        self.work_root = Path(work_root) if work_root is not None else cache_dir() / "scarb"
        self.test_runner = test_runner or test_runner_default()
        if self.test_runner not in TEST_RUNNERS:
            raise ValueError(f"test_runner {self.test_runner!r}: choose one of {', '.join(TEST_RUNNERS)}")
        self.snforge_executable = snforge
        self.warm = warm
        self.memory_limit = memory_limit_bytes(memory_limit_gb)
        self.patches = tuple(patches) if patches is not None else patches_default()
        check_dependencies(self.patches)
        self._lock = threading.Lock()
        self._resolved: str | None = None
        self._version: ScarbVersion | None = None
        self._snforge: tuple[str, str] | bool | None = False  # False: not looked up yet
        self._locks: dict[str, dict[str, str]] = {}  # workspace key -> resolved dependencies

    # -- versions ------------------------------------------------------------------------------

    def _find(self, exe: str) -> str | None:
        if os.sep in exe or (os.altsep and os.altsep in exe):
            return exe if Path(exe).is_file() and os.access(exe, os.X_OK) else None
        return shutil.which(exe)

    def _ask_version(self, exe: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, "--version"],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=VERSION_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            env=scrubbed_env(),
        )

    def scarb_version(self) -> ScarbVersion:
        """Scarb's, Cairo's and Sierra's versions, from one `scarb --version` per instance.

        Raises:
            CompilerNotFound: the executable is missing, does not run, or does not print
                Scarb's version lines; the message says what was tried and how to install.
        """
        with self._lock:
            if self._version is not None:
                return self._version
            exe = self._find(self.executable)
            if exe is None:
                sep = os.sep in self.executable or bool(os.altsep and os.altsep in self.executable)
                where = (
                    f"the path {self.executable!r}"
                    if sep
                    else f"`{self.executable}` on PATH ({os.environ.get('PATH', '')})"
                )
                raise CompilerNotFound(
                    f"Scarb backend: no Scarb executable found; looked for {where}. " + INSTALL_HINT
                )
            try:
                proc = self._ask_version(exe)
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

    def snforge(self) -> tuple[str, str] | None:
        """(path, version) of snforge, or None when it is not on PATH or does not run."""
        with self._lock:
            if self._snforge is False:
                found = None
                exe = self._find(self.snforge_executable)
                if exe is not None:
                    with suppress(OSError, subprocess.TimeoutExpired):
                        proc = self._ask_version(exe)
                        ver = parse_snforge_version(proc.stdout) if proc.returncode == 0 else None
                        if ver:
                            found = (exe, ver)
                self._snforge = found
            return self._snforge  # type: ignore[return-value]

    def version(self) -> str:
        """What names the verdicts (and keys the cache): Scarb, Cairo, snforge and the runner choice."""
        v = self.scarb_version()
        sn = self.snforge()
        tool = f"snforge {sn[1]}" if sn else "no snforge"
        patched = ""
        if self.patches:  # another source is other code: it names the verdicts (and the cache key)
            digest = hashlib.sha256(json.dumps(self.patches).encode()).hexdigest()[:8]
            patched = f"; patched {', '.join(n for n, _ in self.patches)} ({digest})"
        return f"scarb {v.scarb} (Cairo {v.cairo}; {tool}; tests: {self.test_runner}{patched})"

    def cairo_version(self) -> str:
        return self.scarb_version().cairo

    def toolchain(self) -> dict[str, str]:
        """Scarb, Cairo, Sierra and snforge versions, the test runner, and `dep:<name>` for each
        package resolved in the workspaces this backend used (read from their `Scarb.lock`)."""
        v = self.scarb_version()
        out = {"scarb": v.scarb, "cairo": v.cairo, "test_runner": self.test_runner}
        if v.sierra:
            out["sierra"] = v.sierra
        if sn := self.snforge():
            out["snforge"] = sn[1]
        out |= {f"patch:{name}": spec for name, spec in self.patches}
        with self._lock:
            locks = list(self._locks.values())
        resolved: dict[str, set[str]] = {}
        for lock in locks:
            for name, ver in lock.items():
                resolved.setdefault(name, set()).add(ver)
        for name in sorted(resolved):
            out[f"dep:{name}"] = ", ".join(sorted(resolved[name]))
        return out

    # -- which runner ------------------------------------------------------------------------------

    def runner_for(self, req: CompileRequest) -> tuple[str | None, str | None]:
        """(runner, None) for the request's tests (runner None without tests), or (None, why not)."""
        if req.tests is None:
            return None, None
        choice = req.test_runner or self.test_runner
        uses_snforge = bool(SNFORGE_STD.search(req.tests))
        if choice == "cairo-test" or (choice == "auto" and not uses_snforge):
            if uses_snforge:
                return None, "the case's tests use snforge_std, which test_runner cairo-test cannot run"
            return "cairo-test", None
        if self.snforge() is None:
            why = "the case's tests use snforge_std" if uses_snforge else "test_runner is snforge"
            return None, f"{why}, but `{self.snforge_executable}` was not found on PATH: {SNFORGE_HINT}"
        return "snforge", None

    def supports(self, req: CompileRequest) -> str | None:
        return self.runner_for(req)[1]

    # -- workspaces ----------------------------------------------------------------------------

    def _env(self, offline: bool = True) -> dict[str, str]:
        return scrubbed_env(offline=offline)

    def _scarb(self, pkg: Path, *command: str, json_output: bool = False, offline: bool = True) -> list[str]:
        assert self._resolved is not None
        args = [self._resolved]
        if json_output:
            args.append("--json")
        if offline:
            args.append("--offline")
        return [*args, "--manifest-path", str(pkg / "Scarb.toml"), *command]

    def _run(self, args: Sequence[str], pkg: Path, timeout: float, offline: bool = True) -> ProcessResult:
        return run_process(args, pkg, self._env(offline), timeout, self.memory_limit)

    def manifest(self, kind: Kind, dependencies: Sequence[tuple[str, str]], runner: str | None) -> str:
        runner = runner or "cairo-test"
        sn = self.snforge() if runner == "snforge" else None
        version = self.scarb_version()
        return render_manifest(kind, dependencies, version, runner, sn[1] if sn else None, self.patches)

    def workspace(self, manifest: str) -> Path:
        """The warm workspace folder for a manifest (one per toolchain and dependency set)."""
        v = self.scarb_version()
        sn = self.snforge()
        ident = json.dumps(
            [LAYOUT, v.scarb, v.cairo, sn[1] if sn and "snforge_std" in manifest else "", manifest]
        )
        return self.work_root / "ws" / hashlib.sha256(ident.encode()).hexdigest()[:16]

    def prepare(
        self,
        kind: Kind = "contract",
        dependencies: Sequence[tuple[str, str]] = (),
        runner: str | None = "cairo-test",
        timeout: float = PREPARE_TIMEOUT_S,
    ) -> Path:
        """Make the warm workspace for this kind, dependency set and runner ready (once): fetch the
        dependencies (offline first, online when that fails) and build them, so that every later
        compile runs offline and finds them compiled. Returns the workspace folder.

        Raises:
            CompilerNotFound: Scarb is missing or broken.
            ValueError: a dependency that is not a plain name and version requirement.
            SetupFailed: fetching or building the dependencies failed or timed out.
        """
        self.scarb_version()
        manifest = self.manifest(kind, dependencies, runner)
        ws = self.workspace(manifest)
        ready = ws / "ready.json"
        ws.mkdir(parents=True, exist_ok=True)
        with FileLock(str(ws / "prepare.lock")):
            if not ready.is_file():
                self._prepare(ws / "0", manifest, runner, timeout)
                info = {"manifest": manifest, "resolved": read_lock(ws / "0" / "Scarb.lock")}
                tmp = ready.with_suffix(".tmp")
                tmp.write_text(json.dumps(info, indent=1), encoding="utf-8")
                os.replace(tmp, ready)
        resolved = json.loads(ready.read_text(encoding="utf-8")).get("resolved", {})
        with self._lock:
            self._locks[ws.name] = resolved
        return ws

    def _prepare(self, pkg: Path, manifest: str, runner: str | None, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        _write_package(pkg, manifest, "")
        fetched = self._run(self._scarb(pkg, "fetch"), pkg, deadline - time.monotonic())
        if not fetched.timed_out and fetched.returncode != 0:  # not in Scarb's cache yet: go online
            fetched = self._run(
                self._scarb(pkg, "fetch", offline=False), pkg, deadline - time.monotonic(), False
            )
        _check_setup(fetched, "scarb fetch")
        built = self._run(self._scarb(pkg, "build"), pkg, deadline - time.monotonic())
        _check_setup(built, "scarb build")
        if runner is not None:  # the test build compiles the dev-dependencies (cairo_test, snforge_std)
            tested = self._run(self._scarb(pkg, "build", "--test"), pkg, deadline - time.monotonic())
            _check_setup(tested, "scarb build --test")

    @contextmanager
    def package(
        self, manifest: str, kind: Kind, deps: Sequence[tuple[str, str]], runner: str | None
    ) -> Iterator[Path]:
        """A package folder to compile one case in: a warm slot (held until the block ends) or a
        fresh temporary package (deleted after)."""
        if not self.warm:
            self.prepare(kind, deps, runner)  # dependencies in Scarb's cache, so offline resolves
            tmp_root = self.work_root / "tmp"
            tmp_root.mkdir(parents=True, exist_ok=True)
            pkg = Path(tempfile.mkdtemp(prefix=f"{PACKAGE_NAME}-", dir=tmp_root))
            try:
                _write_package(pkg, manifest, "")
                yield pkg
            finally:
                shutil.rmtree(pkg, ignore_errors=True)
            return
        ws = self.prepare(kind, deps, runner)
        with slot(ws) as pkg:
            if not (pkg / "Scarb.toml").is_file():  # a new slot starts from the prepared lock file
                _write_package(pkg, manifest, "")
                with suppress(OSError):
                    shutil.copy2(ws / "0" / "Scarb.lock", pkg / "Scarb.lock")
            _clear_artifacts(pkg / "target")
            yield pkg

    # -- one compile ---------------------------------------------------------------------------

    def compile(self, req: CompileRequest, timeout: float = 180.0) -> CompileResult:
        """The verdict on the answer (`scarb build`) and, with tests, the case's tests.

        - `ok`: `scarb build` succeeded (warnings are kept as diagnostics); a failed build gives the
          compiler's errors with their codes and places in lib.cairo.
        - Tests that do not compile against a building answer: `ok=True`, every test failed
          (`results.unbound`), with the compiler's words.
        - Faults (status timeout/crash, never cached): the time ran out (build and tests share
          `timeout`; preparing a workspace has its own budget), Scarb or snforge crashed, were
          killed or ran out of memory, or failed before compiling (manifest, dependencies).

        Raises:
            CompilerNotFound: Scarb is missing or broken (see `scarb_version`).
            ValueError: a suite dependency that is not a plain name and version requirement.
        """
        start = time.monotonic()
        version = self.scarb_version()
        runner, why_not = self.runner_for(req)
        sealed = seal(req.code, req.tests, wrap=True)
        notes = list(sealed.notes)
        if why_not is not None:
            return verdict(
                self,
                False,
                start,
                notes,
                (Diagnostic("error", why_not, code="unsupported"),),
                status="unsupported",
            )
        manifest = self.manifest(req.kind, req.dependencies, runner)
        try:
            with self.package(manifest, req.kind, req.dependencies, runner) as pkg:
                start = time.monotonic()  # preparing the workspace is not the case's time
                (pkg / "src" / "lib.cairo").write_text(sealed.source, encoding="utf-8", newline="\n")
                return self._judge(req, sealed, runner, pkg, version, start, timeout, notes)
        except SetupFailed as exc:
            failure = "timeout" if exc.timed_out else "crash"
            notes.append(
                "preparing the Scarb workspace (fetching and building the dependencies) failed; this "
                "says nothing about the answer. Dependencies are fetched online once, then cached."
            )
            return fault_result(
                self.name,
                self.version(),
                Reply({"fatal": str(exc)}, 0, 0, failure),
                start,
                notes,
                PREPARE_TIMEOUT_S,
                version.cairo,
            )

    def _judge(
        self,
        req: CompileRequest,
        sealed: Sealed,
        runner: str | None,
        pkg: Path,
        version: ScarbVersion,
        start: float,
        timeout: float,
        notes: list[str],
    ) -> CompileResult:
        deadline = start + timeout
        where = Where(pkg, sealed)

        def fault(proc: ProcessResult, what: str) -> CompileResult:
            failure = "timeout" if proc.timed_out else "memory" if proc.out_of_memory else "crash"
            said = _tail(ANSI.sub("", proc.stdout + proc.stderr)) or "no output"
            detail = f"{what} exited {proc.returncode}: {said}"
            if proc.returncode is not None and proc.returncode < 0:
                said = _tail(ANSI.sub("", proc.stderr)) or "no output"
                detail = f"{what} was killed by signal {-proc.returncode}: {said}"
            return fault_result(
                self.name,
                self.version(),
                Reply({}, 0, 0, failure, detail),
                start,
                notes,
                timeout,
                version.cairo,
            )

        build = self._run(self._scarb(pkg, "build", json_output=True), pkg, deadline - time.monotonic())
        if build.timed_out or (build.returncode or 0) < 0:
            return fault(build, "scarb build")
        out = parse_build_output(build.stdout, build.stderr, where)
        notes += [n for n in out.notes if n not in notes]
        if build.returncode != 0 and (not out.reached_compile or not out.errors):
            # Scarb stopped before compiling (manifest, resolution) or failed without a word
            # about the code: the toolchain's fault, not the answer's.
            return fault(build, "scarb build")
        if out.errors:
            diagnostics = list(out.diagnostics)
            if all(d.line is None and SUMMARY_NOISE.match(d.message) for d in out.errors):
                said = _tail(out.text) or "no other output"
                diagnostics.append(
                    Diagnostic("error", f"scarb build gave no located diagnostic: {said}", code="no-detail")
                )
            return verdict(self, False, start, notes, tuple(diagnostics))
        if req.tests is None or runner is None:
            return verdict(self, True, start, notes, tuple(out.diagnostics))

        if runner == "snforge":
            sn = self.snforge()
            assert sn is not None
            args = [sn[0], "test", sealed.marker or ""]
            what = f"snforge {sn[1]} test"
            env = {**self._env(), "SCARB": self._resolved or "scarb"}  # the scarb snforge calls
        else:
            args = self._scarb(pkg, "cairo-test", "--filter", sealed.marker or "")
            what = "scarb cairo-test"
            env = self._env()
        run = run_process(args, pkg, env, deadline - time.monotonic(), self.memory_limit)
        if run.timed_out or (run.returncode or 0) < 0:
            return fault(run, what)
        test_out = parse_build_output(run.stdout, run.stderr, where)
        notes += [n for n in test_out.notes if n not in notes]
        if runner == "snforge":
            report = parse_snforge(test_out.text)
            notes += [
                f"snforge: {w}" for w in SF_WARNING.findall(test_out.text) if f"snforge: {w}" not in notes
            ]
        else:
            report = parse_cairo_test(test_out.text)
        located = [d for d in test_out.errors if d.line is not None]
        if report.ran or (run.returncode == 0 and not located):
            tests = case_tests(report.outcomes, sealed, "did not run: the runner did not report it")
        elif located:
            return verdict(
                self,
                True,
                start,
                notes,
                tuple(out.diagnostics) + tuple(located),
                unbound(sealed.expected, located),
            )
        else:  # failed before running anything, without a word about the code (e.g. snforge's [ERROR])
            return fault(run, what)
        notes.append(f"tests run with {what.removesuffix(' test')}")
        return verdict(self, True, start, notes, tuple(out.diagnostics), tests)


def _write_package(pkg: Path, manifest: str, lib: str) -> None:
    (pkg / "src").mkdir(parents=True, exist_ok=True)
    (pkg / "Scarb.toml").write_text(manifest, encoding="utf-8", newline="\n")
    (pkg / "src" / "lib.cairo").write_text(lib, encoding="utf-8", newline="\n")


def _clear_artifacts(target: Path) -> None:
    """Remove the previous case's build outputs (contract classes, artifact lists, test
    executables) but keep Scarb's incremental caches, so nothing of one case reaches the next."""
    if not target.is_dir():
        return
    for profile in target.iterdir():
        if profile.is_dir():
            for item in profile.iterdir():
                if item.is_file() and item.name.startswith(PACKAGE_NAME):
                    item.unlink(missing_ok=True)


def _check_setup(proc: ProcessResult, what: str) -> None:
    if proc.timed_out:
        raise SetupFailed(f"`{what}` did not finish in time while preparing the workspace", timed_out=True)
    if proc.returncode != 0:
        said = _tail(ANSI.sub("", proc.stdout + proc.stderr)) or "no output"
        raise SetupFailed(f"`{what}` exited {proc.returncode} while preparing the workspace: {said}")


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= OUTPUT_TAIL else "…" + text[-OUTPUT_TAIL:]

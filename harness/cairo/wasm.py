"""The embedded backend: the `wasm-cairo` compiler (about Cairo 2.8) under Node.

How a verdict is reached (measured in benchmarks/README.md):

1. `runTests(answer + tests)` — with `starknet=true` for contracts — is the verdict. It
   compiles the whole crate with the Starknet plugin and runs only the harness's test
   module (`cairo_evals_tests::`); it is 2–4x cheaper than `compileStarknetContract` and,
   unlike it, accepts several contracts in one file, as Scarb does. Without tests, a
   filter that matches nothing turns it into a compile check.
2. When it says "Compilation failed." (its only words), the answer alone is tried; if that
   compiles, the answer is fine and the case's tests could not bind to it.
3. Diagnostics for a failure come from `compileCairoProgram`, the one entry point that prints
   them. For plain programs they are the compiler's own. For contracts that pass has no
   Starknet plugin and reports errors that are artifacts of that (unsupported attributes,
   `ContractState` not found, ambiguous storage `read`): those are dropped, the rest are kept
   marked `recovered=True`, and when nothing is left the result says the embedded compiler
   gives no detail.
4. Failing tests: the runner reports only counts, so when some (not all) tests fail each is
   re-run alone with a filter (3–5 s each) to name the failures. It never reports panic
   messages; the failure says so and quotes the test's assertions.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from . import diagnostics as dx
from ._types import CompileRequest, CompileResult, Diagnostic, TestFailure, TestRun
from .native import needs_scarb
from .node import WASM_CAIRO_VERSION, wasm_worker_spec
from .pool import Budget, Reply, WorkerPool
from .results import fault_result, unbound, verdict
from .seal import Sealed, seal

RESULT = re.compile(r"test result: (?P<verdict>ok|FAILED)\. (?P<passed>\d+) passed; (?P<failed>\d+) failed")
NOTHING = "cairo_evals_no_test_matches_this"
DEPLOYS = re.compile(r"\b(?:deploy_syscall|TEST_CLASS_HASH)\b")
EXECUTABLE_ATTR = re.compile(r"^[ \t]*#\[executable\][ \t]*\n", re.M)

# Errors the plain-Cairo pass reports on correct contract code because it lacks the
# Starknet plugin (observed on the verified examples; see tests/test_wasm_backend.py).
GENERATED_NAMES = re.compile(
    r"^(?:\w+::)*(ContractState|ContractMemberState|ComponentState|unsafe_new_contract_state|"
    r"contract_state_for_testing|I\w+(?:Safe)?(?:Library)?Dispatcher(?:Trait)?|"
    r"Storage\w*|starknet::(?:Event|Store))$"
)
ARTIFACT_MESSAGES = (
    "Plugin diagnostic: Unsupported attribute",
    "Ambiguous method call. More than one applicable trait function with a suitable self "
    "type was found: StorageMap",
    "Unsupported trait for derive",
    "Inline macro `assert",  # assert_eq!/assert_ne!/… exist only in test builds
)
NO_DETAIL = "the embedded compiler gives no detail for this contract; install Scarb for full diagnostics"


class _Fault(Exception):
    """A worker call that ended without an answer (timeout, crash) while diagnosing."""


@dataclass(frozen=True)
class _Run:
    compiled: bool
    passed: int = 0
    failed: int = 0
    failure: str | None = None  # the worker failure or the backend's unexpected text


class WasmBackend:
    """Compile and test Cairo with the embedded compiler.

    Args:
        pool: the worker pool; one is made (one worker per core) when omitted.
    """

    name = "wasm"

    def __init__(self, pool: WorkerPool | None = None) -> None:
        self.pool = pool or wasm_pool()

    def version(self) -> str:
        return f"wasm-cairo {WASM_CAIRO_VERSION} (Cairo ~2.8)"

    def cairo_version(self) -> str:
        return "2.8"

    def toolchain(self) -> dict[str, str]:
        return {"cairo": "~2.8", "wasm-cairo": WASM_CAIRO_VERSION}

    def supports(self, req: CompileRequest) -> str | None:
        if DEPLOYS.search(req.tests or ""):
            return (
                "the case's tests deploy contracts (deploy_syscall), which the embedded wasm runner "
                "cannot do: build the native compiler (needs cargo) or install Scarb"
            )
        return needs_scarb(req)

    def close(self) -> None:
        self.pool.close()

    # -- one wasm call ---------------------------------------------------------------------

    def _call(self, op: str, budget: Budget, **payload: object) -> Reply:
        return self.pool.call({"op": op, **payload}, budget)

    def _run_tests(self, src: str, starknet: bool, filt: str, budget: Budget) -> _Run:
        reply = self._call("run_tests", budget, src=src, starknet=starknet, filter=filt)
        if reply.failure:
            return _Run(False, failure=f"{reply.failure}: {reply.detail}" if reply.detail else reply.failure)
        text = reply.data.get("output") or reply.data.get("error") or ""
        m = RESULT.search(text)
        if m:
            return _Run(True, int(m["passed"]), int(m["failed"]))
        if text.strip().startswith("Compilation failed"):
            return _Run(False)
        return _Run(
            False, failure=f"crash: {text.strip().splitlines()[0][:300] if text.strip() else 'no output'}"
        )

    # -- the verdict -----------------------------------------------------------------------

    def compile(self, req: CompileRequest, timeout: float = 180.0) -> CompileResult:
        start = time.monotonic()
        budget = Budget(timeout)  # worker time: queueing for a worker does not count
        code, notes = self._bridge_version_gaps(req.code)
        sealed = seal(code, req.tests, wrap=False)  # Cairo 2.8 has no glob imports
        notes += sealed.notes
        starknet = req.kind == "contract"

        run = self._run_tests(sealed.source, starknet, sealed.marker or NOTHING, budget)
        if run.failure:
            # A trap, a timeout, an exhausted worker: no verdict (e.g. "Vector capacity exceeded"
            # from a test that uses deploy_syscall, which this runner cannot do).
            return self._failed_call(run.failure, start, notes, timeout)

        diagnostics: list[Diagnostic] = []
        tests: TestRun | None = None
        ok = run.compiled
        if run.compiled and req.tests is not None:
            failures = self._name_failures(sealed, starknet, run, req.tests, budget)
            failed = len(sealed.expected) - run.passed if run.passed <= len(sealed.expected) else run.failed
            tests = TestRun(run.passed, max(failed, run.failed, 0), tuple(failures))
        elif not run.compiled and req.tests is not None:
            alone = self._run_tests(sealed.answer, starknet, NOTHING, budget)
            if alone.failure:
                return self._failed_call(alone.failure, start, notes, timeout)
            ok = alone.compiled
        try:
            if ok and tests is None and req.tests is not None:  # compiles; the tests do not bind
                bind = self._diagnose(sealed.source, sealed, req.kind, budget, tests_too=True)
                diagnostics += bind
                tests = unbound(sealed.expected, [d for d in bind if d.file == "tests.cairo"])
            if not ok:
                diagnostics += self._diagnose(sealed.answer, sealed, req.kind, budget)
        except _Fault as fault:  # the diagnostics pass itself failed: no verdict either
            return self._failed_call(str(fault), start, notes, timeout)
        return verdict(self, ok, start, notes, diagnostics, tests)

    @staticmethod
    def _bridge_version_gaps(code: str) -> tuple[str, list[str]]:
        """Known gaps between this compiler (~2.8) and today's Scarb, handled openly."""
        notes = ["embedded compiler wasm-cairo (about Cairo 2.8): an approximation of Scarb"]
        if EXECUTABLE_ATTR.search(code):
            code = EXECUTABLE_ATTR.sub("", code)
            notes.append(
                "removed `#[executable]` (Scarb's cairo_execute entry point), which Cairo 2.8 does not know"
            )
        return code, notes

    def _failed_call(self, failure: str, start: float, notes: list[str], timeout: float) -> CompileResult:
        kind, _, detail = failure.partition(": ")
        reply = Reply(
            {}, 0, 0, failure=kind if kind in ("timeout", "memory") else "crash", detail=detail or failure
        )
        return fault_result(self.name, self.version(), reply, start, notes, timeout, "~2.8")

    def _name_failures(
        self, sealed: Sealed, starknet: bool, run: _Run, tests: str, budget: Budget
    ) -> list[TestFailure]:
        names = list(sealed.expected)
        if run.failed == 0 and run.passed >= len(names):
            return []
        if run.passed == 0:
            failing = names
        else:  # the runner gives counts only: run each test alone to name the failures
            failing = []
            for name in names[:12]:
                alone = self._run_tests(sealed.source, starknet, _marked(name, sealed.marker), budget)
                if alone.compiled and not alone.passed:
                    failing.append(name)
            if not failing:
                failing = [f"<{len(names) - run.passed} unnamed>"]
        return [TestFailure(n, _failure_message(tests, n.rsplit("::", 1)[-1])) for n in failing]

    def _diagnose(
        self, src: str, sealed: Sealed, kind: str, budget: Budget, tests_too: bool = False
    ) -> list[Diagnostic]:
        """Diagnostics from `compileCairoProgram`, artifacts of its missing plugin removed."""
        if tests_too:  # let the plain pass see the test module (and drop the attribute noise)
            src = src.replace("#[cfg(test)]", "")
        reply = self._call("compile_program", budget, src=src)
        if reply.failure:
            raise _Fault(f"{reply.failure}: {reply.detail}" if reply.detail else reply.failure)
        text = reply.data.get("output") or reply.data.get("error") or ""
        if "failed to compile" not in text:
            return [] if tests_too else [Diagnostic("error", _no_detail(kind), code="no-detail")]
        contract = kind == "contract"
        kept: list[Diagnostic] = []
        for block in dx.split_blocks(text):
            diag = dx.parse_block(block, sealed.answer_lines, recovered=contract, locate=sealed.locate)
            if diag is None or _is_artifact(diag, block, contract, tests_too):
                continue
            span = dx.span_text(block)
            if span and span not in diag.message and diag.message.endswith("not found."):
                diag = Diagnostic(
                    diag.severity,
                    f"{diag.message[:-1]}: `{span}`.",
                    diag.code,
                    diag.file,
                    diag.line,
                    diag.col,
                    diag.recovered,
                )
            kept.append(diag)
        if not kept and not tests_too:
            return [Diagnostic("error", _no_detail(kind), code="no-detail")]
        return kept


def _is_artifact(diag: Diagnostic, block: str, contract: bool, tests_too: bool) -> bool:
    if any(diag.message.startswith(m) for m in ARTIFACT_MESSAGES):
        return True  # also `#[test]`-style attributes when the test module is analysed
    if not contract:
        return False
    span = dx.span_text(block) or ""
    return bool(GENERATED_NAMES.match(span)) or "ContractState" in diag.message


def _no_detail(kind: str) -> str:
    if kind == "contract":
        return NO_DETAIL
    return "the embedded compiler rejected this program without a diagnostic"


def _failure_message(tests: str, name: str) -> str:
    """What can honestly be said of a failed test: the runner gives no panic message."""
    body = re.search(rf"fn\s+{re.escape(name)}\s*\([^)]*\)\s*\{{(?P<body>.*?)\n\s*\}}", tests, re.S)
    checks = []
    if body:
        checks = [ln.strip() for ln in body["body"].splitlines() if "assert" in ln]
    expected = re.search(
        rf"#\[should_panic(?:\(expected:\s*(?P<exp>[^\]]*)\))?\]\s*(?:#\[[^\]]*\]\s*)*fn\s+{re.escape(name)}\b",
        tests,
    )
    msg = "failed (the embedded test runner reports no panic message; Scarb does)"
    if expected:
        msg += f"; it expects a panic{' with ' + expected['exp'] if expected['exp'] else ''}"
    if checks:
        msg += "; its checks: " + " | ".join(checks[:4])
    return msg


def wasm_pool(size: int | None = None) -> WorkerPool:
    """Node workers for wasm-cairo: replaced after 6 calls or 3 GB (they grow), or when a call threw
    (a trapped wasm instance may be poisoned)."""
    return WorkerPool(wasm_worker_spec, size=size, retire_on=lambda r: bool(r.data.get("error")))


def _marked(path: str, marker: str | None) -> str:
    """The runner's filter for one test of the renamed tests file (`tests::t` → `tests__<m>::t`)."""
    head, _, rest = path.partition("::")
    return f"{head}__{marker}" + (f"::{rest}" if rest else "")

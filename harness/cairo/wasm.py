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
from ._types import CompileRequest, CompileResult, Diagnostic, Status, TestFailure, TestRun
from .node import WASM_CAIRO_VERSION, Budget, Reply, WorkerPool

RESULT = re.compile(r"test result: (?P<verdict>ok|FAILED)\. (?P<passed>\d+) passed; (?P<failed>\d+) failed")
NOTHING = "cairo_evals_no_test_matches_this"
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
        self.pool = pool or WorkerPool()

    def version(self) -> str:
        return f"wasm-cairo {WASM_CAIRO_VERSION} (Cairo ~2.8)"

    def close(self) -> None:
        self.pool.close()

    # -- one wasm call ---------------------------------------------------------------------

    def _call(self, op: str, budget: Budget, **payload: object) -> Reply:
        return self.pool.call(op, budget, **payload)

    def _run_tests(self, src: str, starknet: bool, filt: str, budget: Budget) -> _Run:
        reply = self._call("run_tests", budget, src=src, starknet=starknet, filter=filt)
        if reply.failure:
            return _Run(False, failure=reply.failure)
        text = reply.output or reply.error or ""
        m = RESULT.search(text)
        if m:
            return _Run(True, int(m["passed"]), int(m["failed"]))
        if text.strip().startswith("Compilation failed"):
            return _Run(False)
        return _Run(False, failure=f"crash: {text.strip().splitlines()[0][:300] if text.strip() else '?'}")

    # -- the verdict -----------------------------------------------------------------------

    def compile(self, req: CompileRequest, timeout: float = 180.0) -> CompileResult:
        start = time.monotonic()
        budget = Budget(timeout)  # worker time: queueing for a worker does not count
        code, notes = self._bridge_version_gaps(req.code)
        starknet = req.kind == "contract"
        src, answer_lines = dx.join_sources(code, req.tests)
        filt = f"{dx.HARNESS_TEST_MODULE}::" if req.tests else NOTHING

        run = self._run_tests(src, starknet, filt, budget)
        if run.failure and run.failure.startswith("crash") and req.tests:
            # The runner trapped, compiling or running the tests (e.g. an unbounded loop
            # exhausting its memory): judge the answer alone; the tests take the blame.
            alone = self._run_tests(code, starknet, NOTHING, budget)
            if alone.compiled:
                n = len(dx.test_names(req.tests)) or 1
                failure = TestFailure(
                    "<run>", f"the embedded test runner crashed on these tests ({run.failure})"
                )
                return self._result(True, start, notes, tests=TestRun(0, n, (failure,)))
        if run.failure:
            return self._failed_call(run.failure, start, notes, timeout)

        diagnostics: list[Diagnostic] = []
        tests: TestRun | None = None
        ok = run.compiled
        if run.compiled and req.tests:
            names = dx.test_names(req.tests)
            failures = self._name_failures(src, starknet, names, run, req.tests, budget)
            tests = TestRun(run.passed, run.failed, tuple(failures))
        elif not run.compiled and req.tests:
            alone = self._run_tests(code, starknet, NOTHING, budget)
            if alone.failure:
                return self._failed_call(alone.failure, start, notes, timeout)
            ok = alone.compiled
            if ok:  # the answer compiles; the tests do not bind to it
                bind = self._diagnose(src, answer_lines, req.kind, budget, tests_too=True)
                diagnostics += bind
                shown = "; ".join(d.render() for d in bind if d.file == "tests.cairo")[:600]
                tests = TestRun(
                    0,
                    len(dx.test_names(req.tests)) or 1,
                    (
                        TestFailure(
                            "<tests>",
                            "the case's tests do not compile against this "
                            "answer (a required item is missing or has another "
                            f"signature){': ' + shown if shown else ''}",
                        ),
                    ),
                )
        if not ok:
            diagnostics += self._diagnose(code, answer_lines, req.kind, budget)
        return self._result(ok, start, notes, diagnostics, tests)

    def _result(
        self,
        ok: bool,
        start: float,
        notes: list[str],
        diagnostics: list[Diagnostic] | tuple[Diagnostic, ...] = (),
        tests: TestRun | None = None,
        status: Status | None = None,
    ) -> CompileResult:
        return CompileResult(
            ok=ok,
            backend=self.name,
            backend_version=self.version(),
            duration_s=round(time.monotonic() - start, 3),
            diagnostics=tuple(diagnostics),
            tests=tests,
            status=status or ("ok" if ok else "error"),
            notes=tuple(notes),
        )

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
        status: Status = "crash"
        if failure == "timeout":
            status, code, msg = "timeout", "timeout", f"did not finish within {timeout:g} s; worker killed"
        elif failure == "memory":
            code, msg = "memory", "the compiler passed its memory bound; worker killed"
        else:
            code, msg = "backend-crash", f"the embedded compiler failed: {failure}"
        return self._result(False, start, notes, (Diagnostic("error", msg, code=code),), status=status)

    def _name_failures(
        self, src: str, starknet: bool, names: list[str], run: _Run, tests: str, budget: Budget
    ) -> list[TestFailure]:
        if run.failed == 0:
            return []
        if run.failed == len(names) or (run.failed == 1 and len(names) == 1):
            failing = names
        else:  # the runner gives counts only: run each test alone to name the failures
            failing = []
            for name in names[:12]:
                alone = self._run_tests(src, starknet, f"{dx.HARNESS_TEST_MODULE}::{name}", budget)
                if alone.compiled and alone.failed:
                    failing.append(name)
            if not failing:
                failing = [f"<{run.failed} unnamed>"]
        return [TestFailure(n, _failure_message(tests, n)) for n in failing]

    def _diagnose(
        self, src: str, answer_lines: int, kind: str, budget: Budget, tests_too: bool = False
    ) -> list[Diagnostic]:
        """Diagnostics from `compileCairoProgram`, artifacts of its missing plugin removed."""
        if tests_too:  # let the plain pass see the test module (and drop the attribute noise)
            src = src.replace("#[cfg(test)]", "")
        reply = self._call("compile_program", budget, src=src)
        text = reply.output or reply.error or ""
        if reply.failure or "failed to compile" not in text:
            return [] if tests_too else [Diagnostic("error", _no_detail(kind), code="no-detail")]
        contract = kind == "contract"
        kept: list[Diagnostic] = []
        for block in dx.split_blocks(text):
            diag = dx.parse_block(block, answer_lines, recovered=contract)
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

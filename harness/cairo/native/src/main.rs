//! cairo-evals-native: the Cairo 2.16 compiler and test runner as a long-lived worker.
//!
//! Protocol: one JSON request per stdin line, one JSON reply per stdout line (what the code
//! under test prints goes to /dev/null: see `protocol_channel`).
//!
//!   -> {"id": 1, "op": "compile", "source": "...", "edition": "2024_07",
//!       "test_filter": "cairo_evals_x1y2", "run_tests": true}
//!   <- {"id": 1, "compiled": true, "diagnostics": [...], "tests": [...], "ms": 12.3}
//!
//! The corelib is parsed and analysed once per process: every request is a new virtual crate
//! (`cairo_evals`, its text part of its id), so salsa reuses all the work done on `core`. Everything else
//! (which tests belong to the case, what a verdict means) is the Python harness's business:
//! this program parses, compiles, runs tests and reports, nothing more.

use std::io::{BufRead, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Result, anyhow};
use cairo_lang_compiler::db::RootDatabase;
use cairo_lang_compiler::diagnostics::DiagnosticsReporter;
use cairo_lang_diagnostics::Severity;
use cairo_lang_executable_plugin::executable_plugin_suite;
use cairo_lang_filesystem::cfg::{Cfg, CfgSet};
use cairo_lang_filesystem::db::{CrateSettings, Edition};
use cairo_lang_filesystem::detect::detect_corelib;
use cairo_lang_filesystem::ids::{CrateInput, FileInput, FileKind, VirtualFileInput};
use cairo_lang_runner::casm_run::format_for_panic;
use cairo_lang_runner::{RunResultValue, SierraCasmRunner};
use cairo_lang_sierra_to_casm::metadata::MetadataComputationConfig;
use cairo_lang_starknet::starknet_plugin_suite;
use cairo_lang_test_plugin::test_config::{PanicExpectation, TestExpectation};
use cairo_lang_test_plugin::{TestsCompilationConfig, compile_test_prepared_db, test_plugin_suite};
use num_traits::ToPrimitive;
use serde::{Deserialize, Serialize};
use serde_json::json;

const CRATE: &str = "cairo_evals";
const CAIRO_VERSION: &str = "2.16.0";

#[derive(Deserialize)]
struct Request {
    id: serde_json::Value,
    op: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    edition: Option<Edition>,
    /// Run only the tests whose full path contains this (the harness's sealed module).
    #[serde(default)]
    test_filter: Option<String>,
    #[serde(default)]
    run_tests: bool,
    /// A ceiling on each test's gas (cairo-test gives a test without `#[available_gas]`
    /// u32::MAX, which an endless loop takes ~15 s and ~5 GB of trace to exhaust).
    #[serde(default)]
    max_gas: Option<usize>,
}

#[derive(Serialize)]
struct Diag {
    severity: &'static str,
    code: Option<String>,
    /// The compiler's own text: `error[E0006]: ...\n --> lib.cairo:3:5\n<source>\n^^^`.
    text: String,
}

#[derive(Serialize)]
struct TestOutcome {
    name: String,
    /// "passed" | "failed" | "ignored"
    status: &'static str,
    message: Option<String>,
    gas: Option<i64>,
    steps: Option<usize>,
}

struct Worker {
    db: RootDatabase,
}

impl Worker {
    fn new() -> Result<Self> {
        let mut builder = RootDatabase::builder();
        builder
            .detect_corelib()
            .with_cfg(CfgSet::from_iter([Cfg::name("test"), Cfg::kv("target", "test")]))
            .with_default_plugin_suite(test_plugin_suite())
            .with_default_plugin_suite(starknet_plugin_suite())
            .with_default_plugin_suite(executable_plugin_suite());
        let db = builder.build()?;
        Ok(Self { db })
    }

    /// The crate `cairo_evals` whose one file, `lib.cairo`, holds `source`: a *virtual* crate,
    /// whose text and settings are part of its interned id. Nothing is read from disk (a
    /// `mod x;` in the answer finds no file), and no salsa input changes between answers: the
    /// database stays in one revision, so the corelib's and the plugins' derived queries are
    /// never re-verified (with a file override every answer was a new revision, and salsa
    /// re-read the 164 corelib files and re-verified every memo that depends on them: about
    /// half of each answer's time, benchmarks/README.md). Each distinct answer is a new crate
    /// id; an answer sent again is the same id, with its work already done.
    fn crate_input(source: &str, edition: Edition) -> Result<CrateInput> {
        let settings = CrateSettings {
            name: Some(CRATE.into()),
            edition,
            version: None,
            cfg_set: None,
            dependencies: Default::default(),
            experimental_features: Default::default(),
        };
        Ok(CrateInput::Virtual {
            name: CRATE.into(),
            file_long_id: FileInput::Virtual(VirtualFileInput {
                parent: None,
                name: "lib.cairo".into(),
                content: Arc::from(source),
                code_mappings: [].into(),
                kind: FileKind::Module,
                original_item_removed: false,
            }),
            settings: toml::to_string(&settings)?,
            cache_file: None,
        })
    }

    fn compile(&mut self, req: &Request) -> Result<serde_json::Value> {
        let started = Instant::now();
        let crates = vec![Self::crate_input(&req.source, req.edition.unwrap_or(Edition::V2024_07))?];
        let crate_ids = CrateInput::into_crate_ids(&self.db, crates.clone());

        let diags = Arc::new(Mutex::new(Vec::<Diag>::new()));
        let sink = diags.clone();
        let mut reporter = DiagnosticsReporter::callback(move |entry| {
            let severity = match entry.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            sink.lock().unwrap().push(Diag {
                severity,
                code: entry.error_code().map(|c| c.as_str().to_string()),
                text: entry.to_string(),
            });
        })
        .with_crates(&crates)
        .allow_warnings();
        let has_errors = reporter.check(&self.db);
        let check_ms = started.elapsed().as_secs_f64() * 1000.0;
        drop(reporter);
        let diagnostics = std::mem::take(&mut *diags.lock().unwrap());
        if has_errors {
            return Ok(json!({
                "id": req.id, "compiled": false, "diagnostics": diagnostics,
                "ms": started.elapsed().as_secs_f64() * 1000.0,
            }));
        }

        // Sierra for the tests, the contracts (each compiled to a class, as Scarb would) and
        // the `#[executable]` functions: late errors (e.g. a contract that cannot be
        // compiled to CASM) surface here.
        let config = TestsCompilationConfig {
            starknet: true,
            add_statements_functions: false,
            add_statements_code_locations: false,
            contract_declarations: None,
            // Our crate only: a virtual crate is not among `db.crates()` (the default), and
            // the corelib declares no contract.
            contract_crate_ids: Some(&crate_ids),
            executable_crate_ids: None,
            add_functions_debug_info: false,
            replace_ids: false,
        };
        let compiled = match compile_test_prepared_db(
            &self.db,
            config,
            crates.clone(),
            DiagnosticsReporter::ignoring().with_crates(&crates).allow_warnings(),
        ) {
            Ok(compiled) => compiled,
            Err(err) => {
                let mut diagnostics = diagnostics;
                diagnostics.push(Diag {
                    severity: "error",
                    code: None,
                    text: format!("error: {err:#}"),
                });
                return Ok(json!({
                    "id": req.id, "compiled": false, "diagnostics": diagnostics,
                    "ms": started.elapsed().as_secs_f64() * 1000.0,
                }));
            }
        };
        let compile_ms = started.elapsed().as_secs_f64() * 1000.0;

        let filter = req.test_filter.clone().unwrap_or_default();
        let selected: Vec<_> = compiled
            .metadata
            .named_tests
            .iter()
            .filter(|(name, _)| req.run_tests && name.contains(&filter))
            .cloned()
            .collect();
        let mut tests = Vec::new();
        let mut runner_ms = compile_ms;
        if !selected.is_empty() {
            // As cairo-test sets it up: the contracts' entry-point costs, the linear solvers.
            let metadata = MetadataComputationConfig {
                function_set_costs: compiled.metadata.function_set_costs.clone(),
                linear_gas_solver: true,
                linear_ap_change_solver: true,
                skip_non_linear_solver_comparisons: true,
                compute_runtime_costs: false,
            };
            let runner = SierraCasmRunner::new(
                compiled.sierra_program.program.clone(),
                Some(metadata),
                compiled.metadata.contracts_info.clone(),
                None,
            )
            .map_err(|e| anyhow!("setting up the test runner: {e}"))?;
            runner_ms = started.elapsed().as_secs_f64() * 1000.0;
            for (name, mut test) in selected {
                if let (Some(max), Some(gas)) = (req.max_gas, test.available_gas) {
                    test.available_gas = Some(gas.min(max));
                }
                tests.push(run_one(&runner, &name, &test));
            }
        }
        Ok(json!({
            "id": req.id, "compiled": true, "diagnostics": diagnostics, "tests": tests,
            "check_ms": check_ms, "compile_ms": compile_ms, "runner_ms": runner_ms,
            "ms": started.elapsed().as_secs_f64() * 1000.0,
        }))
    }
}

/// One test, as `cairo-test` runs it: the test's gas budget (`#[available_gas]`, else u32::MAX),
/// its expected panic (`#[should_panic(expected: ...)]`), the Starknet test context
/// (`deploy_syscall`, cheatcodes).
fn run_one(
    runner: &SierraCasmRunner,
    name: &str,
    test: &cairo_lang_test_plugin::TestConfig,
) -> TestOutcome {
    let outcome = |status, message: Option<String>, gas, steps| TestOutcome {
        name: name.to_string(),
        status,
        message,
        gas,
        steps,
    };
    if test.ignored {
        return outcome("ignored", None, None, None);
    }
    let run = || -> Result<_> {
        let func = runner.find_function(name)?;
        let (mut hint_processor, ctx) =
            runner.prepare_starknet_context(func, vec![], test.available_gas, Default::default())?;
        let result =
            runner.run_function_with_prepared_starknet_context(func, &mut hint_processor, ctx)?;
        let gas = test.available_gas.zip(result.gas_counter.as_ref()).and_then(|(before, after)| {
            Some(before as i64 - after.to_bigint().to_i64()?)
        });
        Ok((result.value, gas, result.used_resources.basic_resources.n_steps))
    };
    // A runner error (an out-of-gas panic is a value, not an error) or a panic inside the VM
    // is the test's failure: the answer made it happen.
    match catch_unwind(AssertUnwindSafe(run)) {
        Err(panic) => outcome("failed", Some(format!("the test runner failed: {}", panic_text(&panic))), None, None),
        Ok(Err(err)) => outcome("failed", Some(format!("the test could not run: {err}")), None, None),
        Ok(Ok((value, gas, steps))) => {
            let (passed, message) = match (&value, &test.expectation) {
                (RunResultValue::Success(_), TestExpectation::Success) => (true, None),
                (RunResultValue::Success(_), TestExpectation::Panics(_)) => {
                    (false, Some("expected panic but finished successfully.".to_string()))
                }
                (RunResultValue::Panic(values), TestExpectation::Success) => {
                    (false, Some(format_for_panic(values.iter().cloned())))
                }
                (RunResultValue::Panic(values), TestExpectation::Panics(expectation)) => {
                    match expectation {
                        PanicExpectation::Exact(expected) if values != expected => (
                            false,
                            Some(format!(
                                "{} (expected: {})",
                                format_for_panic(values.iter().cloned()),
                                format_for_panic(expected.iter().cloned())
                            )),
                        ),
                        _ => (true, None),
                    }
                }
            };
            outcome(if passed { "passed" } else { "failed" }, message, gas, Some(steps))
        }
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Exit when the harness is gone (even after `kill -9`): nobody is left to read the answer, and a
/// test stuck in a loop would otherwise compute on for nobody.
fn watch_parent() {
    let parent = std::env::var("CAIRO_EVALS_PARENT_PID")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or_else(std::os::unix::process::parent_id);
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_millis(500));
        if std::os::unix::process::parent_id() != parent {
            std::process::exit(1);
        }
    });
}

/// The protocol's own channel: a copy of stdout, while fd 1 itself is pointed at /dev/null, so that
/// what the code under test prints (`println!` in a test runs in this process) can never be taken
/// for a reply.
fn protocol_channel() -> Result<std::fs::File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    let devnull = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
    // SAFETY: plain descriptor calls on descriptors this process owns; checked for failure.
    unsafe {
        let proto = libc::dup(1);
        if proto < 0 || libc::dup2(devnull.as_raw_fd(), 1) < 0 {
            anyhow::bail!("cannot set up the protocol channel: {}", std::io::Error::last_os_error());
        }
        Ok(std::fs::File::from_raw_fd(proto))
    }
}

fn main() -> Result<()> {
    // SAFETY: no other thread exists yet.
    unsafe { std::env::remove_var("CARGO_MANIFEST_DIR") };
    watch_parent();
    let mut out = std::io::LineWriter::new(protocol_channel()?);
    // The corelib is found the compiler's own way (next to the executable: the harness puts it at
    // `<bin>/../../corelib`); `--corelib DIR` says which one the harness verified, and any other
    // find is refused rather than silently used.
    let expected = std::env::args().skip_while(|a| a != "--corelib").nth(1).map(PathBuf::from);
    let corelib = detect_corelib();
    let same = |a: &PathBuf, b: &PathBuf| a.canonicalize().ok() == b.canonicalize().ok();
    if let Some(expected) = &expected {
        if !corelib.as_ref().is_some_and(|found| same(found, &expected.join("src"))) {
            let error = format!("corelib found at {corelib:?}, expected {}", expected.display());
            writeln!(out, "{}", json!({"ready": false, "error": error}))?;
            std::process::exit(2);
        }
    }
    let started = Instant::now();
    let mut worker = match Worker::new() {
        Ok(worker) => worker,
        Err(err) => {
            writeln!(out, "{}", json!({"ready": false, "error": format!("{err:#}"), "corelib": corelib}))?;
            std::process::exit(2);
        }
    };
    writeln!(
        out,
        "{}",
        json!({"ready": true, "cairo_version": CAIRO_VERSION, "corelib": corelib,
               "ms": started.elapsed().as_secs_f64() * 1000.0, "rss": rss_bytes()})
    )?;
    out.flush()?;

    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let req: Request = match serde_json::from_str(&line) {
            Ok(req) => req,
            Err(err) => {
                writeln!(out, "{}", json!({"id": null, "fatal": format!("bad request: {err}")}))?;
                out.flush()?;
                continue;
            }
        };
        let reply = match req.op.as_str() {
            "version" => json!({"id": req.id, "cairo_version": CAIRO_VERSION}),
            "compile" => match catch_unwind(AssertUnwindSafe(|| worker.compile(&req))) {
                Ok(Ok(reply)) => reply,
                Ok(Err(err)) => json!({"id": req.id, "fatal": format!("{err:#}")}),
                Err(panic) => {
                    // The compiler itself panicked: its database may be inconsistent, so say so
                    // and exit; the harness restarts the worker and reports a harness error.
                    let reply = json!({"id": req.id, "fatal": format!("compiler panic: {}", panic_text(&panic)), "exit": true});
                    writeln!(out, "{reply}")?;
                    out.flush()?;
                    std::process::exit(3);
                }
            },
            other => json!({"id": req.id, "fatal": format!("unknown op {other:?}")}),
        };
        let mut reply = reply;
        reply["rss"] = json!(rss_bytes());
        writeln!(out, "{reply}")?;
        out.flush()?;
    }
    Ok(())
}

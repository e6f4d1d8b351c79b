"""`cairo-evals doctor`: what this machine has for the harness, and what `--compiler auto` picks.

It only looks: no build, no install, no network, no database or MLflow connection (at most the
cache folder is created). The tools on PATH are asked for their `--version` (a few seconds at
most); the native compiler, the embedded wasm compiler and Postgres are looked up where the
harness keeps them. Each missing piece comes with how to get it. The exit status is 1 when no
compiler is usable, 0 otherwise (`--json` prints the same findings as JSON).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .cairo import auto_choice
from .cairo import native as native_backend
from .cairo.node import WASM_CAIRO_VERSION
from .cairo.scarb import (
    SNFORGE_HINT,
    parse_snforge_version,
    parse_version_output,
    scrubbed_env,
    test_runner_default,
)
from .paths import cache_dir

VERSION_TIMEOUT_S = 15.0

HINTS = {
    "scarb": "install Scarb (https://docs.swmansion.com/scarb/download.html, e.g. with starkup or asdf)",
    "snforge": SNFORGE_HINT + "; only suites whose tests use snforge_std need it",
    "native": "install Rust and cargo (https://rustup.rs); the native compiler is then built on first use",
    "wasm": "install Node.js >= 18 and npm (`apt-get install nodejs npm`); wasm-cairo installs on first use",
    "node": "install Node.js >= 18 (e.g. `apt-get install nodejs npm`)",
    "cargo": "install Rust (https://rustup.rs)",
    "postgres": "`pip install pgserver` (embedded PostgreSQL 16 + pgvector), or set CAIRO_EVALS_DSN",
}


@dataclass(frozen=True)
class Finding:
    """One thing the doctor looked at.

    Attributes:
        name: what it is ("scarb", "native", "MLflow" …).
        ok: present and usable.
        detail: what was found (versions, paths) or what is missing.
        hint: how to get it, when it is missing.
    """

    name: str
    ok: bool
    detail: str
    hint: str = ""


@dataclass
class Report:
    compilers: list[Finding] = field(default_factory=list)
    tools: list[Finding] = field(default_factory=list)
    services: list[Finding] = field(default_factory=list)
    auto: str = ""
    auto_why: str = ""
    test_runner: str = ""

    @property
    def usable(self) -> bool:
        return any(f.ok for f in self.compilers if f.name in ("scarb", "native", "wasm"))


def _version(args: list[str]) -> str | None:
    """What `args` prints on stdout, or None when it does not run or fails."""
    try:
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=VERSION_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            env=scrubbed_env(offline=False),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def check_scarb() -> tuple[Finding, Finding]:
    scarb = shutil.which("scarb")
    if scarb is None:
        found = Finding("scarb", False, "not on PATH", HINTS["scarb"])
    else:
        version = parse_version_output(_version([scarb, "--version"]) or "")
        if version is None:
            found = Finding(
                "scarb",
                False,
                f"{scarb}: `scarb --version` failed or printed no Scarb/Cairo versions",
                "check the installation (asdf/starkup shims need their environment); " + HINTS["scarb"],
            )
        else:
            found = Finding("scarb", True, f"Scarb {version.scarb} (Cairo {version.cairo}) at {scarb}")
    snforge = shutil.which("snforge")
    if snforge is None:
        return found, Finding("snforge", False, "not on PATH", HINTS["snforge"])
    sn = parse_snforge_version(_version([snforge, "--version"]) or "")
    if sn is None:
        return found, Finding("snforge", False, f"{snforge}: `snforge --version` failed", HINTS["snforge"])
    return found, Finding("snforge", True, f"snforge {sn} at {snforge}")


def check_native() -> Finding:
    cairo = native_backend.CAIRO_VERSION
    if native_backend.is_built():
        return Finding("native", True, f"built (Cairo {cairo}) at {native_backend.binary_path()}")
    cargo = native_backend.cargo_executable()
    if cargo:
        return Finding(
            "native",
            True,
            f"not built yet (Cairo {cairo}); cargo is on PATH, so the first compile builds it "
            "(about 8 minutes on 2 cores, once)",
        )
    return Finding("native", False, f"not built (Cairo {cairo}) and no cargo to build it", HINTS["native"])


def wasm_installed() -> Path | None:
    """Where wasm-cairo is (the override folder or the harness's npm prefix), or None."""
    override = os.environ.get("CAIRO_EVALS_WASM_CAIRO_DIR")
    pkg = (
        Path(override)
        if override
        else cache_dir() / "npm" / f"wasm-cairo-{WASM_CAIRO_VERSION}" / "node_modules" / "wasm-cairo"
    )
    return pkg if (pkg / "wasm-cairo_bg.wasm").is_file() else None


def check_wasm(node: str | None) -> Finding:
    installed = wasm_installed()
    if node is None:
        return Finding("wasm", False, "no `node` to run the embedded compiler", HINTS["wasm"])
    if installed:
        return Finding("wasm", True, f"wasm-cairo {WASM_CAIRO_VERSION} (about Cairo 2.8) at {installed}")
    if shutil.which("npm"):
        return Finding(
            "wasm",
            True,
            f"wasm-cairo {WASM_CAIRO_VERSION} (about Cairo 2.8) not installed yet; npm installs it on "
            "first use (from the npm registry)",
        )
    return Finding(
        "wasm", False, "wasm-cairo is not installed and there is no `npm` to install it", HINTS["wasm"]
    )


def check_tools() -> tuple[list[Finding], str | None]:
    node = shutil.which("node")
    found = []
    if node:
        found.append(Finding("node", True, f"{_version([node, '--version']) or '?'} at {node}"))
    else:
        found.append(Finding("node", False, "not on PATH", HINTS["node"]))
    cargo = shutil.which("cargo")
    if cargo:
        said = _version([cargo, "--version"]) or "?"
        found.append(Finding("cargo", True, f"{said} at {cargo}"))
    else:
        found.append(Finding("cargo", False, "not on PATH", HINTS["cargo"]))
    return found, node


def redact(uri: str) -> str:
    """A URI with its password hidden."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<unparsable>"
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return uri


def check_postgres() -> Finding:
    dsn = os.environ.get("CAIRO_EVALS_DSN")
    if dsn:
        return Finding("Postgres", True, f"CAIRO_EVALS_DSN={redact(dsn)} (not contacted)")
    if importlib.util.find_spec("pgserver") is None:
        return Finding(
            "Postgres", False, "no CAIRO_EVALS_DSN and pgserver is not installed", HINTS["postgres"]
        )
    data = cache_dir() / "pgdata"
    state = "exists" if data.is_dir() else "created on first use"
    return Finding(
        "Postgres", True, f"embedded pgserver (PostgreSQL 16 + pgvector); data in {data} ({state})"
    )


def check_mlflow() -> Finding:
    from .tracking import default_uri

    uri = default_uri()
    source = "MLFLOW_TRACKING_URI" if os.environ.get("MLFLOW_TRACKING_URI") else "default"
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        state = f"{path.stat().st_size / 1e6:.1f} MB" if path.is_file() else "created on first run"
        return Finding("MLflow", True, f"{uri} ({source}; {state})")
    return Finding("MLflow", True, f"{redact(uri)} ({source}; not contacted)")


def runner_summary(snforge: Finding) -> str:
    try:
        choice = test_runner_default()
    except ValueError as e:
        return str(e)
    if choice == "cairo-test":
        return "cairo-test (CAIRO_EVALS_TEST_RUNNER); tests that use snforge_std are skipped"
    if choice == "snforge":
        return "snforge for every case (CAIRO_EVALS_TEST_RUNNER)" + (
            "" if snforge.ok else ": but snforge is missing"
        )
    if snforge.ok:
        return "auto: snforge for tests that use snforge_std, cairo-test for the others"
    return "auto: cairo-test; tests that use snforge_std are skipped until snforge is installed"


def gather() -> Report:
    report = Report()
    scarb, snforge = check_scarb()
    tools, node = check_tools()
    report.compilers = [scarb, snforge, check_native(), check_wasm(node)]
    report.tools = tools
    report.services = [check_postgres(), check_mlflow()]
    report.auto, report.auto_why = auto_choice()
    if report.auto == "scarb" and not scarb.ok:
        report.auto_why += ", but it does not work: fix it, take it off PATH or pass --compiler native|wasm"
    report.test_runner = runner_summary(snforge)
    return report


def render(report: Report) -> str:
    lines = ["cairo-evals doctor", ""]
    for title, findings in (
        ("Compilers", report.compilers),
        ("Tools", report.tools),
        ("Services", report.services),
    ):
        lines.append(title)
        for f in findings:
            mark = "ok " if f.ok else "-- "
            lines.append(f"  {mark} {f.name:<9} {f.detail}")
            if f.hint and not f.ok:
                lines.append(f"  {'':<13} to get it: {f.hint}")
        lines.append("")
    lines.append(f"--compiler auto picks: {report.auto} ({report.auto_why})")
    lines.append(f"Scarb test runner: {report.test_runner}")
    if not report.usable:
        lines.append("")
        lines.append(
            "No compiler is usable: install one of Scarb, Rust (cargo) or Node.js (see the hints above)."
        )
    return "\n".join(lines)


def to_json(report: Report) -> str:
    data = asdict(report)
    data["usable"] = report.usable
    return json.dumps(data, indent=2)


def cmd_doctor(args: argparse.Namespace) -> int:
    report = gather()
    print(to_json(report) if args.json else render(report))
    return 0 if report.usable else 1


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `doctor` on the CLI's subparsers."""
    p = sub.add_parser("doctor", help="what this machine has (compilers, node, cargo, Postgres, MLflow)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(func=cmd_doctor)

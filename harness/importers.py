"""Suites from material a team already has: `cairo-evals import KIND SOURCE --out suites/NAME.yaml`.

Three kinds, each read from the user's own checkout (the project ships no third-party code):

- `scarb-packages DIR`: every Scarb package under DIR (e.g. the Cairo Book's `listings/`). The
  package's `src/` (its `mod x;` files inlined) is the golden; its top-level test items
  (`#[cfg(test)]` modules, `#[test]` functions) and its `tests/` folder become the tests file.
  The book's `// TAG: does_not_compile` and `// TAG: tests_fail` comments become the case's
  `expect_verdict` (`does_not_run` and `ignore_fmt` concern `scarb execute` and `scarb fmt`, so
  the listing is expected to compile and pass its tests; the tag is kept as a case tag). Each
  case carries its package's third-party dependencies and test runner; `by_dependencies` makes
  a suite per set (a suite's `dependencies:` apply to all its cases), as a team keeps them.
- `starklings DIR`: a Starklings checkout with solutions (`info.toml`, `exercises/`, `solutions/`).
  The exercise as the learner sees it and its hint are the query; the solution's tests (learners
  often complete the tests too) are the tests file; the solution without its tests is the golden.
- `jsonl FILE`: one JSON object per line (or one JSON document holding a list of them, e.g.
  Cairo Coder's `{"examples": [...]}` generation datasets). Fields are
  named with `--query-field`, `--golden-field` (fenced code is extracted), optional
  `--tests-field` (else the golden's own top-level tests) and `--id-field`; a dotted name
  reaches into objects (`expected.answer`).

Every case's query ends with the signatures of the items its tests use, so the tests can bind
to any correct answer (what `validate` checks). Goldens and tests are written to
`golden/<suite>/` under the suite's root; what could not be imported is listed with the reason.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from . import cairotext
from .authoring import split_own_tests, used_items
from .extract import CAIRO_ITEM, extract_cairo

Verdict = Literal["compiles", "does_not_compile", "tests_fail"]
KINDS = ("scarb-packages", "starklings", "jsonl")

# Scarb's built-in packages: a case needs no suite dependency for them.
BUILTIN_PACKAGES = {"starknet", "cairo_execute", "assert_macros", "cairo_test", "core", "executable"}
TAG = re.compile(r"^\s*//\s*TAGS?\s*:\s*(?P<tags>[\w, ]+)$", re.M)
NOT_DONE = re.compile(r"^[ \t]*//[ \t]*I AM NOT DONE[ \t]*\n?", re.M)
CONTRACT = re.compile(r"#\[\s*starknet::(?:contract|component|interface)\s*\]")


@dataclass(frozen=True)
class ImportedCase:
    id: str
    query: str
    golden: str
    kind: Literal["contract", "program"]
    source: str
    tests: str | None = None
    tags: tuple[str, ...] = ()
    expect_verdict: Verdict | None = None
    notes: tuple[str, ...] = ()
    # what the case needs around it, shared by every case of its suite: third-party dependencies
    # as (name, JSON of the suite's value: a version string or a {version, path, git, …} table)
    dependencies: tuple[tuple[str, str], ...] = ()
    test_runner: Literal["snforge", "cairo-test"] | None = None
    cairo: str | None = None  # the Cairo versions the package asks for (its `starknet = "2.12.1"`)


@dataclass
class Imported:
    """What an importer found: the cases, and what it skipped with the reason. A suite's share of
    them (`by_dependencies`) also carries the dependencies and test runner its cases share."""

    cases: list[ImportedCase] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, why)
    dependencies: dict[str, Any] = field(default_factory=dict)
    test_runner: Literal["snforge", "cairo-test"] | None = None
    grouping: list[str] = field(default_factory=list)  # what was grouped and why, for the report
    label: str = ""  # the set's name, which names its suite when an import makes several

    def skip(self, source: str | Path, why: str) -> None:
        self.skipped.append((str(source), why))


# -- shared pieces ------------------------------------------------------------------------------


def case_id(text: str, taken: set[str]) -> str:
    """A valid, unique case id made of `text` (letters, digits, `.`, `_`, `-`; at most 80)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")[:72] or "case"
    if not base[0].isalnum():
        base = "c" + base
    found, n = base, 2
    while found in taken:
        found, n = f"{base}-{n}", n + 1
    taken.add(found)
    return found


def kind_of(code: str) -> Literal["contract", "program"]:
    return "contract" if CONTRACT.search(cairotext.mask(code)) else "program"


def signatures(golden: str, tests: str | None) -> list[str]:
    """How each item the tests use is declared in the golden, one line each (`pub fn f(a: u32) ->
    u32`, `pub trait ICounter<TContractState>`, `fn get(self: @TContractState) -> u32` …)."""
    if not tests:
        return []
    wanted = used_items(golden, tests)
    found: dict[str, str] = {}
    for _, item in cairotext.walk(golden):
        if item.name in wanted and item.name not in found:
            end = item.body[0] - 1 if item.body else item.end
            head = " ".join(golden[item.keyword : end].split()).rstrip(" ;{")
            found[item.name] = head
    return [found[n] for n in wanted if n in found]


def with_signatures(query: str, golden: str, tests: str | None) -> str:
    lines = signatures(golden, tests)
    if not lines:
        return query
    listed = "\n".join(f"- `{line}`" for line in lines)
    return f"{query.rstrip()}\n\nThe tests use these items, declared as follows:\n{listed}"


def _tests_or_none(tests: str | None) -> str | None:
    """A tests file that holds at least one test that runs, else None (a case without tests)."""
    if tests and any(not t.ignored for t in cairotext.test_functions(tests)):
        return tests
    return None


# -- scarb-packages -----------------------------------------------------------------------------


def _inline_modules(text: str, child_dir: Path, seen: set[Path], notes: list[str]) -> str:
    """`text` with every `mod x;` replaced by `mod x { <x.cairo> }`, recursively, also inside
    inline modules (`mod a { mod b; }` reads `a/b.cairo`)."""
    masked = cairotext.mask(text)
    edits: list[tuple[int, int, str]] = []
    for item in cairotext.items(text, masked=masked):
        if item.kind != "mod" or not item.name:
            continue
        if item.body is not None:
            start, end = item.body
            inner = _inline_modules(text[start:end], child_dir / item.name, seen, notes)
            if inner != text[start:end]:
                edits.append((start, end, inner))
            continue
        path = child_dir / f"{item.name}.cairo"
        if not path.is_file() or path in seen:
            notes.append(f"`mod {item.name};`: no {path.name} next to it (left as is)")
            continue
        seen.add(path)
        inner = _inline_modules(path.read_text(), child_dir / item.name, seen, notes)
        head = text[item.start : item.end].rstrip().removesuffix(";").rstrip()
        edits.append((item.start, item.end, f"{head} {{\n{inner.rstrip()}\n}}"))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _integration_tests(package: Path, name: str, notes: list[str]) -> str:
    """The package's `tests/` folder as modules of one tests file (`name::` becomes `crate::`)."""
    folder = package / "tests"
    if not folder.is_dir():
        return ""
    if (folder / "lib.cairo").is_file():
        crates = {"tests": _inline_modules((folder / "lib.cairo").read_text(), folder, set(), notes)}
    else:
        crates = {p.stem: p.read_text() for p in sorted(folder.glob("*.cairo"))}
    parts = []
    for stem, text in crates.items():
        text = re.sub(rf"\b{re.escape(name)}::", "crate::", text)
        parts.append(f"#[cfg(test)]\nmod integration_{stem} {{\n{text.rstrip()}\n}}\n")
    return "\n".join(parts)


def _verdict(tags: set[str]) -> Verdict | None:
    if "does_not_compile" in tags:
        return "does_not_compile"
    if "tests_fail" in tags:
        return "tests_fail"
    return None


SOURCE_KEYS = ("version", "path", "git", "tag", "branch", "rev")


def _workspace_dependency(package: Path, root: Path, name: str, section: str) -> Any:
    """`name = { workspace = true }`: the value in the nearest enclosing workspace manifest (at
    most up to `root`), or None."""
    for folder in [package, *package.parents]:
        manifest = folder / "Scarb.toml"
        if folder != package and manifest.is_file():
            try:
                workspace = tomllib.loads(manifest.read_text()).get("workspace", {})
            except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                return None
            if name in workspace.get(section, {}):
                return workspace[section][name]
        if folder == root or folder == folder.parent:
            return None
    return None


def _dependency(name: str, value: Any, package: Path, root: Path, section: str) -> str | dict[str, str]:
    """A manifest's dependency as a suite writes it: "2.0.0", or a table of version/path/git/
    tag/branch/rev (a path made absolute; `write_suite` writes it relative to the suite's root).

    Raises:
        ValueError: what a suite cannot say (another key, a workspace entry not found).
    """
    if isinstance(value, dict) and value.get("workspace") is True:
        found = _workspace_dependency(package, root, name, section)
        if found is None:
            raise ValueError(f"{name} = {{ workspace = true }} but no enclosing workspace defines it")
        return _dependency(name, found, package, root, section)
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or set(value) - set(SOURCE_KEYS) or not value:
        keys = ", ".join(sorted(set(value) - set(SOURCE_KEYS))) if isinstance(value, dict) else repr(value)
        raise ValueError(f"{name}: {keys} (a suite's dependency gives version, path, git, tag, branch, rev)")
    table = {k: str(value[k]) for k in SOURCE_KEYS if k in value}
    if "path" in table:
        table["path"] = str((package / table["path"]).resolve())
    if set(table) == {"version"}:
        return table["version"]
    return table


def _needs(
    meta: dict[str, Any], package: Path, root: Path
) -> tuple[tuple[tuple[str, str], ...], str | None, str | None]:
    """A package's third-party dependencies (dev-dependencies too: its tests need them), its test
    runner (snforge when `snforge_std` is a dev-dependency, as `snforge new` writes it) and the
    Cairo versions its `starknet = "…"` asks for.

    Raises:
        ValueError: a dependency a suite cannot express.
    """
    deps: dict[str, str] = {}
    runner = None
    for section in ("dependencies", "dev-dependencies"):
        for name, value in (meta.get(section) or {}).items():
            if name == "snforge_std":
                runner = "snforge"  # the harness pins snforge_std to the installed snforge
                continue
            if name in BUILTIN_PACKAGES:
                continue
            deps.setdefault(
                name, json.dumps(_dependency(name, value, package, root, section), sort_keys=True)
            )
    starknet = (meta.get("dependencies") or {}).get("starknet")
    version = starknet if isinstance(starknet, str) else None
    cairo = f">={version}" if version and re.fullmatch(r"\d+\.\d+\.\d+", version) else None
    return tuple(sorted(deps.items())), runner, cairo


def scarb_packages(root: Path) -> Imported:
    """A case per Scarb package under `root` (see the module's docstring)."""
    found = Imported()
    taken: set[str] = set()
    manifests = sorted(p for p in root.rglob("Scarb.toml") if "target" not in p.relative_to(root).parts)
    if not manifests:
        found.skip(root, "no Scarb.toml under this folder")
    for manifest in manifests:
        package = manifest.parent
        rel = package.relative_to(root).as_posix() or package.name
        try:
            meta = tomllib.loads(manifest.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            found.skip(rel, f"Scarb.toml does not parse: {e}")
            continue
        name = meta.get("package", {}).get("name")
        if not name:
            found.skip(rel, "a workspace manifest without [package]")
            continue
        try:
            deps, runner, cairo = _needs(meta, package, root)
        except ValueError as e:
            found.skip(rel, f"a dependency a suite cannot express: {e}")
            continue
        features = meta.get("package", {}).get("experimental-features") or []
        if features:
            found.skip(
                rel,
                f"needs experimental features {', '.join(map(str, features))} (Scarb.toml "
                "experimental-features), which the harness's backends do not enable",
            )
            continue
        lib = package / "src" / "lib.cairo"
        if not lib.is_file():
            found.skip(rel, "no src/lib.cairo")
            continue
        notes: list[str] = []
        try:
            source = _inline_modules(lib.read_text(), package / "src", {lib}, notes)
            integration = _integration_tests(package, name, notes)
        except UnicodeDecodeError as e:
            found.skip(rel, f"not UTF-8 text: {e}")
            continue
        # the package's own name in paths (`use listing_01::x`) is the crate the harness compiles
        source = re.sub(rf"\b{re.escape(name)}::", "crate::", source)
        tags = {t.strip() for m in TAG.finditer(source + integration) for t in m["tags"].split(",")} - {""}
        own = split_own_tests(source)
        tests = _tests_or_none("\n".join(t for t in (own.tests, integration) if t))
        if own.nested:
            notes.append(f"tests inside modules stay with the golden and do not run: {', '.join(own.nested)}")
        golden = own.code.strip("\n") + "\n"
        if not cairotext.strip(golden).strip():
            if tests is None:
                found.skip(rel, "no code and no tests")
                continue
            golden = f"// {rel} holds only tests.\n"
            notes.append("only tests: the golden is empty")
        # the book's `ch01-intro/listing_01`: chapter ch01; a package at the top: the folder's name
        chapter = rel.split("/")[0] if "/" in rel else root.name
        short = re.match(r"(ch\d+|appendix)", chapter)
        query = f"Write the Cairo code of the Scarb package `{name}` ({rel}).\n"
        if comments := _leading_comments(source):
            query += f"Its source begins with these comments:\n{comments}\n"
        found.cases.append(
            ImportedCase(
                id=case_id(f"{short[1]}-{package.name}" if short else rel.replace("/", "-"), taken),
                query=with_signatures(query, golden, tests),
                golden=golden,
                tests=tests,
                kind=kind_of(golden),
                source=rel,
                tags=tuple(sorted({chapter, *(f"tag-{t}" for t in tags)})),
                expect_verdict=_verdict(tags),
                notes=tuple(notes),
                dependencies=deps,
                test_runner=runner,
                cairo=cairo,
            )
        )
    return found


def by_dependencies(found: Imported, out: Path) -> list[tuple[Path, Imported]]:
    """The suites to write: one per set of dependencies and test runner, as a team keeps them
    (a suite's `dependencies:` apply to all its cases). One set keeps `out`; with several, each
    suite is named by its set (`out` for the set without third-party dependencies, else
    `<out>-<names>.yaml`). What was skipped goes with the first; each says what it grouped and why."""
    sets: dict[tuple[Any, ...], list[ImportedCase]] = {}
    for c in found.cases:
        sets.setdefault((c.dependencies, c.test_runner), []).append(c)
    if not sets:
        return [(out, found)]
    suites, taken = [], set()
    for i, ((deps, runner), cases) in enumerate(sets.items()):
        label = "-".join([*(name for name, _ in deps), *([runner] if runner else [])])
        digest = hashlib.sha256(repr((deps, runner)).encode()).hexdigest()[:7]
        if len(label) > 48:
            label = label[:40].rstrip("-_") + "-" + digest
        if label in taken:  # the same names at other versions or sources
            label = f"{label}-{digest}"
        taken.add(label)
        several = len(sets) > 1 and label
        path = out.with_name(f"{out.stem}-{label}{out.suffix}") if several else out
        part = Imported(
            cases=cases,
            skipped=found.skipped if i == 0 else [],
            dependencies={name: json.loads(spec) for name, spec in deps},
            test_runner=runner,
            label=label if several else "",
        )
        why = []
        if deps:
            why.append(
                "they share the dependencies " + ", ".join(f"{n} {_show(json.loads(v))}" for n, v in deps)
            )
        else:
            why.append("no third-party dependencies")
        if runner == "snforge":
            why.append("snforge_std is a dev-dependency, so the suite runs its tests with snforge")
        shown = ", ".join(c.source for c in cases[:4]) + (" …" if len(cases) > 4 else "")
        part.grouping.append(f"{path.name}: {len(cases)} packages ({shown}): {'; '.join(why)}")
        suites.append((path, part))
    return suites


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "(" + ", ".join(f"{k} {v}" for k, v in value.items()) + ")"


def _leading_comments(source: str) -> str:
    """The `//` comment lines at the top of the file (tags and ANCHOR markers left out)."""
    lines = []
    for line in source.splitlines():
        text = line.strip()
        if not text:
            if lines:
                break
            continue
        if not text.startswith("//"):
            break
        if TAG.match(text) or re.match(r"//\s*ANCHOR", text):
            continue
        lines.append(text.lstrip("/ ").rstrip())
    return "\n".join(lines)


# -- starklings ---------------------------------------------------------------------------------


def starklings(root: Path) -> Imported:
    """A case per Starklings exercise that has a solution (see the module's docstring)."""
    found = Imported()
    info = root / "info.toml"
    if not info.is_file():
        found.skip(root, "no info.toml: not a Starklings checkout")
        return found
    taken: set[str] = set()
    for exercise in tomllib.loads(info.read_text()).get("exercises", []):
        name, rel = exercise.get("name"), exercise.get("path")
        if not name or not rel:
            found.skip(str(exercise)[:60], "an exercise without name or path in info.toml")
            continue
        path, solution = root / rel, root / rel.replace("exercises/", "solutions/", 1)
        if not path.is_file():
            found.skip(rel, "the exercise file is missing")
            continue
        if not solution.is_file():
            found.skip(rel, "no solution (looked for " + solution.relative_to(root).as_posix() + ")")
            continue
        text = NOT_DONE.sub("", path.read_text())
        solved = split_own_tests(NOT_DONE.sub("", solution.read_text()))
        # the solution's tests: learners often fix the tests too (a `// let green =` to complete)
        tests = _tests_or_none(solved.tests) or _tests_or_none(split_own_tests(text).tests)
        mode = exercise.get("mode", "compile")
        notes = [] if tests else [f"mode {mode}: no tests, a compile check (a `main` is never executed)"]
        goal = "compiles and its tests pass" if tests else "compiles"
        hint = " ".join(str(exercise.get("hint", "")).split())
        query = (
            f"Complete this Cairo exercise so that it {goal}. Keep its items' names and signatures; "
            f"answer with the whole file.\n\n```cairo\n{text.strip()}\n```\n"
            + (f"\nHint: {hint}\n" if hint and "no hints" not in hint.lower() else "")
        )
        golden = solved.code.strip("\n") + "\n"
        found.cases.append(
            ImportedCase(
                id=case_id(name, taken),
                query=with_signatures(query, golden, tests),
                golden=golden,
                tests=tests,
                kind=kind_of(golden),
                source=rel,
                tags=("starklings", Path(rel).parent.name),
                notes=tuple(notes),
            )
        )
    return found


# -- jsonl --------------------------------------------------------------------------------------


def _records(path: Path, found: Imported) -> list[tuple[str, int, Any]]:
    """(where, number, record) for each record: JSON lines, or one JSON document holding a list
    (at the top, or as the only list of objects in an object, e.g. `{"examples": [...]}`)."""
    text = path.read_text(encoding="utf-8")
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        lists = [k for k, v in whole.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if len(lists) == 1:
            whole = whole[lists[0]]
    if isinstance(whole, list):
        return [(f"{path.name}[{i}]", i + 1, record) for i, record in enumerate(whole)]
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((f"{path.name}:{n}", n, json.loads(line)))
        except json.JSONDecodeError as e:
            found.skip(f"{path.name}:{n}", f"not JSON: {e.msg}")
    return records


def _field(record: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(record, dict) or part not in record:
            return None
        record = record[part]
    return record


def _code(value: Any) -> str | None:
    """The Cairo in a field: its fenced blocks, or the whole text when it is bare code (which may
    begin with comments)."""
    if not isinstance(value, str) or not value.strip():
        return None
    if "```" not in value and "~~~" not in value and CAIRO_ITEM.search(cairotext.mask(value)):
        return value.strip("\n") + "\n"  # a dataset's bare code is the whole field, comments too
    return extract_cairo(value).code


def jsonl(
    path: Path,
    query_field: str,
    golden_field: str,
    tests_field: str | None = None,
    id_field: str | None = None,
) -> Imported:
    """A case per line of a JSON-lines file (see the module's docstring)."""
    found = Imported()
    taken: set[str] = set()
    for where, n, record in _records(path, found):
        query = _field(record, query_field)
        if not isinstance(query, str) or not query.strip():
            found.skip(where, f"no text in field {query_field!r}")
            continue
        golden = _code(_field(record, golden_field))
        if golden is None:
            found.skip(where, f"no Cairo code in field {golden_field!r}")
            continue
        if tests_field:
            tests = _tests_or_none(_code(_field(record, tests_field)))
            own = split_own_tests(golden)
            golden = own.code if own.tests else golden
        else:
            own = split_own_tests(golden)
            golden, tests = own.code, _tests_or_none(own.tests)
        raw_id = _field(record, id_field) if id_field else None
        golden = golden.strip("\n") + "\n"
        found.cases.append(
            ImportedCase(
                id=case_id(str(raw_id) if raw_id not in (None, "") else f"{path.stem}-{n}", taken),
                query=with_signatures(query, golden, tests),
                golden=golden,
                tests=tests,
                kind=kind_of(golden),
                source=where,
                notes=() if tests else ("no tests: a compile check",),
            )
        )
    return found


# -- writing the suite --------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def write_suite(
    found: Imported,
    out: Path,
    *,
    name: str | None = None,
    description: str = "",
    split: str = "test",
    added: datetime.date | None = None,
) -> Path:
    """Write the suite file `out` and its goldens and tests under `<suite root>/golden/<name>/`."""
    from .suite import suite_root

    name = name or case_id(out.stem, set())
    root = suite_root(out)
    folder = root / "golden" / name
    folder.mkdir(parents=True, exist_ok=True)
    cases = []
    for c in found.cases:
        stem = c.id.replace(".", "_")
        (folder / f"{stem}.cairo").write_text(c.golden)
        entry: dict[str, Any] = {"id": c.id, "query": c.query.strip() + "\n"}
        entry["golden"] = (folder / f"{stem}.cairo").relative_to(root).as_posix()
        if c.tests:
            (folder / f"{stem}.tests.cairo").write_text(c.tests.strip("\n") + "\n")
            entry["tests"] = (folder / f"{stem}.tests.cairo").relative_to(root).as_posix()
        entry["kind"] = c.kind
        if c.tags:
            entry["tags"] = list(c.tags)
        entry["split"] = split
        if c.expect_verdict:
            entry["expect_verdict"] = c.expect_verdict
        if c.cairo:
            entry["cairo"] = c.cairo
        if added:
            entry["added"] = added
        cases.append(entry)
    doc: dict[str, Any] = {
        "suite": name,
        "description": description or f"Imported by cairo-evals import on {datetime.date.today()}.",
    }
    if found.test_runner:
        doc["test_runner"] = found.test_runner
    if found.dependencies:
        doc["dependencies"] = {n: _relative_path(v, root) for n, v in found.dependencies.items()}
    doc["cases"] = cases
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100))
    return out


def _relative_path(value: Any, root: Path) -> Any:
    """A path dependency's folder relative to the suite's root (where the suite reads it from)."""
    if isinstance(value, dict) and "path" in value:
        return {**value, "path": os.path.relpath(value["path"], root)}
    return value


def summary(found: Imported) -> list[str]:
    """What was imported and what was skipped, grouped by reason (with up to 3 sources each)."""
    lines = [f"imported {len(found.cases)} cases"]
    verdicts = Counter(c.expect_verdict or "passes" for c in found.cases)
    with_tests = sum(c.tests is not None for c in found.cases)
    lines.append(
        f"  {with_tests} with tests, {len(found.cases) - with_tests} compile checks; expected verdicts: "
        + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items()))
    )
    by_reason: dict[str, list[str]] = {}
    for source, why in found.skipped:
        key = re.sub(r"^a dependency a suite cannot express: .*", "a dependency a suite cannot express", why)
        key = re.sub(r"\(looked for [^)]*\)", "", key).strip()
        key = re.sub(r"^needs experimental features [^(]*", "needs experimental features ", key)
        by_reason.setdefault(key, []).append(source)
    if by_reason:
        lines.append(f"skipped {len(found.skipped)}:")
    for why, sources in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
        shown = ", ".join(sources[:3]) + (" …" if len(sources) > 3 else "")
        lines.append(f"  {len(sources)} × {why} ({shown})")
    noted = Counter(note.split(":")[0] for c in found.cases for note in c.notes)
    for note, n in noted.most_common():
        lines.append(f"  note on {n} cases: {note}")
    return lines

"""Suite files: YAML in, frozen `Suite`/`Case` dataclasses out, or every error at once.

Validation is declared once as pydantic models (which also give the published JSON Schema,
`cairo-evals schema`); the YAML node tree gives each error its line. A suite with errors
raises `SuiteError` listing all of them, each as
`suites/x.yaml:14: case 'erc20-basic': field 'quer': unknown field (did you mean 'query'?)`.

Paths (`golden:`, `tests:`) are relative to the suite's root: the folder above `suites/`
when the file lives in a `suites/` folder, else the suite file's own folder. A value that is
one line without spaces ending in `.cairo` is a path; anything else is inline Cairo.

Suite files may come from anywhere (a pull request, a shared folder), so the loader has limits,
each reported as a `file:line` problem instead of a hang, a memory blow-up or a traceback:
- at most `MAX_SUITE_BYTES` (4 MiB; refused before reading);
- UTF-8 text (a BOM is allowed); a bad byte is reported with its line and column;
- nesting at most `MAX_DEPTH` (64) levels deep;
- aliases (`*name`) add at most `MAX_ALIAS_NODES` (100,000) nodes when expanded (a "billion
  laughs" alias bomb is 700 bytes that expand to 10^9 nodes), and no alias refers to itself;
- no duplicate keys in a mapping (YAML would silently keep the last);
- numbers are finite: `.inf`, `.nan` and overflowing literals are refused.
"""

from __future__ import annotations

import datetime
import difflib
import glob
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
CaseId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=80)]


MAX_SUITE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIAS_NODES = 100_000


class _Strict(BaseModel):
    # allow_inf_nan=False: "inf"/"nan" given as strings are refused too (the loader refuses .inf)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ExpectModel(_Strict):
    must_contain: list[str] = Field(
        default_factory=list, description="Substrings a correct answer's code must contain."
    )
    must_not_contain: list[str] = Field(
        default_factory=list,
        description="Substrings a correct answer's code never contains (e.g. Rust-isms: 'Vec<').",
    )


class ChatMessageModel(_Strict):
    role: Literal["user", "assistant"]
    content: str


class ScoringModel(_Strict):
    compile: float = Field(
        0.3,
        ge=0,
        description="Unused since scores are execution tiers (compiling is a tier); accepted so older "
        "suites load.",
    )
    tests: float = Field(
        0.4, ge=0, description="Weight of the share of tests passed, inside the passes-some tier."
    )
    judge: float = Field(0.3, ge=0, description="Weight of the judge's score (0..1) inside a tier.")

    @model_validator(mode="after")
    def _some_weight(self) -> ScoringModel:
        if self.compile + self.tests + self.judge <= 0:
            raise ValueError("the weights must not all be 0")
        return self


class GateModel(_Strict):
    mean_score: Fraction | None = Field(None, description="Minimum mean case score.")
    compile_rate: Fraction | None = Field(None, description="Minimum share of cases that compile.")
    tests_pass_rate: Fraction | None = Field(None, description="Minimum share of cases whose tests all pass.")


class ThresholdsModel(GateModel):
    tags: dict[str, GateModel] = Field(default_factory=dict, description="Gates on the cases carrying a tag.")


class CaseModel(_Strict):
    id: CaseId = Field(description="Unique within the suite; names the pytest item suite::id.")
    query: str = Field(min_length=1, description="What the program under test is asked.")
    golden: str = Field(
        min_length=1, description="Golden reference: a path (relative to the suite root) or inline Cairo."
    )
    tests: str | None = Field(
        None, description="Cairo test module appended to the answer: a path or inline Cairo."
    )
    kind: Literal["contract", "program"] = Field(description="Starknet contract or plain Cairo.")
    tags: list[str] = Field(default_factory=list)
    split: Literal["train", "val", "test"] = Field(
        "test", description="Optimizers train on train/val and never see test."
    )
    expect: ExpectModel = Field(default_factory=ExpectModel)
    min_score: Fraction | None = Field(None, description="This case fails below this score.")
    chat_history: list[ChatMessageModel] = Field(default_factory=list)
    weight: float = Field(1.0, gt=0, description="Weight of the case in the suite's mean.")
    added: datetime.date | None = Field(
        None,
        description="When the case was written (YYYY-MM-DD): `run --added-after DATE` keeps the cases "
        "newer than a model's training cutoff.",
    )
    cairo: str | None = Field(
        None,
        description="The Cairo versions the case needs, as a version requirement (e.g. '>=2.12'); a "
        "backend with another version skips the case.",
    )
    expect_verdict: Literal["compiles", "does_not_compile", "tests_fail"] | None = Field(
        None,
        description="What check-golden expects of the golden when it is not 'compiles and passes every "
        "test': 'compiles' (its tests are not judged), 'does_not_compile' or 'tests_fail' (a check of "
        "the compiler, e.g. the Cairo Book's `// TAG: does_not_compile` listings).",
    )

    @field_validator("added", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        # YAML reads an unquoted 2026-12-02 as a date; a quoted one is the same date. A time of
        # day or another format is refused rather than guessed.
        if isinstance(value, str) and len(value) == 10:
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                pass
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise ValueError(f"must be a date written YYYY-MM-DD (got {value!r})")
        return value

    @field_validator("cairo")
    @classmethod
    def _specifier(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                SpecifierSet(value)
            except InvalidSpecifier:
                raise ValueError(f"not a version requirement: {value!r} (e.g. '>=2.12')") from None
        return value


class LMSettingsModel(_Strict):
    """A live LM and how it is reached (see harness.endpoint); the key stays in its variable."""

    model: str = Field(description="The model string, e.g. openai/gpt-4o-mini or hosted_vllm/qwen2.5-coder.")
    api_base: str | None = Field(None, description="The server's base URL, e.g. http://gpu-box:8000/v1.")
    api_key_env: str | None = Field(None, description="The environment variable holding the API key.")
    headers: dict[str, str] | None = Field(
        None, description="Extra HTTP headers; ${VAR} is read from the environment."
    )
    engine: Literal["auto", "lm15", "litellm"] | None = Field(
        None, description="DSPy's client (--lm-engine)."
    )
    price: dict[str, float] | None = Field(None, description="{input, output}: USD per million tokens.")
    rps: float | None = Field(None, gt=0, description="Requests per second to this endpoint.")
    concurrency: int | None = Field(None, gt=0, description="Requests in flight to this endpoint.")
    cache: bool | None = Field(None, description="Let DSPy's on-disk cache answer repeats (default off).")


DependencyName = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$", max_length=64)]
# A value Scarb reads from a TOML string: no quotes, backslashes or control characters (nothing
# that could end the string and add manifest keys of its own).
_PLAIN = re.compile(r'^[^"\\\x00-\x1f\x7f]+$')
_VERSION_REQ = re.compile(r"^[0-9A-Za-z.*^~<>=, +-]+$")


class DependencyModel(_Strict):
    version: str | None = Field(None, description="A version requirement, e.g. '2.0.0'.")
    path: str | None = Field(
        None,
        description="A folder holding the package's Scarb.toml, relative to the suite's root or absolute "
        "(e.g. a checkout CI pins, so no registry is needed).",
    )
    git: str | None = Field(None, description="A git repository Scarb fetches the package from.")
    tag: str | None = Field(None, description="With git: the tag to check out.")
    branch: str | None = Field(None, description="With git: the branch to check out.")
    rev: str | None = Field(None, description="With git: the commit to check out.")

    @model_validator(mode="after")
    def _one_source(self) -> DependencyModel:
        if self.version is not None and not _VERSION_REQ.match(self.version):
            raise ValueError(f"version: not a version requirement: {self.version!r} (e.g. '2.0.0')")
        for key in ("path", "git", "tag", "branch", "rev"):
            value = getattr(self, key)
            if value is not None and not _PLAIN.match(value):
                raise ValueError(f"{key}: empty, or holds a quote, backslash or control character")
        if self.path and self.git:
            raise ValueError("give either path or git, not both")
        if not (self.version or self.path or self.git):
            raise ValueError("give a version, a path or a git source")
        pins = [k for k in ("tag", "branch", "rev") if getattr(self, k) is not None]
        if pins and not self.git:
            raise ValueError(f"{pins[0]} needs git")
        if len(pins) > 1:
            raise ValueError(f"give one of tag, branch and rev (got {', '.join(pins)})")
        return self


def dependency_spec(dep: str | DependencyModel, root: Path) -> str:
    """A dependency as Scarb's manifest writes it: `2.0.0`, or an inline table
    `{ version = "2.0.0", path = "/abs/folder" }` (a relative path resolved against `root`)."""
    if isinstance(dep, str):
        return dep
    fields = {k: v for k, v in dep.model_dump().items() if v is not None}
    if "path" in fields:
        fields["path"] = str((root / fields["path"]).resolve())
    return "{ " + ", ".join(f'{k} = "{v}"' for k, v in fields.items()) + " }"


class SuiteModel(_Strict):
    suite: CaseId = Field(description="The suite's name.")
    description: str = ""
    program: str | None = Field(None, description="Default program under test (--program overrides).")
    lm: str | LMSettingsModel | None = Field(
        None,
        description="Default LM (--lm overrides): a string (replay:recordings/x.jsonl, a model, "
        "model?api_base=…) or a model with its connection settings.",
    )
    judge: str | LMSettingsModel = Field(
        "heuristic", description="'heuristic' or an LM, as for lm (--judge-lm overrides)."
    )

    @field_validator("lm", "judge", mode="after")
    @classmethod
    def _lm_spec(cls, value: Any) -> Any:
        from .endpoint import parse_spec, spec_from_mapping

        if isinstance(value, LMSettingsModel):
            return spec_from_mapping(value.model_dump(exclude_none=True))
        if isinstance(value, str) and "?" in value and not value.startswith(("replay:", "py:")):
            parse_spec(value.removeprefix("record:"))
        return value

    compiler: Literal["auto", "scarb", "native", "wasm"] = "auto"
    test_runner: Literal["auto", "snforge", "cairo-test"] = Field(
        "auto",
        description="Scarb's test runner: auto (snforge for tests that use snforge_std when snforge is "
        "installed, else cairo-test), snforge or cairo-test.",
    )
    scoring: ScoringModel = Field(default_factory=ScoringModel)
    thresholds: ThresholdsModel = Field(default_factory=ThresholdsModel)
    dependencies: dict[DependencyName, str | DependencyModel] = Field(
        default_factory=dict,
        description="Extra Scarb dependencies: a version requirement (e.g. {openzeppelin: '2.0.0'}, from "
        "the registry) or a source ({openzeppelin: {version: '2.0.0', path: vendor/cairo-contracts}}, "
        "{openzeppelin: {git: 'https://…', tag: v2.0.0}}). A dependency named snforge_std, cairo_test or "
        "assert_macros replaces the test runner's own dev-dependency.",
    )
    cases: list[CaseModel] = Field(min_length=1)


def json_schema() -> dict[str, Any]:
    schema = SuiteModel.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "cairo-evals suite"
    return schema


# -- the dataclasses the rest of the harness sees -------------------------------------------


@dataclass(frozen=True)
class Expect:
    must_contain: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scoring:
    compile: float = 0.3
    tests: float = 0.4
    judge: float = 0.3


@dataclass(frozen=True)
class Gate:
    mean_score: float | None = None
    compile_rate: float | None = None
    tests_pass_rate: float | None = None


@dataclass(frozen=True)
class Thresholds(Gate):
    tags: tuple[tuple[str, Gate], ...] = ()


@dataclass(frozen=True)
class Case:
    suite: str
    id: str
    query: str
    golden: str  # the golden reference's Cairo source
    kind: Literal["contract", "program"]
    tests: str | None = None  # the Cairo test module's source
    golden_path: str | None = None
    tests_path: str | None = None
    tags: tuple[str, ...] = ()
    split: Literal["train", "val", "test"] = "test"
    expect: Expect = Expect()
    min_score: float | None = None
    chat_history: tuple[tuple[str, str], ...] = ()
    weight: float = 1.0
    line: int = 0
    added: datetime.date | None = None
    cairo: str | None = None  # a version requirement, e.g. ">=2.12"
    test_runner: Literal["snforge", "cairo-test"] | None = None  # the suite's, unless "auto"
    expect_verdict: Literal["compiles", "does_not_compile", "tests_fail"] | None = None

    @property
    def nodeid(self) -> str:
        return f"{self.suite}::{self.id}"


@dataclass(frozen=True)
class Suite:
    name: str
    path: str
    cases: tuple[Case, ...]
    description: str = ""
    program: str | None = None
    lm: str | None = None
    judge: str = "heuristic"
    compiler: Literal["auto", "scarb", "native", "wasm"] = "auto"
    test_runner: Literal["auto", "snforge", "cairo-test"] = "auto"
    scoring: Scoring = Scoring()
    thresholds: Thresholds = Thresholds()
    dependencies: tuple[tuple[str, str], ...] = ()


# -- errors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str
    case: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = [f"{self.file}:{self.line}:"]
        if self.case:
            parts.append(f"case '{self.case}':")
        if self.field:
            parts.append(f"field '{self.field}':")
        parts.append(self.message)
        return " ".join(parts)


class SuiteError(ValueError):
    """A suite file is invalid; `problems` lists every error found in it."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# -- loading --------------------------------------------------------------------------------


def suite_root(path: Path) -> Path:
    parent = path.resolve().parent
    return parent.parent if parent.name == "suites" else parent


def _is_path(value: str) -> bool:
    """A `golden:`/`tests:` value that names a Cairo file (else it is the Cairo itself)."""
    return "\n" not in value.strip() and " " not in value.strip() and value.strip().endswith(".cairo")


_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}$")


def _looks_like_path(value: str) -> bool:
    """One line, no spaces, with a `/` or ending in a file extension: meant as a file name, so it
    is never read as inline Cairo, whatever it names."""
    text = value.strip()
    if not text or any(ch.isspace() for ch in text):
        return False
    return "/" in text or "\\" in text or bool(_EXTENSION.search(text))


def _inside(value: str, root: Path) -> Path:
    """The file a path value names, resolved (symlinks too); ValueError unless it is inside the
    suite's root: a suite cannot make the harness read, or send to a model, files elsewhere."""
    base = root.resolve()
    given = Path(value.strip())
    path = (base / given).resolve()  # an absolute value stays itself
    if path.is_relative_to(base):
        return path
    through = " through a symlink" if Path(os.path.normpath(base / given)).is_relative_to(base) else ""
    raise ValueError(
        f"{value.strip()} leads outside the suite's root{through} ({path} is not under {base}): "
        "golden and tests files must live under the suite's root"
    )


def _file_problem(value: str, root: Path) -> str | None:
    """Why a `golden:`/`tests:` value cannot be used: a path outside the suite's root, a missing
    file, or a path to something other than a `.cairo` file."""
    if not _is_path(value):
        if _looks_like_path(value):
            return (
                f"{value.strip()!r} looks like a file path but is not a .cairo file: name a .cairo file "
                f"under {root}, or write the Cairo inline (a `|` block)"
            )
        return None
    try:
        path = _inside(value, root)
    except ValueError as e:
        return str(e)
    if not path.is_file():
        return f"file not found: {value} (looked in {root})"
    return None


def _line(node: yaml.Node | None, loc: Iterable[Any]) -> int:
    """1-based line of the YAML node at `loc` (or of the nearest ancestor that exists)."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _model_at(loc: Sequence[Any]) -> type[BaseModel] | None:
    """The model whose fields are valid at `loc` (for 'did you mean')."""
    model: Any = SuiteModel
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        if model is ThresholdsModel and part == "tags":
            return GateModel
        field = model.model_fields.get(part)
        if field is None:
            return model
        model = next(
            (t for t in _types_of(field.annotation) if isinstance(t, type) and issubclass(t, BaseModel)),
            None,
        )
    return model


def _types_of(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", ())
    return [annotation, *[t for a in args for t in _types_of(a)]]


def _suggestion(loc: Sequence[Any]) -> str | None:
    """The known field closest to the unknown one at `loc`, if any is close."""
    model = _model_at(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields) if model else [], n=1)
    return close[0] if close else None


def _message(err: dict[str, Any]) -> str:
    kind, loc, value = err["type"], err["loc"], err.get("input")
    if kind == "extra_forbidden":
        close = _suggestion(loc)
        model = _model_at(loc[:-1])
        options = ", ".join(model.model_fields) if model else ""
        return "unknown field" + (f" (did you mean '{close}'?)" if close else f" (allowed: {options})")
    if kind == "missing":
        return "missing (required)"
    if kind == "literal_error":
        return f"{err['msg'].lower()} (got {value!r})"
    if kind in ("greater_than_equal", "less_than_equal") and err.get("ctx", {}).get("le", 1) == 1:
        return f"must be between 0 and 1 (got {value!r})"
    if kind == "too_short" and loc == ("cases",):
        return "the suite has no cases"
    return (
        f"{err['msg']} (got {value!r})"
        if value is not None and not isinstance(value, dict | list)
        else err["msg"]
    )


def _one_branch(err: Any) -> Any:
    """A `dependencies:` entry is a version or a table: report the error of the branch the value
    took (a table's own problem, not "should be a string"), at the entry's own location."""
    loc = err["loc"]
    if len(loc) < 3 or loc[0] != "dependencies":
        return err
    branch = str(loc[2])
    if branch == "str" and isinstance(err.get("input"), dict):
        return None
    if branch.startswith("function-after[") or branch == "DependencyModel":
        err = {**err, "loc": (*loc[:2], *loc[3:])}
    if err["type"] == "value_error":
        err = {**err, "msg": err["msg"].removeprefix("Value error, "), "input": None}
    if loc[-1] == "[key]":
        err = {**err, "msg": "not a Scarb package name (lowercase letters, digits and _)"}
    return err


class _SuiteLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a bound on nesting depth, checked while composing: the composer
    recurses once per level, so a 20,000-deep `[[[…` would otherwise end in a RecursionError."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(
                    None, None, f"nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1


class _TooDeep(yaml.composer.ComposerError):
    pass


_FLOAT = "tag:yaml.org,2002:float"


def _finite(value: str) -> bool:
    text = value.strip().lower().replace("_", "")
    if text.lstrip("+-") in (".inf", ".nan"):
        return False
    try:
        return math.isfinite(float(text))
    except ValueError:  # a sexagesimal 1:30.5 and the like: finite
        return True


def _check_tree(root: yaml.Node, shown: str) -> list[Problem]:
    """Alias expansion, self-referencing aliases, duplicate keys and non-finite numbers, each
    node visited once: an alias is the very node it names, so a repeat visit is an alias use,
    counted by the size it expands to but not walked again (linear in the file, not in what the
    aliases expand to)."""
    problems: list[Problem] = []
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    added = 0  # nodes the aliases add when expanded

    def line(node: yaml.Node) -> int:
        return node.start_mark.line + 1

    def walk(node: yaml.Node, parent: yaml.Node) -> int:  # the node's size with aliases expanded
        nonlocal added
        key = id(node)
        if key in open_:
            raise _Refused(Problem(shown, line(parent), "an alias refers to the node that contains it"))
        if key in sizes:
            added += sizes[key]
            if added > MAX_ALIAS_NODES:
                raise _Refused(
                    Problem(
                        shown,
                        line(parent),
                        f"aliases expand to more than {MAX_ALIAS_NODES:,} extra YAML nodes (an alias "
                        "bomb?); write the values out instead",
                    )
                )
            return sizes[key]
        open_.add(key)
        size = 1
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _FLOAT and not _finite(node.value):
                problems.append(
                    Problem(shown, line(node), f"not a finite number: {node.value} (use a number)")
                )
        elif isinstance(node, yaml.SequenceNode):
            size += sum(walk(child, node) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    if k.value in seen:
                        problems.append(
                            Problem(
                                shown, line(k), f"duplicate key '{k.value}' (first on line {seen[k.value]})"
                            )
                        )
                    seen.setdefault(k.value, line(k))
                size += walk(k, node) + walk(v, k)
        open_.discard(key)
        sizes[key] = size
        return size

    try:
        walk(root, root)
    except _Refused as refused:
        return [refused.problem]
    return problems


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _read_yaml(path: Path, shown: str) -> tuple[yaml.Node | None, Any]:
    """The suite file's YAML node tree and data, within the limits of the module docstring."""
    try:
        size = path.stat().st_size
        if size > MAX_SUITE_BYTES:
            raise SuiteError(
                [
                    Problem(
                        shown,
                        1,
                        f"the file is {size / 2**20:.1f} MiB; suite files are limited to "
                        f"{MAX_SUITE_BYTES // 2**20} MiB (split it into several suites, or move inline "
                        "Cairo into golden/ files)",
                    )
                ]
            )
        raw = path.read_bytes()
    except OSError as e:
        raise SuiteError([Problem(shown, 1, f"cannot read suite file: {e.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise SuiteError(
            [
                Problem(
                    shown,
                    line,
                    f"not UTF-8 text: byte 0x{raw[e.start]:02x} at column {column} (save the file as UTF-8)",
                )
            ]
        ) from None
    loader = _SuiteLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        problems = _check_tree(node, shown)
        if problems:
            raise SuiteError(problems)
        return node, loader.construct_document(node)
    except yaml.reader.ReaderError as e:  # a character YAML does not allow (e.g. NUL)
        line = text.count("\n", 0, e.position) + 1
        raise SuiteError([Problem(shown, line, f"YAML syntax error: {e.reason}")]) from None
    except _TooDeep as e:
        line = e.problem_mark.line + 1 if e.problem_mark else 1
        raise SuiteError([Problem(shown, line, f"the YAML is {e.problem} (a suite needs about 6)")]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        reason = getattr(e, "problem", None) or str(e)
        raise SuiteError([Problem(shown, line, f"YAML syntax error: {reason}")]) from None
    except RecursionError:  # a limit above should have caught it; never a traceback
        raise SuiteError([Problem(shown, 1, "the YAML is nested too deeply")]) from None
    finally:
        loader.dispose()


def load_suite(path: str | Path) -> Suite:
    """Load and validate one suite file; raise `SuiteError` with every problem found."""
    path = Path(path)
    try:  # as the user would type it: relative to where they stand, when it is below
        shown = str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    node, data = _read_yaml(path, shown)
    if not isinstance(data, dict):
        raise SuiteError([Problem(shown, 1, "a suite is a mapping with 'suite:' and 'cases:'")])

    raw_cases = data.get("cases") if isinstance(data.get("cases"), list) else []

    def case_id(loc: Sequence[Any]) -> str | None:
        if len(loc) >= 2 and loc[0] == "cases" and isinstance(loc[1], int) and loc[1] < len(raw_cases):
            item = raw_cases[loc[1]]
            return str(item.get("id")) if isinstance(item, dict) and item.get("id") else f"#{loc[1] + 1}"
        return None

    def field_of(loc: Sequence[Any]) -> str | None:
        rest = loc[2:] if case_id(loc) else loc
        return ".".join(str(p) for p in rest) or None

    problems: list[Problem] = []
    model: SuiteModel | None = None
    try:
        model = SuiteModel.model_validate(data)
    except ValidationError as e:
        errors = e.errors()
        # A misspelt field is one mistake: "unknown 'quer' (did you mean 'query'?)" already
        # says what "missing 'query'" would, so the latter is not reported again.
        suggested = {
            (*err["loc"][:-1], _suggestion(err["loc"])) for err in errors if err["type"] == "extra_forbidden"
        }
        for err in errors:
            err = _one_branch(err)
            if err is None:
                continue
            loc = err["loc"]
            if err["type"] == "missing" and tuple(loc) in suggested:
                continue
            problems.append(Problem(shown, _line(node, loc), _message(err), case_id(loc), field_of(loc)))

    root = suite_root(path)
    problems += _check_semantics(data, raw_cases, node, shown, root)
    if problems or model is None:
        problems.sort(key=lambda p: p.line)
        raise SuiteError(problems)
    return _build(model, node, shown, root)


def _check_semantics(
    data: dict[str, Any], raw_cases: list[Any], node: yaml.Node, shown: str, root: Path
) -> list[Problem]:
    """What a schema cannot say: unique ids, files that exist, tags that are used."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    used_tags: set[str] = set()
    for i, item in enumerate(raw_cases):
        if not isinstance(item, dict):
            continue
        cid = str(item.get("id", f"#{i + 1}"))
        if "id" in item:
            line = _line(node, ("cases", i, "id"))
            if cid in seen:
                problems.append(
                    Problem(shown, line, f"duplicate id (first used on line {seen[cid]})", cid, "id")
                )
            seen.setdefault(cid, line)
        if isinstance(item.get("tags"), list):
            used_tags.update(str(t) for t in item["tags"])
        for key in ("golden", "tests"):
            value = item.get(key)
            problem = _file_problem(value, root) if isinstance(value, str) else None
            if problem:
                problems.append(Problem(shown, _line(node, ("cases", i, key)), problem, cid, key))
            elif key == "tests" and isinstance(value, str) and value.strip():
                problem = _no_test(value, root)
                if problem:
                    problems.append(Problem(shown, _line(node, ("cases", i, key)), problem, cid, key))
    deps = data.get("dependencies")
    for name, dep in deps.items() if isinstance(deps, dict) else ():
        folder = dep.get("path") if isinstance(dep, dict) else None
        if isinstance(folder, str) and folder.strip() and not (root / folder / "Scarb.toml").is_file():
            problems.append(
                Problem(
                    shown,
                    _line(node, ("dependencies", name, "path")),
                    f"no Scarb.toml in {folder} (looked in {(root / folder).resolve()}): the path names "
                    "the folder of the package's manifest, relative to the suite's root",
                    None,
                    f"dependencies.{name}.path",
                )
            )
    thresholds = data.get("thresholds")
    tags = thresholds.get("tags") if isinstance(thresholds, dict) else None
    if isinstance(tags, dict):
        for tag in tags:
            if str(tag) not in used_tags:
                close = difflib.get_close_matches(str(tag), sorted(used_tags), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(
                    Problem(
                        shown,
                        _line(node, ("thresholds", "tags", tag)),
                        f"unknown tag '{tag}': no case has it{hint}",
                        None,
                        f"thresholds.tags.{tag}",
                    )
                )
    return problems


def _no_test(value: str, root: Path) -> str | None:
    """Why a tests file would check nothing: it has no `#[test]` function that runs."""
    from .cairotext import test_functions

    try:
        text = _inside(value, root).read_text() if _is_path(value) else value
    except (OSError, UnicodeDecodeError) as e:
        return f"cannot read the tests file: {e}"
    found = test_functions(text)
    if any(not t.ignored for t in found):
        return None
    ignored = f" ({len(found)} marked #[ignore], which never run)" if found else ""
    return (
        f"the tests file has no #[test] function{ignored}: it would check nothing; add tests or "
        "remove the `tests:` field"
    )


def _source(value: str | None, root: Path) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if _is_path(value):  # checked by _check_semantics: inside the root, a file
        return _inside(value, root).read_text(), value
    return value, None


def _gate(g: GateModel) -> Gate:
    return Gate(g.mean_score, g.compile_rate, g.tests_pass_rate)


def _build(model: SuiteModel, node: yaml.Node, shown: str, root: Path) -> Suite:
    cases = []
    for i, c in enumerate(model.cases):
        golden, golden_path = _source(c.golden, root)
        tests, tests_path = _source(c.tests, root)
        assert golden is not None
        cases.append(
            Case(
                suite=model.suite,
                id=c.id,
                query=c.query.strip(),
                golden=golden,
                golden_path=golden_path,
                tests=tests,
                tests_path=tests_path,
                kind=c.kind,
                tags=tuple(c.tags),
                split=c.split,
                expect=Expect(tuple(c.expect.must_contain), tuple(c.expect.must_not_contain)),
                min_score=c.min_score,
                chat_history=tuple((m.role, m.content) for m in c.chat_history),
                weight=c.weight,
                line=_line(node, ("cases", i)),
                added=c.added,
                cairo=c.cairo,
                test_runner=None if model.test_runner == "auto" else model.test_runner,
                expect_verdict=c.expect_verdict,
            )
        )
    t = model.thresholds
    return Suite(
        name=model.suite,
        path=shown,
        cases=tuple(cases),
        description=model.description,
        program=model.program,
        lm=model.lm,
        judge=model.judge,
        compiler=model.compiler,
        test_runner=model.test_runner,
        scoring=Scoring(model.scoring.compile, model.scoring.tests, model.scoring.judge),
        thresholds=Thresholds(
            t.mean_score,
            t.compile_rate,
            t.tests_pass_rate,
            tuple((k, _gate(v)) for k, v in t.tags.items()),
        ),
        dependencies=tuple((name, dependency_spec(dep, root)) for name, dep in model.dependencies.items()),
    )


def discover(paths: Sequence[str | Path] = ()) -> list[Path]:
    """Suite files named by `paths` (files, folders or globs); default: `suites/*.yaml`."""
    from .paths import project_root

    if not paths:
        paths = [project_root() / "suites"]
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found += sorted([*p.glob("*.yaml"), *p.glob("*.yml")])
        elif any(ch in str(p) for ch in "*?["):
            found += sorted(Path(x) for x in glob.glob(str(p)))
        else:
            found.append(p)
    return found


def load_suites(paths: Sequence[str | Path] = ()) -> list[Suite]:
    """Every suite named (default: all under suites/); errors of all files in one SuiteError."""
    suites, problems = [], []
    for path in discover(paths):
        try:
            suites.append(load_suite(path))
        except SuiteError as e:
            problems += e.problems
    if problems:
        raise SuiteError(problems)
    return suites

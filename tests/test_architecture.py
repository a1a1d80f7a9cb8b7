"""The import architecture, read from the source with `ast` (nothing is imported or executed).

Layers: core <- auth <- registry <- incoming/outgoing <- (main, admin, api, demo, cli, office, jobs).
"""

import ast
import io
import tokenize
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "docflow"

LOWER_LAYERS = ("docflow.core", "docflow.auth", "docflow.registry")
UPPER_PACKAGES = ("docflow.incoming", "docflow.outgoing", "docflow.api", "docflow.admin", "docflow.main",
                  "docflow.demo", "docflow.cli", "docflow.office",
                  "docflow.jobs", "docflow.search")  # the application layer and the search wing, too

# outgoing may take from incoming only this: issuing a reply completes the letter it answers
OUTGOING_FROM_INCOMING = {("docflow.incoming.services", "complete_by_reply")}
# incoming's detail page offers "draft a reply" when outgoing says the user may
INCOMING_FROM_OUTGOING = {"docflow.incoming.views": {("docflow.outgoing.services", "may_draft_reply")}}

@dataclass(frozen=True)
class Import:
    importer: str  # module name, e.g. docflow.outgoing.views
    path: str  # docflow/outgoing/views.py
    target: str  # the docflow module it loads, e.g. docflow.incoming.services
    name: str | None  # the name taken from it (`from target import name`), None for `import target`
    line: int
    end_line: int
    in_function: bool
    in_type_checking: bool

    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


@cache
def _imports() -> tuple[Import, ...]:
    modules = _modules()
    found: list[Import] = []
    for importer, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = str(path.relative_to(PACKAGE.parent))
        is_package = path.name == "__init__.py"

        def visit(node: ast.AST, in_function: bool, in_tc: bool, importer=importer, rel=rel,
                  is_package=is_package) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.Import):
                    for alias in child.names:
                        found.append(Import(importer, rel, alias.name, None, child.lineno, child.end_lineno,
                                            in_function, in_tc))
                elif isinstance(child, ast.ImportFrom):
                    source = _resolve(importer, is_package, child)
                    for alias in child.names:
                        submodule = f"{source}.{alias.name}"
                        if submodule in modules:  # `from docflow.core import audit`: the module audit
                            found.append(Import(importer, rel, submodule, None, child.lineno, child.end_lineno,
                                                in_function, in_tc))
                        else:
                            found.append(Import(importer, rel, source, alias.name, child.lineno, child.end_lineno,
                                                in_function, in_tc))
                elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    visit(child, True, in_tc)
                elif isinstance(child, ast.If) and _is_type_checking(child.test):
                    for stmt in child.body:
                        visit(ast.Module(body=[stmt], type_ignores=[]), in_function, True)
                    for stmt in child.orelse:
                        visit(ast.Module(body=[stmt], type_ignores=[]), in_function, in_tc)
                else:
                    visit(child, in_function, in_tc)

        visit(tree, False, False)
    return tuple(found)


def _internal(imp: Import) -> bool:
    return imp.target == "docflow" or imp.target.startswith("docflow.")


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_scan_sees_the_code():
    modules = _modules()
    assert "docflow.outgoing.views" in modules and "docflow.registry.access" in modules
    assert any(i.importer == "docflow.outgoing.services" and i.target == "docflow.incoming.services"
               for i in _imports())


def test_lower_layers_import_no_feature_or_application_package():
    bad = [f"{i.where()}: {i.importer} imports {i.target}" for i in _imports()
           if _internal(i) and any(_within(i.importer, low) for low in LOWER_LAYERS)
           and any(_within(i.target, up) for up in UPPER_PACKAGES)]
    assert not bad, "core/auth/registry must not import feature or application packages:\n" + "\n".join(bad)


def test_outgoing_takes_only_complete_by_reply_from_incoming():
    bad = [f"{i.where()}: {i.target} {i.name or '(whole module)'}" for i in _imports()
           if _within(i.importer, "docflow.outgoing") and _within(i.target, "docflow.incoming")
           and (i.target, i.name) not in OUTGOING_FROM_INCOMING]
    assert not bad, "outgoing may import from incoming only complete_by_reply:\n" + "\n".join(bad)


def test_incoming_takes_only_may_draft_reply_from_outgoing():
    bad = [f"{i.where()}: {i.target} {i.name or '(whole module)'}" for i in _imports()
           if _within(i.importer, "docflow.incoming") and _within(i.target, "docflow.outgoing")
           and (i.target, i.name) not in INCOMING_FROM_OUTGOING.get(i.importer, set())]
    assert not bad, ("incoming may import from outgoing only may_draft_reply, in incoming/views.py:\n"
                     + "\n".join(bad))


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def _module_level_graph() -> dict[str, set[str]]:
    """Edges importer -> module that importing it runs at once: the target (even a package of the importer:
    `from docflow.api import x` needs docflow/api/__init__.py to have run) and the target's packages, whose
    __init__ runs first, unless they are packages of the importer (already running)."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for i in _imports():
        if i.in_function or i.in_type_checking or not _internal(i):
            continue
        own = set(_ancestors(i.importer))
        targets = {a for a in _ancestors(i.target) if a not in own} | {i.target}
        graph[i.importer] |= {t for t in targets if t in modules and t != i.importer}
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := dfs(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := dfs(node)):
            return cycle
    return None


def test_no_import_cycle_at_module_level():
    cycle = _find_cycle(_module_level_graph())
    assert cycle is None, "module-level import cycle: " + " -> ".join(cycle)


@cache
def _comment_lines(path: Path) -> frozenset[int]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return frozenset(t.start[0] for t in tokens if t.type == tokenize.COMMENT)


def test_every_function_level_import_says_why():
    """A `#` comment on the import's line(s) or the line before; a run of consecutive imports shares the
    comment above the first."""
    modules = _modules()
    by_statement: dict[tuple[str, int], Import] = {}
    for i in _imports():
        if i.in_function:
            by_statement.setdefault((i.path, i.line), i)
    missing = []
    explained: set[tuple[str, int]] = set()
    for (rel, line), i in sorted(by_statement.items()):
        comments = _comment_lines(modules[i.importer])
        previous = next((s for s in by_statement if s[0] == rel and by_statement[s].end_line == line - 1), None)
        if any(n in comments for n in range(line - 1, i.end_line + 1)) or previous in explained:
            explained.add((rel, line))
        else:
            missing.append(i.where())
    assert not missing, ("a function-level import needs a comment saying why it is not at the top "
                         "(which cycle, or why it is lazy):\n" + "\n".join(missing))


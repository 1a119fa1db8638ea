"""Each table has one owner: a domain never touches another domain's tables.

Two checks read the source, so they cover every package under `siyu/` as soon as it exists:

- imports: a domain package never imports another domain's `models` or `repository` module
  (any form: `import`, `from … import`, at module level or inside a function);
- SQL text: a string in a domain's code never names another domain's table after FROM, JOIN,
  INTO or UPDATE — except the tables analytics, the read model, is declared to read.

`ALLOWED_IMPORTS` would list exceptions with their reason; it is empty, and an entry that no
longer occurs fails the test too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import siyu

PACKAGE = Path(siyu.__file__).parent

# Folders under siyu/ that are not domains: shared tools, the demo seed (which composes all
# domains), migrations and assets. Every other package is a domain, including future ones.
NOT_DOMAINS = frozenset({"kit", "demo", "migrations", "templates", "static", "locale"})

# Modules of a domain that others may not import: its tables and its queries over them.
PRIVATE_MODULES = ("models", "repository")

# The read model: analytics (and segments, its saved filters over the same facts) read these
# tables of other domains, in SQL and never through their models, to compute metrics, reports,
# segment members and group health. They write only their own tables. See
# docs/architecture.md, "The read model".
READ_MODEL: dict[str, frozenset[str]] = {
    "analytics": frozenset(
        {
            "customers",
            "customer_identities",
            "customer_events",
            "orders",
            "community_messages",
            "points_entries",
        }
    ),
    "segments": frozenset(
        {
            "customers",
            "customer_identities",
            "customer_tags",
            "tags",
            "customer_intimacy",
            "customer_metrics",
        }
    ),
}

# Exceptions, (importing module, imported private module): why it is still there. There are
# none: even the demo seeds go through the owners' read and service functions. An entry added
# here must say why, and the list only shrinks.
ALLOWED_IMPORTS: dict[tuple[str, str], str] = {}

_SQL_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)
_SQL_CTE = re.compile(r"\b([a-z_][a-z0-9_]*)\s+AS\s*\(", re.IGNORECASE)


def domains() -> list[str]:
    return sorted(
        path.name
        for path in PACKAGE.iterdir()
        if path.is_dir() and path.name not in NOT_DOMAINS and (path / "__init__.py").exists()
    )


def _modules(domain: str) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted((PACKAGE / domain).rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts).removesuffix(".__init__")
        yield name, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported(module: str, tree: ast.Module) -> Iterator[str]:
    """Every module name an import statement in the tree may load, resolved to absolute.
    Imports under ``if TYPE_CHECKING:`` are left out: naming a type a read function returns
    touches no table."""
    package = module.split(".") if module.endswith("__init__") else module.split(".")[:-1]
    typing_only = {id(node) for block in _type_checking_blocks(tree) for node in ast.walk(block)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _type_checking_blocks(tree: ast.Module) -> Iterator[ast.If]:
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            yield node


def _private_owner(target: str, all_domains: list[str]) -> str | None:
    parts = target.split(".")
    is_private = len(parts) >= 3 and parts[0] == "siyu" and parts[2] in PRIVATE_MODULES
    return parts[1] if is_private and parts[1] in all_domains else None


def foreign_imports() -> set[tuple[str, str]]:
    all_domains = domains()
    found = set()
    for domain in all_domains:
        for module, tree in _modules(domain):
            for target in _imported(module, tree):
                owner = _private_owner(target, all_domains)
                if owner is not None and owner != domain:
                    private = ".".join(target.split(".")[:3])
                    found.add((module, private))
    return found


def table_owners() -> dict[str, str]:
    owners: dict[str, str] = {}
    for domain in domains():
        path = PACKAGE / domain / "models.py"
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = _declared_table(node)
            if name is not None:
                owners[name] = domain
    return owners


def _declared_table(node: ast.AST) -> str | None:
    if isinstance(node, ast.Assign) and any(
        isinstance(target, ast.Name) and target.id == "__tablename__" for target in node.targets
    ):
        value = node.value
        return value.value if isinstance(value, ast.Constant) else None
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Table" and node.args:
        first = node.args[0]
        return first.value if isinstance(first, ast.Constant) else None
    return None


def _sql_strings(tree: ast.Module) -> Iterator[str]:
    """String constants that may be SQL: docstrings are prose, not queries."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and id(node) not in docstrings:
            yield node.value


def _tables_named(sql: str) -> set[str]:
    """Tables a query names, less the ones it defines itself (CTEs over in-memory data)."""
    defined = set(_SQL_CTE.findall(sql))
    return {table for table in _SQL_TABLE.findall(sql) if table not in defined}


def _core_tables(tree: ast.Module) -> Iterator[str]:
    """Tables named through SQLAlchemy's ``table("name", …)``, which bypass the models."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "table" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield first.value


def foreign_tables_in_sql() -> set[tuple[str, str]]:
    owners = table_owners()
    found = set()
    for domain in domains():
        readable = READ_MODEL.get(domain, frozenset())
        for module, tree in _modules(domain):
            named = {table for sql in _sql_strings(tree) for table in _tables_named(sql)}
            for table in named | set(_core_tables(tree)):
                owner = owners.get(table)
                if owner is not None and owner != domain and table not in readable:
                    found.add((module, table))
    return found


def test_domains_are_discovered() -> None:
    found = domains()
    assert {"workspace", "customers", "orders", "analytics", "loyalty", "coupons"} <= set(found)
    assert not set(found) & NOT_DOMAINS


def test_no_domain_imports_another_domains_models() -> None:
    found = foreign_imports()
    new = sorted(found - ALLOWED_IMPORTS.keys())
    assert not new, "import another domain's service or read functions instead:\n" + "\n".join(
        f"{module} imports {private}" for module, private in new
    )
    gone = sorted(ALLOWED_IMPORTS.keys() - found)
    assert not gone, "remove these entries from ALLOWED_IMPORTS, they no longer occur:\n" + (
        "\n".join(f"{module} -> {private}" for module, private in gone)
    )


def test_no_domain_names_another_domains_tables_in_sql() -> None:
    found = sorted(foreign_tables_in_sql())
    assert not found, "read another domain's tables through its read functions:\n" + "\n".join(
        f"{module} names {table}" for module, table in found
    )


def test_read_model_tables_exist_and_belong_to_other_domains() -> None:
    owners = table_owners()
    for reader, tables in READ_MODEL.items():
        assert (PACKAGE / reader / "__init__.py").exists(), reader
        for table in tables:
            assert owners.get(table) not in (None, reader), table


def test_the_check_catches_foreign_sql() -> None:
    sql = "WITH paid AS (SELECT 1) SELECT * FROM paid JOIN points_entries p ON true"
    assert _tables_named(sql) == {"points_entries"}
    assert table_owners()["points_entries"] == "loyalty"


def test_the_check_catches_a_foreign_import() -> None:
    tree = ast.parse(
        "def f():\n    from ..customers import models\n    import siyu.orders.models\n"
    )
    targets = set(_imported("siyu.loyalty.service", tree))
    owners = {_private_owner(target, domains()) for target in targets}
    assert {"customers", "orders"} <= owners

"""``pyview compile``: precompile a folder of templates into importable Python modules.

    pyview compile templates/              # write templates/__pyview__/*.py
    pyview compile templates/ --check      # only report errors (exit 1 if any)
    pyview compile templates/ --show page.html   # print the generated Python

Output is deterministic (same sources, same bytes), so compiled modules can be
committed or built into an image; an application loading them never imports lark.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .diskcache import write_module
from .environment import Environment
from .errors import TemplateError, TemplateSyntaxError
from .loaders import CACHE_DIR, FileSystemLoader

DEFAULT_EXTENSIONS = (".html", ".htm", ".jinja", ".jinja2", ".j2", ".xml", ".svg", ".txt")


def _templates_under(root: Path, extensions: tuple[str, ...]) -> list[str]:
    names = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and path.suffix in extensions and CACHE_DIR not in rel.parts:
            names.append(rel.as_posix())
    return names


def _targets(paths: list[str], extensions: tuple[str, ...]) -> list[tuple[Path, list[str]]]:
    """(template root, names under it) for every PATH argument."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out.append((p, _templates_under(p, extensions)))
        elif p.is_file():
            out.append((p.parent, [p.name]))
        else:
            raise SystemExit(f"pyview compile: no such file or folder: {p}")
    return out


def compile_command(args: argparse.Namespace) -> int:
    extensions = tuple(e if e.startswith(".") else "." + e for e in args.ext) if args.ext else DEFAULT_EXTENSIONS
    targets = _targets(args.paths, extensions)
    if args.show:
        root = targets[0][0]
        env = Environment(FileSystemLoader(root), disk_cache=False)
        try:
            sys.stdout.write(env.compile_to_python(args.show))
        except TemplateSyntaxError as err:
            print(f"{err.location}: {err.message}", file=sys.stderr)
            return 1
        return 0
    failures = written = 0
    for root, names in targets:
        loader = FileSystemLoader(root)
        env = Environment(loader, disk_cache=False)
        for name in names:
            try:
                source = env.compile_to_python(name)
            except TemplateSyntaxError as err:
                failures += 1
                print(f"{err.location}: {err.message}", file=sys.stderr)
                continue
            except TemplateError as err:
                failures += 1
                print(f"{root / name}:1:1: {err}", file=sys.stderr)
                continue
            if not args.check:
                path = loader.compiled_path(name)
                assert path is not None
                if not write_module(path, source):
                    failures += 1
                    print(f"{root / name}:1:1: cannot write {path}", file=sys.stderr)
                    continue
            written += 1
    verb = "checked" if args.check else "compiled"
    print(f"{verb} {written} template(s), {failures} error(s)", file=sys.stderr)
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pyview", description="pyview command-line tools")
    sub = parser.add_subparsers(dest="command", required=True)
    comp = sub.add_parser("compile", help="precompile templates into Python modules")
    comp.add_argument("paths", nargs="+", metavar="PATH", help="template folders or files")
    comp.add_argument("--check", action="store_true", help="only report errors (exit 1 if any); write nothing")
    comp.add_argument("--show", metavar="NAME", help="print the generated Python for template NAME")
    comp.add_argument("--ext", action="append", metavar="EXT", help=f"template file extension (default: {' '.join(DEFAULT_EXTENSIONS)})")
    comp.set_defaults(handler=compile_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

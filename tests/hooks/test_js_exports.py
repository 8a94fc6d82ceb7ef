"""``scan_exports``: the hook names a colocated file exports, read without a JavaScript parser."""

from __future__ import annotations

import pytest

from pyview_core.js_exports import Exports, scan_exports


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("export const A = {mounted() {}};", ("A",)),
        ("export let A = 1\nexport var B = 2", ("A", "B")),
        ("export function A() {}\nexport async function B() {}\nexport function* C() {}\nexport function *D() {}", ("A", "B", "C", "D")),
        ("export class A extends Base {}", ("A",)),
        ("export const A = {}, B = {x: [1, 2], f(a, b) {}};", ("A", "B")),
        ("const a = {}, b = {};\nexport { a, b as B };", ("a", "B")),
        ('export { a as A } from "./other.js";', ("A",)),
        ('export * as Ns from "./other.js";', ("Ns",)),
        ("export const A = {\n  mounted() {\n    this.x = 1, this.y = 2;\n  },\n}\nexport const B = {}", ("A", "B")),
        ("export const $A_1 = {};", ("$A_1",)),
    ],
)
def test_named_exports(source, names):
    assert scan_exports(source).names == names


@pytest.mark.parametrize(
    "source",
    [
        "// export const Commented = {};",
        "/* export const Block = {};\nexport const Lines = {}; */",
        'const s = "export const InDoubleQuotes = 1";',
        "const s = 'export const InSingleQuotes = 1';",
        "const t = `\nexport const InTemplate = ${1}\n`;",
        "const r = /export const InRegex/;",
        "const r = x.replace(/[/]export const InClass/g, '');",
        "obj.export = 1; reexport(1);",
    ],
)
def test_what_is_not_code_is_not_an_export(source):
    assert scan_exports(source).names == ()


def test_code_inside_a_template_substitution_is_still_code_but_its_strings_are_not():
    source = "const t = `a ${f(`b ${\"export const X = 1\"}`)} c`;\nexport const After = {};"
    assert scan_exports(source).names == ("After",)


def test_a_newline_ends_a_declaration_so_later_commas_are_not_declarators():
    source = "export const A = {}\nlet a = 1, b = 2\nexport const B = 1"
    assert scan_exports(source).names == ("A", "B")


def test_a_line_ending_in_an_operator_continues_the_declaration():
    assert scan_exports("export const A =\n  {}, B = 1").names == ("A", "B")


def test_division_is_not_mistaken_for_a_regex():
    source = "const half = total / 2; const q = a / b / c;\nexport const A = {};"
    assert scan_exports(source).names == ("A",)


def test_default_exports_are_flagged_not_named():
    assert scan_exports("export default {mounted() {}};") == Exports(names=(), default=True)
    assert scan_exports("const A = {};\nexport { A as default, A };") == Exports(names=("A",), default=True)


def test_star_reexports_and_destructuring_are_reported():
    assert scan_exports('export * from "./more.js";').star
    scanned = scan_exports("export const {A, B} = hooks;\nexport const C = {};")
    assert scanned.patterns and scanned.names == ("C",)


def test_each_name_once_in_source_order():
    source = "const b = {};\nexport const A = {};\nexport { b as B };\nexport { b as B };"
    assert scan_exports(source).names == ("A", "B")


def test_unterminated_literals_do_not_swallow_the_rest_of_the_line_structure():
    # An unterminated string ends at its line (as the browser's error would say); the next line is code.
    assert scan_exports("const s = 'oops\nexport const A = {};").names == ("A",)

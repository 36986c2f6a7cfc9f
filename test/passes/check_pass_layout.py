#!/usr/bin/env python3
"""Checks the "one stem, four places" rule for every attn pass (CONTRIBUTING.md,
"(c) A pass").

For each `def Attn<Stem>Pass : Pass<"attn-<flag>", ...>` in passes/Passes.td:
  - passes/<Stem>.cpp exists and is the only file defining GEN_PASS_DEF_<DEF>;
  - test/passes/attn-<flag>.mlir exists.
Prints one line per problem and exits non-zero if there is any.
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
td = (root / "passes" / "Passes.td").read_text()
defs = re.findall(r'def\s+(Attn(\w+)Pass)\s*:\s*Pass<"([\w-]+)"', td)
problems = []
if not defs:
    problems.append("no passes found in passes/Passes.td")
sources = list((root / "passes").glob("*.cpp"))
for name, stem, flag in defs:
    if flag != "attn-" + re.sub(r"(?<!^)(?=[A-Z])", "-", stem).lower():
        problems.append(f"{name}: flag '{flag}' does not match its def name")
    impl = root / "passes" / f"{stem}.cpp"
    macro = f"GEN_PASS_DEF_{name.upper()}"
    definers = [p.name for p in sources if macro in p.read_text()]
    if not impl.exists():
        problems.append(f"{name}: missing passes/{stem}.cpp")
    elif definers != [impl.name]:
        problems.append(f"{name}: {macro} must be defined only in {impl.name}, found in {definers}")
    test = root / "test" / "passes" / f"{flag}.mlir"
    if not test.exists():
        problems.append(f"{name}: missing test/passes/{flag}.mlir")
for p in problems:
    print(p)
print(f"checked {len(defs)} passes, {len(problems)} problems")
sys.exit(1 if problems else 0)

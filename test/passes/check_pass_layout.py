#!/usr/bin/env python3
"""Checks the "one stem, four places" rule for every declared pass
(CONTRIBUTING.md, "(c) A pass").

For each pass file below, for each `def <Prefix><Stem>Pass : Pass<"<flag>", ...>`:
  - the flag is <flag-prefix> followed by the kebab-case of <Stem>;
  - <impl dir>/<Stem>.cpp exists and is the only file of that folder
    defining GEN_PASS_DEF_<DEF>;
  - <test dir>/<flag>.mlir exists.
Registration in attnc-opt comes with the generated register*Passes(), which
attnc-opt calls for each file (checked too).
Prints one line per problem and exits non-zero if there is any.
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
# (Passes.td, def prefix, flag prefix, implementation folder, test folder,
#  registration call in attnc-opt)
PASS_FILES = [
    ("passes/Passes.td", "Attn", "attn-", "passes", "test/passes",
     "registerAttnPasses()"),
    ("compiler/cpu/Passes.td", "Cpu", "cpu-", "compiler/cpu", "test/compiler/cpu",
     "registerCpuPasses()"),
    ("compiler/gpu/Passes.td", "Gpu", "gpu-", "compiler/gpu", "test/compiler/gpu",
     "registerGpuPasses()"),
]

problems = []
total = 0
opt = (root / "compiler" / "tools" / "attnc-opt.cpp").read_text()
for td_path, prefix, flag_prefix, impl_dir, test_dir, register in PASS_FILES:
    td = (root / td_path).read_text()
    defs = re.findall(rf'def\s+({prefix}(\w+)Pass)\s*:\s*Pass<"([\w-]+)"', td)
    if not defs:
        problems.append(f"no passes found in {td_path}")
    if register not in opt:
        problems.append(f"attnc-opt does not call {register} for {td_path}")
    sources = list((root / impl_dir).glob("*.cpp"))
    for name, stem, flag in defs:
        total += 1
        if flag != flag_prefix + re.sub(r"(?<!^)(?=[A-Z])", "-", stem).lower():
            problems.append(f"{name}: flag '{flag}' does not match its def name")
        impl = root / impl_dir / f"{stem}.cpp"
        macro = f"GEN_PASS_DEF_{name.upper()}"
        definers = [p.name for p in sources if macro in p.read_text()]
        if not impl.exists():
            problems.append(f"{name}: missing {impl_dir}/{stem}.cpp")
        elif definers != [impl.name]:
            problems.append(
                f"{name}: {macro} must be defined only in {impl.name}, found in {definers}")
        test = root / test_dir / f"{flag}.mlir"
        if not test.exists():
            problems.append(f"{name}: missing {test_dir}/{flag}.mlir")
for p in problems:
    print(p)
print(f"checked {total} passes, {len(problems)} problems")
sys.exit(1 if problems else 0)

#!/usr/bin/env python
"""Print one of the two quick-start commands of README.md: `run` (install and run the main job) or
`test` (install the test tools and run the whole test suite). .ci/run executes the `test` one, so CI
always runs exactly what the README tells a reader to run."""
import re, sys
from pathlib import Path

def quick_start(readme=Path(__file__).resolve().parent.parent/'README.md'):
    text = Path(readme).read_text()
    m = re.search(r'^#+\s*Quick start\s*$(.*?)(?=^#+\s)', text, flags=re.M | re.S | re.I)
    if not m: sys.exit(f'{readme}: no "Quick start" section')
    cmds = [l.strip() for l in re.findall(r'```(?:sh|bash|shell)?\n(.*?)```', m.group(1), flags=re.S)
            for l in l.splitlines() if l.strip() and not l.strip().startswith('#')]
    if len(cmds) != 2: sys.exit(f'{readme}: the quick start must hold exactly two commands, found {len(cmds)}')
    return dict(run=cmds[0], test=cmds[1])

if __name__ == '__main__': print(quick_start()[sys.argv[1] if len(sys.argv) > 1 else 'test'])

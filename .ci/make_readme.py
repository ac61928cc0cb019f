#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb: its markdown cells and visible code cells, in order (quarto, which
`nbdev_readme` needs, is not required). `--stdout` prints instead of writing; the index notebook's test compares."""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def readme_text(nb_path=ROOT/'nbs'/'index.ipynb') -> str:
    cells = json.loads(Path(nb_path).read_text())['cells']
    out = []
    for c in cells:
        src = ''.join(c['source']).strip()
        if c['cell_type'] == 'markdown':
            src = re.sub(r'^> (.*)$', r'\1', src, flags=re.M)   # the description line
            out.append(src)
        elif c['cell_type'] == 'code' and src and not re.match(r'#\|\s*(hide|export)', src):
            out.append(f"```python\n{src}\n```")
    return '\n\n'.join(out) + '\n'

if __name__ == '__main__':
    text = readme_text()
    if '--stdout' in sys.argv: sys.stdout.write(text)
    else: (ROOT/'README.md').write_text(text); print('wrote README.md')

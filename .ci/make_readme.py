#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb: its markdown cells, its visible code cells (without their `#|` directives) and
their Markdown and image outputs, in order (quarto, which `nbdev_readme` needs, is not required). Figures are written
to nbs/images/readme_N.jpg (a PNG output is re-encoded as JPEG, quality 85: a figure of films stays well under 200 KB). `--stdout` prints the text instead of writing; `--check` exits 1 when README.md or an
image is out of step with the notebook (the index notebook's test runs it)."""
import base64, io, json, re, sys
from pathlib import Path
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
IMAGES = Path('nbs')/'images'

def _text(x): return ''.join(x) if isinstance(x, list) else x

def as_jpeg(png: bytes, quality: int = 85) -> bytes:
    "A PNG figure re-encoded as JPEG on white (the same bytes every time for the same figure)."
    im = Image.open(io.BytesIO(png))
    if im.mode in ('RGBA', 'LA', 'P'):
        im = im.convert('RGBA'); bg = Image.new('RGB', im.size, 'white'); bg.paste(im, mask=im.split()[-1]); im = bg
    buf = io.BytesIO(); im.convert('RGB').save(buf, 'JPEG', quality=quality, optimize=True)
    return buf.getvalue()

def readme_parts(nb_path=ROOT/'nbs'/'index.ipynb') -> tuple[str, dict]:
    "The README text and its images {path relative to the repository: JPEG bytes}."
    cells = json.loads(Path(nb_path).read_text())['cells']
    out, images = [], {}
    for c in cells:
        src = _text(c['source']).strip()
        if c['cell_type'] == 'markdown':
            out.append(re.sub(r'^> (.*)$', r'\1', src, flags=re.M))   # the description line
            continue
        if c['cell_type'] != 'code' or not src or re.search(r'^#\|\s*(hide|export)\b', src, flags=re.M): continue
        code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
        if code: out.append(f"```python\n{code}\n```")
        for o in c.get('outputs', []):
            data = o.get('data', {})
            if 'text/markdown' in data: out.append(_text(data['text/markdown']).strip())
            elif 'image/png' in data or 'image/jpeg' in data:
                path = IMAGES/f"readme_{len(images) + 1}.jpg"
                images[path.as_posix()] = (base64.b64decode(_text(data['image/jpeg'])) if 'image/jpeg' in data
                                           else as_jpeg(base64.b64decode(_text(data['image/png']))))
                out.append(f"![figure {len(images)}]({path.as_posix()})")
    return '\n\n'.join(out) + '\n', images

def readme_text(nb_path=ROOT/'nbs'/'index.ipynb') -> str: return readme_parts(nb_path)[0]

def stale(text: str, images: dict) -> list:
    "The files that differ from what the notebook makes."
    bad = [] if (ROOT/'README.md').exists() and (ROOT/'README.md').read_text() == text else ['README.md']
    bad += [p for p, b in images.items() if not (ROOT/p).exists() or (ROOT/p).read_bytes() != b]
    bad += [p.relative_to(ROOT).as_posix() for p in sorted((ROOT/IMAGES).glob('readme_*.*')) if p.relative_to(ROOT).as_posix() not in images]
    return bad

if __name__ == '__main__':
    text, images = readme_parts()
    if '--stdout' in sys.argv: sys.stdout.write(text)
    elif '--check' in sys.argv:
        bad = stale(text, images)
        if bad: sys.exit(f"out of step with nbs/index.ipynb: {', '.join(bad)}; run `python .ci/make_readme.py`")
    else:
        (ROOT/IMAGES).mkdir(exist_ok=True)
        for p in (ROOT/IMAGES).glob('readme_*.*'):
            if p.relative_to(ROOT).as_posix() not in images: p.unlink()
        for p, b in images.items(): (ROOT/p).write_bytes(b)
        (ROOT/'README.md').write_text(text); print('wrote README.md' + (f" and {len(images)} images" if images else ''))

"""A light repository: the notebooks' saved outputs and the README's images stay small."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_saved_notebook_outputs_stay_under_2_mb():
    sizes = {p.name: sum(len(json.dumps(o)) for c in json.loads(p.read_text())['cells'] for o in c.get('outputs', []))
             for p in sorted((ROOT/'nbs').glob('*.ipynb'))}
    assert sum(sizes.values()) < 2_000_000, sizes


def test_readme_images_stay_under_200_kb():
    images = sorted((ROOT/'nbs'/'images').glob('readme_*'))
    assert images, 'the README has its figure'
    assert all(p.stat().st_size < 200_000 for p in images), {p.name: p.stat().st_size for p in images}


def test_every_chapter_has_a_one_line_summary_that_is_its_module_docstring():
    import ast, re
    for nb in sorted((ROOT/'nbs').glob('*.ipynb')):
        cells = json.loads(nb.read_text())['cells']
        title = ''.join(cells[0]['source'])
        quotes = [l[2:] for l in title.splitlines() if l.startswith('> ')]
        assert len(quotes) == 1 and quotes[0].endswith('.'), (nb.name, quotes)
        exp = next((re.search(r'#\|\s*default_exp\s+(\S+)', ''.join(c['source'])) for c in cells
                    if 'default_exp' in ''.join(c['source'])), None)
        if exp:
            doc = ast.get_docstring(ast.parse((ROOT/'maht_net'/f"{exp.group(1)}.py").read_text()))
            assert doc == quotes[0], (nb.name, doc, quotes[0])


def _module_notebooks() -> dict:
    "Each exported module and the position of its notebook in the book's order."
    import re
    out = {}
    for i, nb in enumerate(sorted((ROOT/'nbs').glob('*.ipynb'))):
        text = nb.read_text()
        if m := re.search(r'#\|\s*default_exp\s+(\w+)', text): out[m.group(1)] = i
    return out


def test_modules_import_only_the_chapters_before_them():
    "No import circle: a module imports (at its top or inside a function) only modules of earlier chapters."
    import ast
    order = _module_notebooks()
    wrong = []
    for mod, pos in order.items():
        for node in ast.walk(ast.parse((ROOT/'maht_net'/f'{mod}.py').read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module in order and order[node.module] >= pos:
                wrong.append(f'{mod} imports {node.module}')
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or '').startswith('maht_net.'):
                wrong.append(f'{mod} imports {node.module} by absolute name')
    assert not wrong, wrong



def test_the_docs_sidebar_lists_every_chapter_in_order():
    "quarto cannot run here: the sidebar (in both copies of `_quarto.yml`) must name each notebook, index first, then the book's order."
    chapters = ['index.ipynb'] + sorted(p.name for p in (ROOT/'nbs').glob('*.ipynb') if p.name != 'index.ipynb')
    for f in (ROOT/'nbs'/'_quarto.yml', ROOT/'_quarto.yml'):
        lines = f.read_text().split('    contents:\n')[1].split('\n\n')[0].splitlines()
        assert [l.strip()[2:] for l in lines if l.strip().startswith('- ')] == chapters, f

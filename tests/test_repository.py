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


def test_no_module_is_over_about_500_lines():
    sizes = {p.name: len(p.read_text().splitlines()) for p in (ROOT/'maht_net').glob('*.py') if p.name != '_modidx.py'}
    assert max(sizes.values()) <= 520, sorted(sizes.items(), key=lambda kv: -kv[1])


def _undocumented(label, obj, only=None) -> list:
    "Parameters of `obj` (restricted to `only`) that have no docment, as 'label(param)' strings."
    import inspect
    from fastcore.docments import docments
    try: docs, sig = docments(obj, full=True), inspect.signature(obj)
    except (TypeError, ValueError): return []
    variadic = {n for n, p in sig.parameters.items() if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    return [f'{label}({p})' for p, d in docs.items() if p not in ('self', 'cls', 'return', *variadic)
            and (only is None or p in only) and d['docment'] is None]


def test_public_parameters_are_documented_where_they_are_declared():
    """Every parameter of the library's public functions, of its classes' own constructors and public methods, and every
    field a dataclass declares itself, has a docment."""
    import dataclasses, importlib, inspect
    missing = []
    for mod in _module_notebooks():
        m = importlib.import_module(f'maht_net.{mod}')
        for name in getattr(m, '__all__', []):
            obj = getattr(m, name, None)
            if getattr(obj, '__module__', None) != m.__name__ or not callable(obj): continue
            if not inspect.isclass(obj): missing += _undocumented(name, obj); continue
            if dataclasses.is_dataclass(obj): missing += _undocumented(name, obj, only=set(vars(obj).get('__annotations__', {})))
            elif '__init__' in vars(obj): missing += _undocumented(name, obj.__init__)
            missing += [x for k, v in vars(obj).items() if not k.startswith('_') and inspect.isfunction(v)
                        for x in _undocumented(f'{name}.{k}', v)]
    assert not missing, f"{len(missing)} undocumented: {missing}"


def test_train_config_documents_every_field_from_the_section_that_declares_it():
    from dataclasses import fields
    from fastcore.docments import docments
    from maht_net.config import TrainConfig, CONFIG_SECTIONS
    docs = docments(TrainConfig)
    for section in CONFIG_SECTIONS.values():
        own = docments(section)
        assert all(docs[f.name] == own[f.name] is not None for f in fields(section)), section.__name__

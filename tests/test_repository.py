"""A light repository: the notebooks' saved outputs stay small and free of machine noise, the README's images small."""
import json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_saved_notebook_outputs_stay_under_2_mb():
    sizes = {p.name: sum(len(json.dumps(o)) for c in json.loads(p.read_text())['cells'] for o in c.get('outputs', []))
             for p in sorted((ROOT/'nbs').glob('*.ipynb'))}
    assert sum(sizes.values()) < 2_000_000, sizes


MACHINE_PATH = re.compile(r"(/tmp/|/var/folders/|/private/var/|/home/|/Users/|/root/|/work/|site-packages|ipykernel_\d+|[A-Z]:\\\\)")
WARNING = re.compile(r"\w*Warning:|Traceback \(most recent call last\)")
BARE_OBJECT = re.compile(r"<[\w.]+ object( at 0x[0-9a-f]+)?>")

def output_noise(nb: dict) -> list:
    "(cell id, excerpt) of each saved output a reader should not meet: a machine path, a warning, an error, an object repr."
    found = []
    for c in nb['cells']:
        for o in c.get('outputs', []):
            if o['output_type'] == 'error': found.append((c.get('id'), f"error output {o.get('ename')}")); continue
            data = o.get('data', {})
            texts = ([''.join(o['text'])] if 'text' in o else []) + [''.join(v) for k, v in data.items() if k.startswith('text/')]
            for t in texts:
                found += [(c.get('id'), t[max(0, m.start() - 40):m.end() + 40]) for m in MACHINE_PATH.finditer(t)]
                if o.get('name') == 'stderr': found += [(c.get('id'), t[max(0, m.start() - 40):m.end() + 80]) for m in WARNING.finditer(t)]
            plain = ''.join(data.get('text/plain', ''))
            if set(data) == {'text/plain'} and BARE_OBJECT.fullmatch(plain.strip()): found.append((c.get('id'), plain))
    return found


def test_saved_outputs_carry_no_machine_paths_warnings_or_bare_objects():
    noise = {p.name: output_noise(json.loads(p.read_text())) for p in sorted((ROOT/'nbs').glob('*.ipynb'))}
    assert not any(noise.values()), {k: v[:3] for k, v in noise.items() if v}


def test_the_noise_check_finds_what_it_looks_for():
    out = lambda **o: {'cells': [{'id': 'c', 'outputs': [o]}]}
    assert output_noise(out(output_type='stream', name='stdout', text=['run: /tmp/tmpab12/runs/demo\n']))
    assert output_noise(out(output_type='stream', name='stderr', text=['x.py:3: UserWarning: careful\n']))
    assert output_noise(out(output_type='display_data', data={'text/plain': '<IPython.core.display.HTML object>'}))
    assert output_noise(out(output_type='error', ename='ValueError', evalue='', traceback=[]))
    assert not output_noise(out(output_type='stream', name='stdout', text=['run: runs/demo | 0.45 input px\n']))
    assert not output_noise(out(output_type='display_data', data={'text/plain': '<Figure size 640x480 with 1 Axes>',
                                                                   'image/png': ''}))


def test_nothing_cites_a_document_outside_the_repository():
    cite = re.compile('DESIGN' + r'(\.md)?\s*\d')
    files = [p for d in ('nbs', 'maht_net', 'tests', 'bench', '.ci') for p in (ROOT/d).rglob('*') if p.suffix in ('.ipynb', '.py', '.md')]
    assert not [p.name for p in files + [ROOT/'README.md'] if cite.search(p.read_text(errors='ignore'))]

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

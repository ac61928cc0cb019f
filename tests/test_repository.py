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

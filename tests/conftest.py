"""Shared pieces of the machinery tests: a small synthetic dataset, a tiny run configuration, the commands."""
import os, subprocess, sys, warnings
from pathlib import Path

import pytest

os.environ.setdefault('MPLBACKEND', 'Agg')
warnings.filterwarnings('ignore', category=DeprecationWarning)


def command(name: str) -> str:
    "A console script of this package, beside the running interpreter (not looked up on PATH)."
    return str(Path(sys.executable).parent/name)


def run(*args, timeout: int = 300, **kw) -> subprocess.CompletedProcess:
    "Run a command, capture its text output; the environment keeps the tests' thread count and plotting backend."
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kw)


@pytest.fixture(scope='session')
def synthetic_data(tmp_path_factory) -> Path:
    "A 14-patient synthetic BUU-LSPINE set (films at most 320 px), written once per session."
    from maht_net.synthetic import write_synthetic_dataset
    return write_synthetic_dataset(tmp_path_factory.mktemp('data')/'synth', n_patients=14, seed=3, max_size=320)


@pytest.fixture
def tiny_config(synthetic_data, tmp_path):
    "A factory of tiny-preset configs at 64 px on the synthetic set, with runs under this test's folder."
    from maht_net.config import TrainConfig, MODEL_PRESETS
    def make(name='run', **kw):
        base = dict(view='AP', data_dir=str(synthetic_data), image_size=64, batch_size=2, epochs=2, warmup_epochs=1,
                    heatmap_sigma=1.0, **MODEL_PRESETS['tiny'], num_workers=0, device='cpu', max_items=6,
                    output_dir=str(tmp_path/'runs'), experiment_name=name)
        return TrainConfig(**{**base, **kw})
    return make

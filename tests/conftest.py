"""Shared pieces of the machinery tests: a small synthetic dataset, a tiny run configuration, the commands."""
import json, os, subprocess, sys, warnings
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


def tiny(data, out, name='run', **kw):
    "A tiny-preset config at 64 px on `data`, with its run under `out`."
    from maht_net.config import TrainConfig, MODEL_PRESETS
    base = dict(view='AP', data_dir=str(data), image_size=64, batch_size=2, epochs=2, warmup_epochs=1,
                heatmap_sigma=1.0, **MODEL_PRESETS['tiny'], num_workers=0, device='cpu', max_items=6,
                output_dir=str(out), experiment_name=name)
    return TrainConfig(**{**base, **kw})


@pytest.fixture(scope='session')
def ap_run(synthetic_data, tmp_path_factory) -> Path:
    "The folder of a finished one-epoch AP run of the tiny preset, shared by the tests that only read it."
    from maht_net.train import train
    learn = train(tiny(synthetic_data, tmp_path_factory.mktemp('runs'), 'ap', epochs=1), quiet=True, progress=False)
    return learn.state.run_dir


@pytest.fixture
def tiny_config(synthetic_data, tmp_path):
    "A factory of tiny-preset configs at 64 px on the synthetic set, with runs under this test's folder."
    return lambda name='run', **kw: tiny(synthetic_data, tmp_path/'runs', name, **kw)


def exit_message(main, *args) -> str:
    "Run a command's entry point in this process; return the message it exits with (it must exit)."
    with pytest.raises(SystemExit) as e: main([str(a) for a in args])
    return str(e.value.code)


def strict_json(path):
    "Read a JSON file, refusing the NaN and Infinity that Python's json writes by default."
    return json.loads(Path(path).read_text(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(f"{path}: {c}")))

"""`maht_train` for real: a process killed mid-epoch and resumed, mistakes that end in one line, and distributed
training in two gloo processes whose random streams survive a resume."""
import json, os, re, shutil, signal, subprocess, sys, time
from pathlib import Path

import pytest

from conftest import command, run, exit_message


def test_a_killed_run_resumes_from_its_last_checkpoint(tiny_config, tmp_path):
    from maht_net.config import load_checkpoint
    config = tiny_config('killed', epochs=6, checkpoint_every=2)
    config.save(tmp_path/'kill.json')
    run_dir = config.run_dir
    script = (f"from maht_net.train import *; import json; c = TrainConfig.from_dict(json.load(open({str(tmp_path/'kill.json')!r}))); "
              "train(c, quiet=True)")
    proc = subprocess.Popen([sys.executable, '-c', script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while not (run_dir/'history.json').exists() and time.time() - t0 < 240: time.sleep(0.05)
    t1 = time.time()
    while len(json.loads((run_dir/'history.json').read_text())) < 2 and time.time() - t0 < 240: time.sleep(0.05)
    time.sleep((time.time() - t1) / 2)                                  # half way into epoch 3
    proc.send_signal(signal.SIGKILL); proc.wait()
    done = load_checkpoint(run_dir/'latest.pth')['epoch']
    assert 2 <= done < 6, done
    r = run(command('maht_train'), '--resume', run_dir/'latest.pth')
    assert r.returncode == 0, r.stderr[-2000:]
    assert f'resuming after epoch {done}' in r.stdout
    assert [h['epoch'] for h in json.loads((run_dir/'history.json').read_text())] == [1, 2, 3, 4, 5, 6]
    assert '█' not in r.stdout + r.stderr and not re.search(r'\d% \[\d+/\d+', r.stdout)   # no bars sent to a pipe
    assert sorted(p.name for p in run_dir.glob('epoch_*.pth')) == ['epoch_002.pth', 'epoch_004.pth', 'epoch_006.pth']
    assert not list(run_dir.glob('.*tmp')), 'no half-written files are left behind'


def test_mistakes_on_the_command_line_end_in_one_line(tiny_config, tmp_path):
    from maht_net.train import maht_train, train
    cli = lambda *args: exit_message(maht_train, *args)

    r = run(command('maht_train'), '--data-dir', tmp_path/'nowhere')
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [f"maht_train: error: {tmp_path/'nowhere'}: no such data directory"]
    learn = train(tiny_config('ap_run', epochs=1), quiet=True, progress=False)
    cases = [(('--resume', learn.state.run_dir/'latest.pth', '--view', 'LA'), '--view LA contradicts the checkpoint'),
             (('--resume', tmp_path/'junk.pth'), 'junk.pth: no such checkpoint')]
    (tmp_path/'empty'/'AP').mkdir(parents=True)
    cases.append((('--data-dir', tmp_path/'empty', '--view', 'AP'), 'no usable images'))
    (tmp_path/'notes.pth').write_text('not a checkpoint')
    cases.append((('--resume', tmp_path/'notes.pth'), 'notes.pth: not a readable checkpoint'))
    for args, expected in cases:
        err = cli(*args)
        assert len(err.splitlines()) == 1 and expected in err, (args, err)


def torchrun(*args, undo=lambda: None) -> subprocess.CompletedProcess:
    """Run a script in two gloo processes. On a loaded 2-core machine a gloo worker is now and then killed by SIGABRT
    (about one launch in ten, never in isolation): `undo` then puts back what the launch changed, and the launch is tried
    again, at most three times in all; each retry says so, with the first lines that tell why."""
    cmd = [command('torchrun'), '--standalone', '--nproc_per_node', '2', *map(str, args)]
    for attempt in range(3):
        r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS='1'), timeout=600)
        if not (r.returncode and 'SIGABRT' in r.stderr): break
        why = [l for l in r.stderr.splitlines() if re.search(r'terminate|what\(\)|Error|error', l)][:3]
        print(f'a gloo worker was aborted (launch {attempt + 1}); launching again', *why, sep='\n  '); undo()
    return r


def test_two_processes_train_one_epoch_on_half_the_batches_each(tiny_config, tmp_path):
    from maht_net.config import load_checkpoint
    config = tiny_config('ddp', epochs=1)
    config.save(tmp_path/'ddp.json')
    (tmp_path/'ddp_train.py').write_text(f"from maht_net.train import *\ntrain(TrainConfig.load({str(tmp_path/'ddp.json')!r}), quiet=True)\n")
    r = torchrun(tmp_path/'ddp_train.py', undo=lambda: shutil.rmtree(config.run_dir, ignore_errors=True))
    assert r.returncode == 0, r.stderr[-2000:]
    ck = load_checkpoint(config.run_dir/'latest.pth')
    assert (ck['epoch'], ck['meta']['world_size']) == (1, 2)
    films = ck['meta']['data']['fingerprint']['films']['train']
    assert ck['it'] == films // 2 // config.batch_size                  # each process took half of the epoch's films
    assert len(json.loads((config.run_dir/'history.json').read_text())) == 1


DRAWS = '''import json, sys, torch
from pathlib import Path
from fastai.callback.core import Callback
from maht_net.train import *
from maht_net.learner import rank
class Draws(Callback):
    "Draw from this process's torch stream at each epoch's end, before the checkpoint, and keep the draws in a file."
    order = TrainState.order - 1
    def after_epoch(self):
        f = Path(f"{sys.argv[2]}_{rank()}.json")
        f.write_text(json.dumps((json.loads(f.read_text()) if f.exists() else []) + [torch.rand(1 + rank()).tolist()]))
if sys.argv[1] == 'resume': train(resume=sys.argv[3], epochs=2, quiet=True, cbs=[Draws()])
else: train(TrainConfig.load(sys.argv[3]), quiet=True, cbs=[Draws()])
'''


def test_a_distributed_resume_continues_every_process_random_stream(tiny_config, tmp_path):
    """Two processes draw from their torch streams at every epoch's end (the second twice as much, so the streams
    differ); two epochs straight, and one epoch then a resume, draw the same numbers in both processes."""
    from maht_net.config import load_checkpoint, TrainConfig
    (tmp_path/'ddp_draws.py').write_text(DRAWS)

    def ddp(mode, prefix, path):
        "Launch the draws script; a retried launch starts again from the files the first one found."
        run_dir = Path(path).parent if mode == 'resume' else TrainConfig.load(path).run_dir
        drawn = {f: f.read_bytes() for f in tmp_path.glob(f"{prefix.name}_*.json")}
        kept = tmp_path/'ddp_kept'; shutil.rmtree(kept, ignore_errors=True)
        if run_dir.exists(): shutil.copytree(run_dir, kept)
        def undo():
            for f in tmp_path.glob(f"{prefix.name}_*.json"): f.unlink()
            for f, b in drawn.items(): f.write_bytes(b)
            shutil.rmtree(run_dir, ignore_errors=True)
            if kept.exists(): shutil.copytree(kept, run_dir)
        r = torchrun(tmp_path/'ddp_draws.py', mode, prefix, path, undo=undo)
        assert r.returncode == 0, r.stderr[-2000:]

    tiny_config('ddp_straight', epochs=2).save(tmp_path/'ddp_straight.json')
    part = tiny_config('ddp_part', epochs=1); part.save(tmp_path/'ddp_part.json')
    ddp('train', tmp_path/'draws_straight', tmp_path/'ddp_straight.json')
    ddp('train', tmp_path/'draws_part', tmp_path/'ddp_part.json')
    ddp('resume', tmp_path/'draws_part', part.run_dir/'latest.pth')
    draws = {(k, r): json.loads((tmp_path/f'draws_{k}_{r}.json').read_text()) for k in ('straight', 'part') for r in (0, 1)}
    assert len(load_checkpoint(part.run_dir/'latest.pth')['rank_rngs']) == 2
    assert len(draws['straight', 1]) == 3                                # the untrained model's validation and two epochs
    assert draws['straight', 0][-1][0] != draws['straight', 1][-1][0]
    for r in (0, 1): assert draws['part', r] == draws['straight', r]


def test_every_setting_has_a_flag_and_a_saved_config_starts_a_new_run(ap_run, tmp_path):
    from dataclasses import fields
    from maht_net.config import TrainConfig
    from maht_net.train import train_parser
    help_text = train_parser().format_help()
    assert [f.name for f in fields(TrainConfig) if '--' + f.name.replace('_', '-') not in help_text] == []
    for section in ('data', 'augmentation', 'model', 'loss', 'optimisation'): assert f'\n{section} (' in help_text
    assert 'width of the Gaussian target, in input pixels (default 4.0)' in ' '.join(help_text.split())   # the field's docment
    saved = json.loads((ap_run/'config.json').read_text())
    r = run(command('maht_train'), '--config', ap_run/'config.json', '--output-dir', tmp_path, '--experiment-name', 'again',
            '--rotate', '0', '--scale', '0.8', '1.2', '--heatmap-weight', '2', '--no-amp', '--spacing', '0.15')
    assert r.returncode == 0, r.stderr[-2000:]
    again = json.loads((tmp_path/'again'/'config.json').read_text())
    changed = {k: again[k] for k in again if again[k] != saved[k]}
    assert changed == dict(output_dir=str(tmp_path), experiment_name='again', rotate=0.0, scale=[0.8, 1.2],
                           heatmap_weight=2.0, amp=False, spacing=0.15), changed


def test_a_bad_config_file_ends_in_one_line(tmp_path):
    from maht_net.train import maht_train
    (tmp_path/'broken.json').write_text('{"view": "AP",')
    (tmp_path/'typo.json').write_text('{"learning_rate": 0.1}')
    for f, phrase in [(tmp_path/'missing.json', 'missing.json: no such config file'),
                      (tmp_path/'broken.json', 'broken.json: not a JSON config'),
                      (tmp_path/'typo.json', "unknown config keys: ['learning_rate']")]:
        err = exit_message(maht_train, '--config', f)
        assert len(err.splitlines()) == 1 and phrase in err, err
    assert 'keeps its checkpoint' in exit_message(maht_train, '--config', tmp_path/'typo.json', '--resume', tmp_path/'x.pth')

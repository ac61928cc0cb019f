"""The synthetic generator from the command line: `maht_synth --difficulty hard` writes a set the strict reader takes."""
from conftest import command, run


def test_maht_synth_writes_a_hard_set(tmp_path):
    from maht_net.anatomy import VIEWS
    from maht_net.data import scan_dataset
    r = run(command('maht_synth'), '--out', tmp_path/'hard', '--patients', '4', '--max-size', '300', '--difficulty', 'hard')
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'hard' in r.stdout
    assert 'difficulty=hard' in (tmp_path/'hard'/'README.txt').read_text()
    for v in VIEWS:
        scan = scan_dataset(tmp_path/'hard', v)
        assert (len(scan.items), len(scan.problems)) == (4, 0), scan.report()


def test_maht_synth_refuses_an_unknown_difficulty(tmp_path):
    r = run(command('maht_synth'), '--out', tmp_path/'x', '--patients', '2', '--difficulty', 'extreme')
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [
        "maht_synth: error: difficulty must be one of ('default', 'hard'), got 'extreme'"], r.stderr
    assert not (tmp_path/'x'/'AP').exists() or not any((tmp_path/'x'/'AP').iterdir())

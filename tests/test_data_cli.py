"""`maht_check_data` as users run it: the report of a dataset with one broken file of each kind, and its exit status."""
import shutil

from conftest import command, run


def test_maht_check_data_names_every_problem_and_exits_by_what_it_found(tmp_path):
    from maht_net.data import fake_dataset
    chk = fake_dataset(tmp_path/'check')
    for ext in ('jpg', 'csv'): shutil.copy(chk/'AP'/f'0001-F-041Y0.{ext}', chk/'AP'/f'0007-F-047Y0.{ext}')   # AP only
    r = run(command('maht_check_data'), chk)
    assert r.returncode == 1, r.stdout + r.stderr
    assert '0004-M-044Y0.jpg: truncated or corrupt JPEG' in r.stdout and 'patient 0007' in r.stdout, r.stdout
    assert run(command('maht_check_data'), fake_dataset(tmp_path/'clean', broken=False)).returncode == 0
    assert run(command('maht_check_data'), tmp_path/'nowhere').returncode == 2

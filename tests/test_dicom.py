"""DICOM films where users meet them: `maht_predict` on a folder of DICOM files (8 and 16 bit, MONOCHROME1 and 2, with
and without spacing, RLE-compressed, extensionless, one cut short, one no decoder reads) gives the corners it gives for
the same films as PNG and the millimetres each file carries; `maht_eval` and `maht_check_data` read a DICOM dataset."""
import json, shutil

import cv2
import numpy as np
import pytest

from conftest import command, run, strict_json

pytest.importorskip('pydicom')


def corners(csv):
    return np.loadtxt(csv, delimiter=',', ndmin=2)[:, :4].reshape(-1, 2)


@pytest.fixture(scope='module')
def films(synthetic_data, tmp_path_factory):
    "Four AP films as PNG and as DICOM (each a different kind), and two bad DICOM files."
    from maht_net.data import load_image
    from maht_net.dicom import film_dataset
    from pydicom.encaps import encapsulate
    root = tmp_path_factory.mktemp('dicom')
    (root/'png').mkdir(); (root/'dcm').mkdir()
    src = sorted((synthetic_data/'AP').glob('*.jpg'))[:4]
    imgs = [load_image(p) for p in src]
    for p, img in zip(src, imgs): cv2.imwrite(str(root/'png'/f"{p.stem}.png"), img)
    kinds = {src[0].stem + '.dcm': dict(spacing=0.15),                                      # 8 bit, MONOCHROME2
             src[1].stem + '.dcm': dict(bits=16, monochrome1=True, imager_spacing=0.2, magnification=1.25),
             src[2].stem: dict(),                                                          # extensionless, no spacing
             src[3].stem + '.dcm': dict(bits=16, rle=True, imager_spacing=0.18)}           # compressed, at the detector
    for (name, kw), img in zip(kinds.items(), imgs): film_dataset(img, **kw).save_as(root/'dcm'/name)
    (root/'dcm'/'short.dcm').write_bytes((root/'dcm'/f"{src[0].stem}.dcm").read_bytes()[:700])          # cut short
    mpeg = film_dataset(imgs[0]); mpeg.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.4.100'
    mpeg.PixelData = encapsulate([bytes(64)]); mpeg['PixelData'].VR = 'OB'
    mpeg.save_as(root/'dcm'/'mpeg.dcm', enforce_file_format=True)
    return root, [p.stem for p in src]


def test_maht_predict_reads_dicom_as_it_reads_png(ap_run, films, tmp_path):
    root, stems = films
    r = run(command('maht_predict'), '--checkpoint', ap_run/'best.pth', root/'dcm', '--out', tmp_path/'dcm', '--device', 'cpu')
    p = run(command('maht_predict'), '--checkpoint', ap_run/'best.pth', root/'png', '--out', tmp_path/'png', '--device', 'cpu')
    assert p.returncode == 0, p.stderr
    assert r.returncode == 1, r.stdout + r.stderr                              # two films failed, the others were predicted
    bad = [l for l in r.stderr.splitlines() if l.startswith('maht_predict: error:')]
    assert len(bad) == 2 and any(f"{root/'dcm'/'short.dcm'}:" in l for l in bad), bad
    assert any(f"{root/'dcm'/'mpeg.dcm'}: compressed DICOM" in l and 'no installed decoder' in l for l in bad), bad
    for s in stems:
        d, q = corners(tmp_path/'dcm'/f"{s}.csv"), corners(tmp_path/'png'/f"{s}.csv")
        assert np.abs(d - q).max() <= 0.05, (s, np.abs(d - q).max())
    pj = strict_json(tmp_path/'dcm'/'predictions.json')
    got = {f['stem']: (round(f['mm_per_px'], 6), f['spacing_source']) for f in pj['films']}
    assert got[stems[0]] == (0.15, 'the DICOM PixelSpacing'), got
    assert got[stems[1]][0] == 0.16 and 'EstimatedRadiographicMagnificationFactor (1.25)' in got[stems[1]][1], got
    assert got[stems[2]][0] == 0.2 and got[stems[2]][1].startswith('default 0.2 mm/px'), got
    assert got[stems[3]][0] == 0.18 and 'at the detector' in got[stems[3]][1], got
    assert 'the DICOM PixelSpacing (2 films)' in r.stdout, r.stdout                 # and the PNG-less mpeg.dcm
    assert len(r.stderr.strip().splitlines()) == 2, r.stderr


def test_a_dicom_dataset_is_checked_and_scored_in_its_own_millimetres(ap_run, synthetic_data, tmp_path):
    "A BUU-LSPINE folder whose films are DICOM, each carrying 0.15 mm/px: the scan takes it, evaluation uses the files' spacing."
    from maht_net.data import load_image, scan_dataset
    from maht_net.dicom import film_dataset
    data = tmp_path/'hospital'; (data/'AP').mkdir(parents=True)
    for p in sorted((synthetic_data/'AP').glob('*.jpg')):
        film_dataset(load_image(p), bits=16, spacing=0.15).save_as(data/'AP'/f"{p.stem}.dcm")
        shutil.copy(p.with_suffix('.csv'), data/'AP'/f"{p.stem}.csv")
    scan = scan_dataset(data, 'AP')
    assert (len(scan.items), scan.problems) == (14, []), scan.report()
    c = run(command('maht_check_data'), data)
    assert 'AP: 14 good films' in c.stdout and 'AP' in c.stdout.split('0 problems')[0], c.stdout + c.stderr   # (no LA folder here)
    r = run(command('maht_eval'), '--checkpoint', ap_run/'best.pth', '--data-dir', data, '--split', 'all', '--no-plots',
            '--out', tmp_path/'eval', '--device', 'cpu')
    assert r.returncode == 0, r.stdout + r.stderr
    m = strict_json(tmp_path/'eval'/'metrics.json')
    assert m['spacing']['source'] == 'the DICOM PixelSpacing for the 14 DICOM films that carry one', m['spacing']
    assert abs(m['mean_radial_error_mm'] - 0.15 * m['mean_radial_error_px']) < 1e-6


def test_a_jpeg_compressed_dicom_film_is_decoded_by_the_pinned_plugins(synthetic_data, tmp_path):
    "JPEG Baseline inside DICOM, as many archives store films: the dicom extra's pylibjpeg decoders read it."
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit
    from maht_net.data import load_image
    from maht_net.dicom import film_dataset
    img = load_image(sorted((synthetic_data/'LA').glob('*.jpg'))[0])
    ok, jpeg = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    ds = film_dataset(img, spacing=0.2)
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = encapsulate([jpeg.tobytes()]); ds['PixelData'].VR = 'OB'
    ds.save_as(tmp_path/'jpeg.dcm', enforce_file_format=True)
    got, want = load_image(tmp_path/'jpeg.dcm'), cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)
    assert got.shape == want.shape and np.abs(got.astype(int) - want).max() <= 2, np.abs(got.astype(int) - want).max()


def test_learn_predict_reads_a_dicom_film(tiny_config, synthetic_data, tmp_path):
    "The fastai way: a Learner's `predict` on a DICOM film gives the corners it gives on the same film as PNG."
    from maht_net.data import load_image
    from maht_net.dicom import film_dataset
    from maht_net.learner import maht_learner
    from maht_net.dataloaders import spine_dataloaders
    cfg = tiny_config('dicom')
    learn = maht_learner(spine_dataloaders(cfg.data_dir, cfg.view, image_size=cfg.image_size, bs=2, max_items=cfg.max_items,
                                           device='cpu', num_workers=0, progress=False, log=None), cfg)
    src = sorted((synthetic_data/'AP').glob('*.jpg'))[0]
    film_dataset(load_image(src), bits=16, monochrome1=True).save_as(tmp_path/'film.dcm')
    cv2.imwrite(str(tmp_path/'film.png'), load_image(src))
    a, b = learn.predict(tmp_path/'film.dcm', threshold=0.15), learn.predict(tmp_path/'film.png', threshold=0.15)
    assert np.abs(a.keypoints - b.keypoints).max() <= 0.05 and a.csv_text() == b.csv_text()

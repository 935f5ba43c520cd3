"""Round trips through the CLI: export → (an independent reader loads it) → import into a new version → the same
ROIs as far as the format expresses them; a second import is a no-op; bad files are refused naming where."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from globox import AnnotationSet
from pycocotools.coco import COCO

from annostream_cli.main import main as cli
from annostream_cli.stack import LocalStack

from .export_helpers import new_version, png, sample_frames, wait_frames

pytestmark = pytest.mark.e2e
USER = ["--user", "porter", "--team", "porters"]


@pytest.fixture(scope="module")
def source(system: LocalStack) -> Iterator[tuple[httpx.Client, str, list[dict[str, Any]]]]:
    c = httpx.Client(
        base_url=system.url, headers={"X-Annostream-User": "porter", "X-Annostream-Team": "porters"}, timeout=60
    )
    frames = sample_frames()
    _, version_id = new_version(c, frames, "roundtrip")
    yield c, version_id, frames
    c.close()


def _draft(c: httpx.Client) -> str:
    ds = c.post("/api/v1/datasets", json={"name": f"into-{uuid.uuid4().hex[:8]}"}).json()
    return str(c.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}).json()["version_id"])


def _rois(c: httpx.Client, version_id: str) -> dict[str, list[tuple[str, list[list[float]], list[str]]]]:
    """frame id → sorted (type, points rounded, labels) of a version, read through the JSON-lines export."""
    r = c.get(f"/api/v1/versions/{version_id}/export", params={"format": "jsonl"})
    out = {}
    for line in map(json.loads, r.text.splitlines()):
        out[line["id"]] = sorted(
            (x["type"], [[round(p, 2) for p in pt] for pt in x["points"]], x["labels"]) for x in line["rois"]
        )
    return out


def _expected(frames: list[dict[str, Any]], keep: Any) -> dict[str, list[tuple[str, list[list[float]], list[str]]]]:
    out = {}
    for f in frames:
        rois = [k for r in f.get("rois", []) if (k := keep(r)) is not None]
        out[f["id"]] = sorted((t, [[round(p, 2) for p in pt] for pt in pts], labels) for t, pts, labels in rois)
    return out


def _box(r: dict[str, Any]) -> list[list[float]]:
    (x1, y1), (x2, y2) = r["points"]
    return [[min(x1, x2), min(y1, y2)], [max(x1, x2), max(y1, y2)]]


def _export(url: str, version_id: str, fmt: str, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli(["export", "--url", url, "--version", version_id, "--format", fmt, "--out", str(out), *USER]) == 0
    return capsys.readouterr().out


def _import(
    url: str, path: Path, version_id: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    code = cli(["import", str(path), "--url", url, "--version", version_id, "--format", fmt, *USER])
    got = capsys.readouterr()
    return code, got.out, got.err


def _round_trip(
    system: LocalStack,
    c: httpx.Client,
    src: str,
    frames: list[dict[str, Any]],
    fmt: str,
    path: Path,
    capsys: pytest.CaptureFixture[str],
) -> str:
    into = _draft(c)
    code, out, err = _import(system.url, path, into, "yolo" if fmt.startswith("yolo") else fmt, capsys)
    assert code == 0, err
    assert f"{len(frames)} new frame(s)" in out
    wait_frames(c, into, frames, rois=False)
    again = _import(system.url, path, into, "yolo" if fmt.startswith("yolo") else fmt, capsys)
    assert again[0] == 0 and f"0 new frame(s), {len(frames)} already there" in again[1]
    return into


def _wait_rois(c: httpx.Client, version_id: str, want: dict[str, Any]) -> dict[str, Any]:
    got: dict[str, Any] = {}
    for _ in range(200):
        got = _rois(c, version_id)
        if got == want:
            break
    return got


def test_coco_round_trip_keeps_boxes_polygons_keypoints_labels_and_ids(
    system: LocalStack,
    source: tuple[httpx.Client, str, list[dict[str, Any]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    c, src, frames = source
    printed = _export(system.url, src, "coco", tmp_path, capsys)
    assert "skipped: 1 x ellipse: COCO has no ellipses" in printed
    ann = tmp_path / "annotations/instances_default.json"
    assert len(COCO(str(ann)).getAnnIds()) == 6
    capsys.readouterr()
    into = _round_trip(system, c, src, frames, "coco", ann, capsys)

    def keep(r: dict[str, Any]) -> Any:
        if r["type"] == "ellipse" or not r["labels"]:
            return None
        return r["type"], _box(r) if r["type"] == "rectangle" else r["points"], r["labels"]

    want = _expected(frames, keep)
    assert _wait_rois(c, into, want) == want
    line = next(
        x
        for x in map(json.loads, c.get(f"/api/v1/versions/{into}/export", params={"format": "jsonl"}).text.splitlines())
        if x["id"] == "f-shapes"
    )
    by_id = {r["roi_id"]: r for r in line["rois"]}
    assert by_id["r6"]["confidence"] == 0.75 and by_id["r6"]["metadata"] == {"note": "parked"}
    assert by_id["r3"]["metadata"]["visibility"] == [2, 1, 0] and by_id["r3"]["metadata"]["skeleton"] == [
        [1, 2],
        [2, 3],
    ]
    two = next(
        x
        for x in map(json.loads, c.get(f"/api/v1/versions/{into}/export", params={"format": "jsonl"}).text.splitlines())
        if x["id"] == "f-two:sources"
    )
    assert [(s["id"], s["uri"]) for s in two["sources"]] == [
        ("left", "file:///data/left.jpg"),
        ("right", "file:///data/right.jpg"),
    ]


def test_voc_round_trip_keeps_boxes_with_their_first_label(
    system: LocalStack,
    source: tuple[httpx.Client, str, list[dict[str, Any]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    c, src, frames = source
    _export(system.url, src, "voc", tmp_path, capsys)
    assert len(AnnotationSet.from_pascal_voc(tmp_path / "Annotations")) == 6
    into = _round_trip(system, c, src, frames, "voc", tmp_path, capsys)

    def keep(r: dict[str, Any]) -> Any:
        return ("rectangle", _box(r), r["labels"][:1]) if r["type"] == "rectangle" and r["labels"] else None

    want = _expected(frames, keep)
    assert _wait_rois(c, into, want) == want


@pytest.mark.parametrize(
    ("fmt", "keep"),
    [
        (
            "yolo",
            lambda r: ("rectangle", _box(r), r["labels"][:1]) if r["type"] == "rectangle" and r["labels"] else None,
        ),
        (
            "yolo-segment",
            lambda r: (
                (
                    "polygon",
                    r["points"]
                    if r["type"] == "polygon"
                    else [_box(r)[0], [_box(r)[1][0], _box(r)[0][1]], _box(r)[1], [_box(r)[0][0], _box(r)[1][1]]],
                    r["labels"][:1],
                )
                if r["type"] in ("rectangle", "polygon") and r["labels"]
                else None
            ),
        ),
        ("yolo-pose", lambda r: ("keypoints", r["points"], r["labels"][:1]) if r["type"] == "keypoints" else None),
    ],
)
def test_yolo_round_trips_keep_what_each_layout_holds(
    system: LocalStack,
    source: tuple[httpx.Client, str, list[dict[str, Any]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    keep: Any,
) -> None:
    c, src, frames = source
    _export(system.url, src, fmt, tmp_path, capsys)
    assert (tmp_path / "data.yaml").is_file() and (tmp_path / "sources.csv").is_file()
    into = _round_trip(system, c, src, frames, fmt, tmp_path, capsys)
    want = _expected(frames, keep)
    assert _wait_rois(c, into, want) == want


def test_jsonl_round_trip_is_lossless(
    system: LocalStack,
    source: tuple[httpx.Client, str, list[dict[str, Any]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    c, src, frames = source
    printed = _export(system.url, src, "jsonl", tmp_path, capsys)
    assert f"exported {len(frames)} frame(s)" in printed
    into = _round_trip(system, c, src, frames, "jsonl", tmp_path / "frames.jsonl", capsys)
    first = (tmp_path / "frames.jsonl").read_text()
    for _ in range(200):
        second = c.get(f"/api/v1/versions/{into}/export", params={"format": "jsonl"}).text
        if second == first:
            break
    assert second == first  # ROI ids, locks, metadata, confidence, sources, frame labels: byte for byte


def test_yolo_import_of_a_foreign_dataset_takes_image_sizes_from_the_files(
    system: LocalStack,
    source: tuple[httpx.Client, str, list[dict[str, Any]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    c, _, _ = source
    (tmp_path / "data.yaml").write_text("path: .\ntrain: images\nval: images\nnames:\n  0: cat\n  1: dog\n")
    png(tmp_path / "images/a.png", 200, 100)
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels/a.txt").write_text("1 0.5 0.5 0.2 0.4\n0 0.1 0.1 0.3 0.1 0.3 0.3\n")
    into = _draft(c)
    code, _, err = _import(system.url, tmp_path, into, "yolo", capsys)
    assert code == 0, err
    want = {
        "a": sorted(
            [
                ("rectangle", [[80.0, 30.0], [120.0, 70.0]], ["dog"]),
                ("polygon", [[20.0, 10.0], [60.0, 10.0], [60.0, 30.0]], ["cat"]),
            ]
        )
    }
    assert _wait_rois(c, into, want) == want
    frame = c.get(f"/api/v1/versions/{into}/frames/a").json()
    assert frame["base"]["sources"][0]["uri"] == (tmp_path / "images/a.png").resolve().as_uri()


def test_bad_files_are_refused_naming_the_file_line_or_entry_and_field(
    system: LocalStack,
    source: tuple[httpx.Client, str, list[dict[str, Any]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    c, _, _ = source
    into = _draft(c)
    coco = {
        "images": [{"id": 1, "file_name": "x.jpg", "width": 100, "height": 100}],
        "categories": [{"id": 1, "name": "car"}],
        "annotations": [
            {
                "id": 7,
                "image_id": 1,
                "category_id": 1,
                "bbox": [10, 10, 20, 20],
                "segmentation": {"counts": "x", "size": [1, 1]},
            },
            {"id": 8, "image_id": 1, "category_id": 1, "bbox": [90, 90, 50, 50]},
        ],
    }
    (tmp_path / "c.json").write_text(json.dumps(coco))
    code, _, err = _import(system.url, tmp_path / "c.json", into, "coco", capsys)
    assert code == 1
    assert (
        "c.json: images[0] (x.jpg): annotations[1] (id 8): rois[0].points[1]: "
        "point (140, 140) is outside the 100x100 source" in err
    )
    broken = dict(coco, annotations=[{"id": 9, "image_id": 1, "category_id": 5, "bbox": [1, 1, 2, 2]}])
    (tmp_path / "c.json").write_text(json.dumps(broken))
    assert (
        _import(system.url, tmp_path / "c.json", into, "coco", capsys)[2]
        .strip()
        .endswith("c.json: annotations[0].category_id: no category 5")
    )
    yolo = tmp_path / "y"
    (yolo / "labels").mkdir(parents=True)
    (yolo / "data.yaml").write_text("names: [cat]\n")
    png(yolo / "images/a.jpg", 10, 10)
    (yolo / "labels/a.txt").write_text("0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2\n")
    assert "labels/a.txt line 2: expected class + 4 box numbers" in _import(system.url, yolo, into, "yolo", capsys)[2]
    voc = tmp_path / "v" / "Annotations"
    voc.mkdir(parents=True)
    (voc / "b.xml").write_text(
        "<annotation><size><width>10</width><height>10</height></size><object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>oops</xmax><ymax>4</ymax></bndbox></object></annotation>"
    )
    assert (
        "Annotations/b.xml: object[0].bndbox.xmax: must be a number, got 'oops'"
        in _import(system.url, voc.parent, into, "voc", capsys)[2]
    )
    refused = cli(
        [
            "export",
            "--url",
            system.url,
            "--version",
            "ver_nope",
            "--format",
            "coco",
            "--out",
            str(tmp_path / "o"),
            *USER,
        ]
    )
    assert refused == 1 and "NOT_FOUND" in capsys.readouterr().err and not list((tmp_path / "o").iterdir())
    ok = dict(coco, annotations=coco["annotations"][:1])
    (tmp_path / "c.json").write_text(json.dumps(ok))
    code, out, _ = _import(system.url, tmp_path / "c.json", into, "coco", capsys)
    assert code == 0 and "not imported: 1 x crowd (RLE) masks: not imported" in out

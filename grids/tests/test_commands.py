"""The registry's management commands: success output, and a Chinese CommandError on bad input."""
import json

import pytest
from django.core.management import CommandError, call_command

from grids.models import Component, MinorClass, UnitGrid


@pytest.mark.django_db
def test_load_classes(capsys):
    call_command("load_classes", "--edition", "legacy4")
    assert "139" in capsys.readouterr().out
    assert MinorClass.objects.count() == 139


@pytest.mark.django_db
def test_import_grids_and_its_errors(regions, tmp_path):
    good = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"code": "430102001001001", "community_code": "430102001001"},
        "geometry": {"type": "Polygon", "coordinates": [[[112, 28], [112.001, 28], [112.001, 28.001], [112, 28.001],
                                                         [112, 28]]]},
    }]}
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(good))
    call_command("import_grids", str(path))
    assert UnitGrid.objects.count() == 1
    with pytest.raises(CommandError, match="第 1 个要素：网格代码“430102001001001”已存在"):
        call_command("import_grids", str(path))
    path.write_text("{oops")
    with pytest.raises(CommandError, match="GeoJSON 格式错误"):
        call_command("import_grids", str(path))


@pytest.mark.django_db
def test_import_and_export_components(classes, grid_block, tmp_path):
    source = tmp_path / "census.csv"
    source.write_text("code,minor_code,lon,lat\n4301020101000001,0101,112.0005,28.0005\n", encoding="utf-8")
    call_command("import_components", str(source))
    assert Component.objects.count() == 1
    with pytest.raises(CommandError, match="第 2 行：部件标识码“4301020101000001”已存在"):
        call_command("import_components", str(source), "--format", "csv")
    out = tmp_path / "out.xlsx"
    call_command("export_components", str(out))
    assert out.read_bytes()[:2] == b"PK"
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import_components", str(tmp_path / "missing.csv"))

"""Viewers, roles and the audit log as data (issue 16, the warehouse layer): the CLI and the module,
on DuckDB and PostgreSQL."""
import csv
import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT
from warehouse import access
from warehouse.errors import WarehouseError


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "warehouse", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=300)


def test_roles_and_what_each_may_do():
    admin = access.Viewer("a@x.cn", role="admin")
    manager = access.Viewer("m@x.cn", role="manager", regions=("华东",))
    viewer = access.Viewer("v@x.cn", role="viewer", stores=("上海店",))
    assert [a for a in access.PERMISSIONS if access.allowed(admin, a)] == list(access.PERMISSIONS)
    assert {a for a in access.PERMISSIONS if access.allowed(manager, a)} == {"read", "comment", "edit_inputs",
                                                                             "refresh_pack", "acknowledge",
                                                                             "complaint_stage"}
    assert {a for a in access.PERMISSIONS if access.allowed(viewer, a)} == {"read"}
    assert not access.allowed(None, "read")
    with pytest.raises(KeyError):
        access.allowed(admin, "fly")
    # scope: an admin has no limit; levels not given are no limit on that level
    assert admin.limits == {"regions": None, "stores": None, "teams": None}
    assert manager.limits == {"regions": ("华东",), "stores": None, "teams": None}


def test_viewers_saved_changed_removed_and_audited(wh):
    n = access.save_viewers(wh, [access.Viewer(" Li.Ming@Example.CN ", "李明", "manager", regions=("华东",)),
                                 access.Viewer("wang@example.cn", "王芳", "viewer", stores=("上海店", "杭州店"))],
                            by="测试")
    assert n == 2
    li = access.get_viewer(wh, "li.ming@example.cn")
    assert (li.email, li.name, li.role, li.regions, li.stores) == ("li.ming@example.cn", "李明", "manager", ("华东",), ())
    assert access.save_viewers(wh, [li], by="测试") == 0            # unchanged: nothing written, nothing audited
    access.save_viewers(wh, [access.Viewer(li.email, li.name, "viewer", regions=("华东", "华南"))], by="测试")
    assert access.remove_viewer(wh, "wang@example.cn", by="测试") and not access.remove_viewer(wh, "nobody@x.cn")
    rows = access.audit_rows(wh)
    assert sorted(r["action"] for r in rows) == ["viewer.add", "viewer.add", "viewer.change", "viewer.remove"]
    change = next(r for r in rows if r["action"] == "viewer.change")
    detail = json.loads(change["detail"])
    assert change["actor"] == "测试" and detail["before"]["role"] == "manager" and detail["after"]["role"] == "viewer"
    with pytest.raises(WarehouseError) as err:
        access.save_viewers(wh, [access.Viewer("not-an-email", role="boss"), access.Viewer("ok@x.cn", role="owner")])
    msg = str(err.value)
    assert "not-an-email" in msg and "boss" in msg and "owner" in msg
    assert access.get_viewer(wh, "ok@x.cn") is None                 # all or nothing


def test_first_admins_from_the_environment(wh):
    access.save_viewers(wh, [access.Viewer("boss@x.cn", "老板", "viewer")])
    assert access.bootstrap_admins(wh, "boss@x.cn, new@x.cn") == 2
    assert {v.email: v.role for v in access.viewers(wh)} == {"boss@x.cn": "admin", "new@x.cn": "admin"}
    assert access.get_viewer(wh, "boss@x.cn").name == "老板"
    assert access.bootstrap_admins(wh, "boss@x.cn") == 0             # nothing to do, nothing audited again


def test_excel_import_every_problem_at_once(wh, tmp_path):
    good = tmp_path / "viewers.xlsx"
    pd.DataFrame({"邮箱": ["a@x.cn", "b@x.cn"], "姓名": ["甲", "乙"], "角色": ["manager", "viewer"],
                  "区域": ["华东", None], "门店": [None, "上海店、杭州店"], "班组": [None, None]}).to_excel(good, index=False)
    assert access.save_viewers(wh, access.read_viewers_excel(good)) == 2
    assert access.get_viewer(wh, "b@x.cn").stores == ("上海店", "杭州店")
    bad = tmp_path / "bad.xlsx"
    pd.DataFrame({"邮箱": ["x", "c@x.cn"], "角色": ["viewer", "god"]}).to_excel(bad, index=False)
    with pytest.raises(WarehouseError) as err:
        access.read_viewers_excel(bad)
    assert "第 2 行" in str(err.value) and "第 3 行" in str(err.value) and "god" in str(err.value)
    wrong = tmp_path / "wrong.xlsx"
    pd.DataFrame({"名字": ["甲"]}).to_excel(wrong, index=False)
    with pytest.raises(WarehouseError, match="邮箱"):
        access.read_viewers_excel(wrong)


def test_viewers_cli(db, tmp_path):
    env = {"CSDASH_USER": "管理员甲"}
    res = cli("--db", db, "viewers", "add", "Zhang@X.cn", "--role", "manager", "--name", "张三",
              "--region", "华东", "--store", "上海店", env=env)
    assert res.returncode == 0, res.stderr
    again = cli("--db", db, "viewers", "add", "zhang@x.cn", "--role", "viewer")
    assert again.returncode == 2 and "viewers set" in again.stderr
    assert cli("--db", db, "viewers", "set", "zhang@x.cn", "--team", "售前一组").returncode == 0
    rows = list(csv.DictReader(io.StringIO(cli("--db", db, "viewers", "list").stdout)))
    assert rows == [{"email": "zhang@x.cn", "name": "张三", "role": "manager", "regions": "华东", "stores": "上海店",
                     "teams": "售前一组"}]
    assert cli("--db", db, "viewers", "set", "nobody@x.cn", "--role", "admin").returncode == 2
    template = tmp_path / "t.xlsx"
    assert cli("--db", db, "viewers", "template", str(template)).returncode == 0
    assert list(pd.read_excel(template, engine="calamine").columns) == list(access.EXCEL_COLUMNS.values())
    assert cli("--db", db, "viewers", "remove", "zhang@x.cn").returncode == 0
    audit = list(csv.DictReader(io.StringIO(cli("--db", db, "audit").stdout)))
    assert sorted(a["action"] for a in audit) == ["viewer.add", "viewer.change", "viewer.remove"]
    assert next(a for a in audit if a["action"] == "viewer.add")["actor"] == "管理员甲"
    en = cli("--db", db, "--lang", "en", "viewers", "add", "bad", "--role", "viewer")
    assert en.returncode == 2 and "not a valid e-mail address" in en.stderr

"""Sign-in and row-level access through the router (AppTest with Streamlit's own ``st.user``):
issue 16's gate — sign-in page, no access, local mode on loopback only, a viewer's scope applied
from the viewers table, admin-only pages refused on the server, sign-ins audited.

The real OIDC provider and Chromium checks of every page per person are issue 16's remaining tests."""
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from test_app import OCTOBER, cards, fixture_db, fresh_caches  # noqa: F401 - fixtures (used by name)
from warehouse import access, open_warehouse

AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "test-secret",
        "client_id": "dashboard", "client_secret": "x",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


@pytest.fixture
def people(fixture_db):
    """The fixture warehouse's viewers: an admin, the 华南 regional manager (the fixture's 华南 sales
    are ¥100.00 in October), and nobody else."""
    wh = open_warehouse(fixture_db)
    access.save_viewers(wh, [access.Viewer("boss@example.cn", "老板", "admin"),
                             access.Viewer("south@example.cn", "南区经理", "manager", regions=("华南",))], by="test")
    yield fixture_db
    for v in access.viewers(wh):
        access.remove_viewer(wh, v.email, by="test")
    wh.dispose()


def signed_in(db, monkeypatch, email, page=None, **query):
    monkeypatch.setenv("CSDASH_DB", db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": email is not None, **({"email": email, "name": email} if email else {})}
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_signed_out_sees_only_the_sign_in_page(people, monkeypatch):
    at = signed_in(people, monkeypatch, None)
    assert [b.label for b in at.button] == ["登录"] and not at.metric and not at.dataframe


def test_someone_not_in_the_table_sees_no_access(people, monkeypatch):
    at = signed_in(people, monkeypatch, "stranger@example.cn", **OCTOBER)
    assert "stranger@example.cn 尚无访问权限" in at.warning[0].value.replace("\\", "").replace("\u2060", "")
    assert not at.metric and not at.dataframe and [b.label for b in at.button] == ["退出登录"]


def test_a_manager_sees_their_region_and_not_the_admin_pages(people, monkeypatch):
    at = signed_in(people, monkeypatch, "South@Example.cn", region="华东", **OCTOBER)
    assert at.multiselect(key="f.region").options == ["华南"]
    assert "region=华东" in " ".join(w.value for w in at.warning)
    assert cards(at)["销售额"][0] == "¥100.00"
    for page in ("pages/imports.py", "pages/settings.py", "pages/users.py"):
        # hidden from their navigation; by URL, the page refuses them and shows nothing of its own
        refused = signed_in(people, monkeypatch, "south@example.cn", page)
        assert "没有使用此页面的权限" in refused.error[0].value
        assert not refused.title and not refused.get("file_uploader") and not refused.dataframe
    wh = open_warehouse(people)
    signins = [r for r in access.audit_rows(wh) if r["action"] == "signin" and r["target"] == "south@example.cn"]
    assert signins and all(r["actor"] == "south@example.cn" for r in signins)


def test_the_first_admin_comes_from_the_environment(people, monkeypatch):
    monkeypatch.setenv("CSDASH_ADMINS", "new.admin@example.cn")
    at = signed_in(people, monkeypatch, "new.admin@example.cn", "pages/imports.py")
    assert at.title[0].value == "数据导入" and not at.error


def test_local_mode_refuses_an_address_that_is_not_loopback(fixture_db, monkeypatch):
    monkeypatch.setenv("CSDASH_DB", fixture_db)
    before = st.get_option("server.address")
    st.config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.run()
    finally:
        st.config.set_option("server.address", before)
    assert "127.0.0.1" in at.warning[0].value and not at.metric
    local = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    local.query_params.update(OCTOBER)
    local.run()
    assert any("本机模式" in c.value for c in local.sidebar.caption) and local.metric


def test_require_refuses_on_the_server():
    def script():
        import streamlit as st

        from ui.access import require

        require("load")
        st.markdown("admin content")

    for role, shown in (("manager", False), ("viewer", False), ("admin", True)):
        at = AppTest.from_function(script, default_timeout=30)
        at.session_state["ui.viewer"] = access.Viewer("x@example.cn", role=role)
        at.run()
        assert any(m.value == "admin content" for m in at.markdown) is shown, role
        assert bool(at.error) is not shown, role


def test_users_page_edits_views_as_and_audits(people, monkeypatch):
    at = signed_in(people, monkeypatch, "boss@example.cn", "pages/users.py")
    assert at.title[0].value == "用户与权限"
    # view as the 华南 manager: their scope and their navigation, with a banner to stop
    at.selectbox(key="users.view_as_who").set_value("south@example.cn")
    at.button(key="users.view_as_go").click()
    at.run()
    assert any("南区经理" in w.value for w in at.sidebar.warning)
    at.switch_page("pages/overview.py")
    at.run()
    assert at.multiselect(key="f.region").options == ["华南"] and any("南区经理" in w.value for w in at.sidebar.warning)
    at.switch_page("pages/users.py")          # their permissions while previewing: refused
    at.run()
    assert "没有使用此页面的权限" in at.error[0].value
    at.button(key="auth.end_view_as").click()
    at.run()
    assert not at.sidebar.warning
    wh = open_warehouse(people)
    actions = [(r["action"], r["target"], r["actor"]) for r in access.audit_rows(wh)]
    assert ("view_as", "south@example.cn", "boss@example.cn") in actions


def test_a_viewer_reads_but_does_not_write(people, monkeypatch):
    wh = open_warehouse(people)
    access.save_viewers(wh, [access.Viewer("reader@example.cn", "读者", "viewer")], by="test")
    at = signed_in(people, monkeypatch, "reader@example.cn", "pages/review.py", **OCTOBER)
    assert not [b for b in at.button if b.key in ("rv.create", "rv.refresh")]
    assert not at.get("text_area")


@pytest.mark.parametrize("role, allowed", [
    ("admin", {"publish", "edit_inputs", "refresh_pack", "settings", "load"}),
    ("manager", {"edit_inputs", "refresh_pack"}),
    ("viewer", set()),
])
def test_each_role_gets_exactly_its_actions(people, monkeypatch, role, allowed):
    """The controls each role is given, page by page, and the admin pages refused by URL to the others."""
    wh = open_warehouse(people)
    email = f"{role}.matrix@example.cn"
    access.save_viewers(wh, [access.Viewer(email, role, role, regions=() if role == "admin" else ("华南",))], by="t")
    ap = signed_in(people, monkeypatch, email, "pages/appraisal.py", **OCTOBER)
    keys = {b.key for b in ap.button}
    assert ("ap.publish" in keys) == ("publish" in allowed)
    assert ("ap.save_inputs" in keys) == ("edit_inputs" in allowed)
    rv = signed_in(people, monkeypatch, email, "pages/review.py", **OCTOBER)
    assert ("rv.create" in {b.key for b in rv.button}) == ("refresh_pack" in allowed)
    for page, action in (("pages/settings.py", "settings"), ("pages/imports.py", "load")):
        at = signed_in(people, monkeypatch, email, page)
        assert bool(at.title) == (action in allowed) and bool(at.error) != (action in allowed), (role, page)


def test_publishing_is_audited(people, monkeypatch):
    at = signed_in(people, monkeypatch, "boss@example.cn", "pages/appraisal.py", **OCTOBER)
    at.button(key="ap.publish").click()
    at.run()
    wh = open_warehouse(people)
    rows = [r for r in access.audit_rows(wh) if r["action"] == "publish"]
    assert rows and rows[0]["actor"] == "boss@example.cn" and "华南" not in rows[0]["detail"]


def test_a_provider_without_email_is_matched_by_subject(people, monkeypatch):
    wh = open_warehouse(people)
    access.save_viewers(wh, [access.Viewer("south@example.cn", "南区经理", "manager", regions=("华南",),
                                           subject="u-4711")], by="test")
    access.save_viewers(wh, [access.Viewer("south@example.cn", "南区经理", "manager", regions=("华南",))], by="t")
    assert access.get_viewer(wh, "south@example.cn").subject == "u-4711"      # an edit keeps the subject
    monkeypatch.setenv("CSDASH_DB", people)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "sub": "u-4711"}
    at.query_params.update(OCTOBER)
    at.run()
    assert not at.exception and at.multiselect(key="f.region").options == ["华南"]


def test_comments_settings_and_loads_by_role_and_their_audit(people, monkeypatch, tmp_path):
    """A manager comments on a review pack, a viewer may not; an admin's settings change and file load
    are recorded under their e-mail."""
    wh = open_warehouse(people)
    access.save_viewers(wh, [access.Viewer("reader2@example.cn", "读者", "viewer", regions=("华南",))], by="t")
    at = signed_in(people, monkeypatch, "south@example.cn", "pages/review.py", **OCTOBER)
    at.button(key="rv.create").click()
    at.run()
    assert at.text_area, "a manager writes comments"
    area = at.text_area[0]
    area.set_value("华南：下月加强回访")
    save = next(b for b in at.button if b.key and b.key.startswith("rv.save."))
    save.click()
    at.run()
    with wh.connect() as conn:
        bodies = [r[0] for r in conn.exec_driver_sql("SELECT body, updated_by FROM review_comments").fetchall()]
        by = {r[1] for r in conn.exec_driver_sql("SELECT body, updated_by FROM review_comments").fetchall()}
    assert "华南：下月加强回访" in bodies and by == {"south@example.cn"}
    reader = signed_in(people, monkeypatch, "reader2@example.cn", "pages/review.py", **OCTOBER)
    assert not reader.text_area and not [b for b in reader.button if b.key and b.key.startswith("rv.save.")]
    admin = signed_in(people, monkeypatch, "boss@example.cn", "pages/settings.py")
    admin.text_input(key="settings.ring_cycle_seconds").set_value("6")
    admin.button(key="settings.save").click()
    admin.run()
    rows = [r for r in access.audit_rows(wh) if r["action"] == "settings"]
    assert rows and rows[0]["actor"] == "boss@example.cn" and "ring_cycle_seconds" in rows[0]["target"]

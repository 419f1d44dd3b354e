"""Every page of the admin web interface, in both themes, at 1280x800 in Chromium: it answers
200 and nothing makes it wider than the window (`scrollWidth <= innerWidth`). The screenshots
(target/test-output/screenshots/layout-*.png) are there for a person to look at."""

import pytest

from admin_api import ADMIN_PASSWORD, logged_in_admin, wait_for_api
from browser import run_ui
from conftest import USER
from test_admin_api_resources import spooled


@pytest.fixture
def admin(server):
    wait_for_api(server)
    return logged_in_admin(server)


def test_every_page_fits_1280_pixels_in_both_themes(admin):
    domain = USER.split("@")[1]
    admin.heron.cli("alias", "add", f"sales@{domain}", USER)
    assert admin.post("/tokens", {"name": "backup script"}).status_code == 201
    entry = spooled(admin)
    admin.heron.cli("public", "add", domain, "Announcements/2026")
    admin.heron.cli("public", "grant", domain, "Announcements/2026", "anyone", "lr")
    pages = ["/", "/domains", f"/domains/{domain}", f"/domains/{domain}/users",
             f"/domains/{domain}/aliases", f"/domains/{domain}/public-folders",
             f"/users/{USER}", "/domain-defaults", "/settings",
             "/spool", f"/spool/{entry['id']}", "/tokens", "/services", "/connections",
             "/online", "/bindings", "/logs", "/messages", f"/domains/{domain}/dns",
             "/stats", f"/domains/{domain}/stats", f"/users/{USER}/stats"]
    out = run_ui(admin.heron, "every-page", "layout", timeout=300,
                 admin_password=ADMIN_PASSWORD, pages=pages)
    seen = {(p["path"], p["theme"]) for p in out["pages"]}
    for path in pages:
        for theme in ("light", "dark"):
            assert (path, theme) in seen, (path, theme)
    assert any(p["path"].startswith("/settings/") for p in out["pages"]), out
    bad = [p for p in out["pages"]
           if p["status"] != 200 or not p["title"] or p["scrollWidth"] > p["innerWidth"]]
    assert not bad, bad

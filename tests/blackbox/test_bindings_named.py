"""BIND-1 and BIND-2: the host's addresses with their listeners, and listeners with a name and
a description (optional; entries without them stay valid), through the API, the settings
value and the bindings page."""

from admin_api import admin, error_of  # noqa: F401 (fixture)
from conftest import HOST


def test_named_listeners_and_addresses(admin):  # noqa: F811
    h = admin.heron
    listeners = admin.get("/listeners").json()
    assert all("name" not in l for l in listeners)
    pop = next(l for l in listeners if l["protocol"] == "pop3" and l["encryption"] == "starttls")
    named = [dict(l, name="pop", description="POP3 for old phones") if l == pop else l
             for l in listeners]
    r = admin.put("/listeners", named)
    assert r.status_code == 200, r.text
    back = next(l for l in r.json() if l["protocol"] == "pop3" and l["encryption"] == "starttls")
    assert back["name"] == "pop" and back["description"] == "POP3 for old phones"
    value = admin.get("/settings/bind.listeners").json()["value"]
    assert f'pop3 starttls {HOST}:{h.pop3_port} name=pop description="POP3 for old phones"' \
        in value, value
    # The renamed listener still serves.
    p = h.pop()
    assert p.getwelcome().startswith(b"+OK")
    p.quit()
    for bad, field in [(dict(pop, name="two words"), "listeners[0].name"),
                       (dict(pop, description='say "hi"'), "listeners[0].description"),
                       (dict(pop, description="a, b"), "listeners[0].description")]:
        error_of(admin.put("/listeners", [bad]), 422, field)
    # The settings value takes the grammar directly too; a bad one is refused.
    r = admin.put("/settings/bind.listeners",
                  {"value": value.replace('description="POP3 for old phones"',
                                          'description="unclosed')})
    error_of(r, 422, "value")

    addrs = admin.get("/system/addresses").json()
    lo = next(a for a in addrs if a["address"] == HOST)
    assert lo["scope"] == "loopback"
    assert any(l.get("name") == "pop" for l in lo["listeners"]), lo
    page = admin.http.get(f"http://127.0.0.1:{h.admin_port}/bindings", timeout=30).text
    assert 'name="name" value="pop"' in page
    assert 'value="POP3 for old phones"' in page
    assert f'data-address="{HOST}"' in page

// Drives the admin web interface in headless Chromium, one scenario per run:
//
//   node ui.mjs SCENARIO BASE_URL SHOT_DIR 'JSON_ARGS'
//
// A scenario does what a person would do in the browser and checks what the page shows;
// any failed expectation throws, which exits 1 with the message on stderr. Each run saves a
// screenshot (SHOT_DIR/SCENARIO-*.png) and prints its result as one JSON line on stdout for
// the Python test, which checks the effect on the live server (a greeting, a port, a
// mailbox, a session).
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

const TIMEOUT = 10_000;

function expect(cond, what) {
  if (!cond) throw new Error("expected " + what);
}

async function login(page, base, username, password) {
  await page.goto(base + "/login");
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.click("#login button[type=submit]");
  await page.waitForURL((u) => !u.pathname.startsWith("/login"), { timeout: TIMEOUT });
}

async function text(page, selector) {
  await page.waitForFunction(
    (s) => { const e = document.querySelector(s); return e && e.textContent.trim() !== ""; },
    selector, { timeout: TIMEOUT });
  return (await page.textContent(selector)).trim();
}

const scenarios = {
  // admin/admin only leads to the password form, which then leads to the dashboard.
  async "first-login"(page, base, a, shot) {
    await page.goto(base + "/");
    expect(new URL(page.url()).pathname === "/login", "a redirect to /login, got " + page.url());
    await login(page, base, a.username || "admin", a.initial || "admin");
    expect(new URL(page.url()).pathname === "/password", "the forced password page, got " + page.url());
    await page.waitForSelector("[data-must-change]");
    await page.goto(base + "/domains");
    expect(new URL(page.url()).pathname === "/password", "/domains to stay closed before the change");
    await page.fill("#current", a.initial || "admin");
    await page.fill("#new", a.weak);
    await page.fill("#confirm", a.weak);
    await page.click("#password-form button[type=submit]");
    const weak = await text(page, '[data-error-for="new"]');
    await shot("policy");
    await page.fill("#new", a.password);
    await page.fill("#confirm", a.password);
    await page.click("#password-form button[type=submit]");
    await page.waitForURL(base + "/", { timeout: TIMEOUT });
    await page.waitForSelector("h1:has-text('Dashboard')");
    await shot("dashboard");
    return { weak_error: weak };
  },

  // A new domain, then a user: first with a password the policy refuses, then a good one.
  async "domain-user"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/domains");
    await page.fill("#new-domain-name", a.domain);
    await page.click("#new-domain button[type=submit]");
    await page.waitForURL(base + "/domains/" + a.domain, { timeout: TIMEOUT });
    await page.click(".tabs a:has-text('Users')");
    await page.waitForURL(base + "/domains/" + a.domain + "/users", { timeout: TIMEOUT });
    await page.fill("#new-user-local", a.local);
    await page.fill("#new-user-password", a.weak);
    await page.click("#new-user button[type=submit]");
    const err = await text(page, '#new-user [data-error-for="password"]');
    const invalid = await page.getAttribute("#new-user-password", "aria-invalid");
    await shot("field-error");
    await page.fill("#new-user-password", a.good);
    await page.click("#new-user button[type=submit]");
    const address = a.local + "@" + a.domain;
    await page.waitForSelector(`tr[data-user="${address}"]`, { timeout: TIMEOUT });
    await shot("user-added");
    await page.goto(base + "/domains?q=" + encodeURIComponent(a.domain));
    await page.waitForSelector(`tr[data-domain="${a.domain}"]`);
    return { field_error: err, aria_invalid: invalid };
  },

  // A domain administrator adds a public folder on the domain's Public folders tab, then
  // lets every user of the domain read it.
  async "public-folder"(page, base, a, shot) {
    await login(page, base, a.username, a.password);
    await page.goto(base + "/domains/" + a.domain);
    await page.click(".tabs a:has-text('Public folders')");
    await page.waitForURL(base + "/domains/" + a.domain + "/public-folders", { timeout: TIMEOUT });
    await page.fill("#new-public-folder-name", "a//b");
    await page.click("#new-public-folder button[type=submit]");
    const err = await text(page, '#new-public-folder [data-error-for="name"]');
    await page.fill("#new-public-folder-name", a.folder);
    await page.click("#new-public-folder button[type=submit]");
    const row = `tr[data-folder="${a.folder}"]`;
    await page.waitForSelector(row, { timeout: TIMEOUT });
    await page.fill(`${row} [name=grantee]`, "anyone");
    await page.fill(`${row} [name=rights]`, "lr");
    await page.click(`${row} button[type=submit]`);
    await page.waitForSelector(`${row} .entry:has-text("anyone")`, { timeout: TIMEOUT });
    const rights = await text(page, `${row} .entry`);
    await shot("granted");
    return { name_error: err, rights };
  },

  // Change one setting on its settings tab.
  async "setting"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/settings/" + a.group);
    const form = `form[data-setting="${a.key}"]`;
    const label = await text(page, `${form} label`);
    await page.fill(`${form} [name=value]`, a.value);
    await page.click(`${form} button[type=submit]`);
    const ok = await text(page, `${form} [data-form-ok]`);
    await shot("saved");
    return { saved: ok, label };
  },

  // Test a message on the Spam filter page: an .eml file chosen in the file field fills the
  // message, and the answer is shown as weight, level, action and a row per check.
  async "filter-test"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/filter");
    await page.setInputFiles("#file", { name: "offer.eml", mimeType: "message/rfc822",
                                        buffer: Buffer.from(a.message) });
    await page.waitForFunction(() => document.querySelector("#message").value.includes("Subject:"),
                               null, { timeout: TIMEOUT });
    await page.fill("#ip", a.ip);
    await page.click("#filter-test button[type=submit]");
    await page.waitForSelector("[data-verdict]:not([hidden])", { timeout: TIMEOUT });
    const rows = await page.$$eval("[data-verdict-hits] tr", (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => td.textContent)));
    await shot("verdict");
    return {
      weight: await text(page, "[data-verdict-weight]"),
      level: await text(page, "[data-verdict-level]"),
      action: await text(page, "[data-verdict-action]"),
      rows,
    };
  },

  // A domain's own spam policy on its Spam filter tab: a threshold typed, an action chosen,
  // another field emptied (back to the server's), saved as a whole.
  async "filter-policy"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + `/domains/${a.domain}/filter`);
    const row = (level) => `#filter-policy tr[data-level="${level}"]`;
    await page.fill(`${row("medium")} [name=level_medium]`, "7");
    await page.selectOption(`${row("medium")} [name=action_medium]`, "subject");
    await page.fill(`${row("high")} [name=text_high]`, "");
    await page.selectOption("#enabled", "false");
    await page.click("#filter-policy button[type=submit]");
    const ok = await text(page, "#filter-policy [data-form-ok]");
    await shot("saved");
    // A bad value is refused next to its field.
    await page.fill(`${row("low")} [name=level_low]`, "99999999999999999999");
    await page.click("#filter-policy button[type=submit]");
    const err = await text(page, `${row("low")} [data-error-for="level_low"]`);
    return { ok, field_error: err };
  },

  // A domain bound to an address with an alternate SMTP port on its General tab, then its
  // DNS tab listing the records to publish.
  async "domain-binding"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + `/domains/${a.domain}`);
    await page.fill("#bind_ip", a.ip);
    await page.fill("#smtp_alt_port", String(a.port));
    await page.click("#domain-form button[type=submit]");
    const ok = await text(page, "#domain-form [data-form-ok]");
    await shot("bound");
    await page.fill("#bind_ip", "no-address");
    await page.click("#domain-form button[type=submit]");
    const err = await text(page, '#domain-form [data-error-for="bind_ip"]');
    await page.click('nav.tabs a[href$="/dns"]');
    await page.waitForSelector("#dns-records tr[data-record]", { timeout: TIMEOUT });
    const records = await page.$$eval("#dns-records tr[data-record]",
      (trs) => trs.map((tr) => tr.getAttribute("data-record")));
    await shot("dns");
    return { ok, field_error: err, records };
  },

  // A user's own sending throttles and greylisting switch, saved from the user's page.
  async "user-throttles"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + `/users/${a.user}`);
    await page.fill("#user-form [name=messages_per_hour]", "40");
    await page.fill("#user-form [name=mb_per_hour]", "0");
    await page.uncheck("#user-form [name=greylisting]");
    await page.click("#user-form button[type=submit]");
    const ok = await text(page, "#user-form [data-form-ok]");
    await shot("saved");
    return { ok };
  },

  // Move one listener to another port on the bindings page.
  async "move-listener"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/bindings");
    const row = `tr[data-listener="${a.from}"]`;
    await page.waitForSelector(row);
    await page.fill(`${row} [name=address]`, a.to_address);
    await page.click("#listeners-form button[type=submit]");
    await page.waitForSelector(`tr[data-listener="${a.to}"]`, { timeout: TIMEOUT });
    await shot("moved");
    return {};
  },

  // A bad listener address is refused with the message next to that row's field.
  async "bad-listener"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/bindings");
    await page.fill("tr[data-new-listener] [name=address]", a.address);
    await page.click("#listeners-form button[type=submit]");
    const err = await text(page, 'tr[data-new-listener] [data-error-for="address"]');
    await shot("error");
    return { field_error: err };
  },

  // Upload a certificate chain and key, chosen as files, for one listener on the bindings
  // page (over HTTPS with the self-signed certificate); the page then lists it.
  async "upload-certificate"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/bindings");
    await page.selectOption("#certificate-form [name=listener]", a.listener);
    await page.setInputFiles("#certificate-form input[data-file-into=cert]", a.cert_file);
    await page.setInputFiles("#certificate-form input[data-file-into=key]", a.key_file);
    await page.waitForFunction(
      () => document.querySelector("#certificate-form [name=key]").value.includes("PRIVATE KEY"));
    await shot("filled");
    await page.click("#certificate-form button[type=submit]");
    const row = `tr[data-certificate]:has(td[data-cert-names]:has-text("${a.name}"))`;
    await page.waitForSelector(row, { timeout: TIMEOUT });
    await shot("listed");
    return { row: (await page.textContent(row)).replace(/\s+/g, " ").trim() };
  },

  // Delete one message on the spool page.
  async "spool-delete"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/spool");
    const row = `tr[data-spool="${a.id}"]`;
    await page.waitForSelector(row);
    await shot("before");
    await page.click(`${row} button:has-text('Delete')`);
    await page.waitForSelector(row, { state: "detached", timeout: TIMEOUT });
    await shot("after");
    return { rows_left: await page.locator("tr[data-spool]").count() };
  },

  // End a user's live session from Online users.
  async "end-session"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/online");
    const row = `tr[data-online-user="${a.user}"]`;
    await page.waitForSelector(row);
    await shot("before");
    await page.click(`${row} button:has-text('End session')`);
    await page.waitForLoadState("load");
    // The list is read again after the reload; the ended session may take a moment to go.
    for (let i = 0; i < 20; i++) {
      if (await page.locator(row).count() === 0) break;
      await page.waitForTimeout(250);
      await page.goto(base + "/online");
    }
    expect(await page.locator(row).count() === 0, "the session to be gone from Online users");
    await shot("after");
    return {};
  },

  // Show one session's lines of a log.
  async "log-session"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/logs?type=" + a.type);
    // Each line is text; only its session id is a link.
    const links = await page.$$eval("[data-log-lines] a", (l) => l.map((e) => e.textContent));
    await page.goto(base + "/logs");
    await page.selectOption("#type", a.type);
    await page.fill("#session", a.session);
    await page.click("#log-filter button[type=submit]");
    await page.waitForURL((u) => u.searchParams.get("session") === a.session, { timeout: TIMEOUT });
    const lines = (await page.textContent("[data-log-lines]")).split("\n").filter((l) => l.trim() !== "");
    await shot("filtered");
    return { lines, links };
  },

  // Stop or start a service on the services page.
  async "service"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/services");
    const row = `tr[data-service="${a.name}"]`;
    await page.click(`${row} button:has-text('${a.action}')`);
    const want = a.action === "Stop" ? "stopped" : "running";
    await page.waitForSelector(`${row} .badge:has-text('${want}')`, { timeout: TIMEOUT });
    await shot(a.action.toLowerCase());
    return {};
  },

  // Stop or start a service on one node, in the services page's per-node table.
  async "node-service"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/services");
    const cell = `tr[data-node="${a.node}"] td[data-service="${a.name}"]`;
    await page.click(`${cell} button:has-text('${a.action}')`);
    const want = a.action === "Stop" ? "stopped here" : "running";
    await page.waitForSelector(`${cell} .badge:has-text('${want}')`, { timeout: TIMEOUT });
    const cluster = (await page.textContent(`tr[data-service="${a.name}"] .badge`)).trim();
    await shot(a.action.toLowerCase());
    await page.goto(base + "/");
    const dashboard = (await page.textContent(`tr[data-node="${a.node}"] [data-stopped]`)).trim();
    return { cluster, dashboard };
  },

  // Act as a user from their page, then go back.
  async "impersonate"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/users/" + a.user);
    await page.click("button:has-text('Act as this user')");
    await page.waitForSelector("[data-impersonating]", { timeout: TIMEOUT });
    const banner = (await page.textContent("[data-impersonating]")).replace(/\s+/g, " ").trim();
    const nav = await page.locator("nav.side a").allTextContents();
    await shot("acting");
    await page.click("[data-impersonating] button");
    await page.waitForSelector("h1:has-text('Dashboard')", { timeout: TIMEOUT });
    await shot("back");
    return { banner, nav };
  },

  // Domain defaults: reach the page from the navigation, change one default, try to
  // propagate with nothing ticked, then tick that one field and propagate it.
  async "propagate"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/domains");
    await page.click("nav.side a:has-text('Domain defaults')");
    await page.waitForURL(base + "/domain-defaults", { timeout: TIMEOUT });
    // One form, one Save: a bad value is refused at its field and nothing is stored.
    const saves = await page.$$eval("#defaults button[type=submit]", (l) => l.length);
    await page.fill(`#defaults [name=${a.field}]`, "lots");
    await page.fill("#defaults [name=max_users]", "150");
    await page.click("#defaults button[type=submit]");
    const bad = await text(page, `#defaults [data-error-for="${a.field}"]`);
    await page.fill(`#defaults [name=${a.field}]`, a.value);
    await page.click("#defaults button[type=submit]");
    const saved = await text(page, "#defaults [data-form-ok]");
    await page.click("#propagate button[type=submit]");
    const empty = await text(page, '#propagate [data-error-for="fields"]');
    await shot("nothing-ticked");
    await page.check(`#propagate input[data-field="${a.field}"]`);
    await page.click("#propagate button[type=submit]");
    const done = await text(page, "#propagate [data-form-ok]");
    await shot("propagated");
    return { saves, bad, saved, empty_error: empty, done };
  },

  // Write to all users of a domain from the mass-messaging page.
  async "mass-message"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/messages");
    await page.selectOption("#to", "domain");
    await page.fill("#domain", a.domain);
    await page.fill("#subject", a.subject);
    await page.fill("#body", a.body);
    await page.click("#message-form button[type=submit]");
    const done = await text(page, "#message-form [data-form-ok]");
    await shot("sent");
    return { done };
  },

  // A domain alias and a DKIM key from the domain's page.
  async "domain-extras"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/domains/" + a.domain);
    await page.fill("#alias", a.alias);
    await page.click("#new-domain-alias button[type=submit]");
    await page.waitForSelector(`tr[data-domain-alias="${a.alias}"]`, { timeout: TIMEOUT });
    await page.selectOption("#algorithm", "ed25519");
    await page.click("#new-dkim button[type=submit]");
    const record = await text(page, "[data-dkim-record]");
    await shot("done");
    return { record };
  },

  // A new API token: its row is in the list at once and the secret box appears only then.
  async "new-token"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/tokens");
    const boxBefore = await page.isVisible("[data-token-box]");
    await page.fill("#token-name", a.name);
    await page.click("#new-token button[type=submit]");
    await page.waitForSelector("[data-token-box]:not([hidden])", { timeout: TIMEOUT });
    const secret = await text(page, "[data-token-out]");
    const names = await page.$$eval("tr[data-token-row] td:first-child", (l) => l.map((e) => e.textContent.trim()));
    const nameField = await page.inputValue("#token-name");
    await shot("created");
    return { box_before: boxBefore, secret, names, name_field: nameField };
  },

  // Every page given (and every settings group linked from /settings) in both themes at
  // 1280x800: each answers 200, and none is wider than the window.
  async "every-page"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(base + "/settings");
    const groups = await page.$$eval("main a[href^='/settings/']", (l) => l.map((e) => e.getAttribute("href")));
    const paths = [...a.pages, ...new Set(groups)];
    const host = new URL(base).hostname;
    const results = [];
    for (const theme of ["light", "dark"]) {
      await page.context().addCookies([{ name: "heron_theme", value: theme, domain: host, path: "/" }]);
      for (const p of paths) {
        const response = await page.goto(base + p);
        await page.waitForLoadState("networkidle");
        const m = await page.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth,
          theme: document.documentElement.getAttribute("data-theme"),
          title: document.querySelector("h1") ? document.querySelector("h1").textContent.trim() : "",
          wide: [...document.querySelectorAll("main *")]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 3).map((e) => e.tagName + (e.className ? "." + e.className : "")),
        }));
        const name = theme + "-" + (p === "/" ? "dashboard" : p.slice(1).replace(/[^A-Za-z0-9.@-]+/g, "_"));
        await shot(name);
        results.push({ path: p, theme: m.theme, status: response.status(), title: m.title,
          scrollWidth: m.scrollWidth, innerWidth: m.innerWidth, wide: m.wide });
      }
    }
    return { pages: results };
  },

  // Statistics: from the domain page's tab to its charts, then from a user's page to theirs;
  // reports each chart's bars as drawn (rendered height in pixels and value).
  async "stats-chart"(page, base, a, shot) {
    await login(page, base, a.username, a.password);
    await page.goto(base + "/domains/" + a.domain);
    await page.click(".tabs a:has-text('Statistics')");
    await page.waitForURL(base + "/domains/" + a.domain + "/stats", { timeout: TIMEOUT });
    // By hour over the default period (the last 48 hours).
    await page.fill("#from", "");
    await page.fill("#to", "");
    await page.selectOption("#bucket", "hour");
    await page.click("#stats-period button[type=submit]");
    await page.waitForURL((u) => u.searchParams.get("bucket") === "hour", { timeout: TIMEOUT });
    await page.waitForSelector("figure[data-chart='messages_in'] svg rect.bar", { state: "attached" });
    await shot("domain");
    const bars = async () => page.$$eval("figure[data-chart] svg rect.bar", (rs) => rs.map((r) => ({
      chart: r.closest("figure").getAttribute("data-chart"),
      value: Number(r.getAttribute("data-value")),
      height: r.getBoundingClientRect().height,
    })));
    const domain = await bars();
    const totals = await page.$$eval("[data-total]", (ts) => Object.fromEntries(
      ts.map((t) => [t.getAttribute("data-total"), t.textContent.trim()])));
    await page.goto(base + "/users/" + a.user);
    await page.click("[data-user-stats]");
    await page.waitForURL(base + "/users/" + a.user + "/stats", { timeout: TIMEOUT });
    await page.waitForSelector("figure[data-chart='logins'] svg rect.bar", { state: "attached" });
    await shot("user");
    const user = await bars();
    return { domain, totals, user };
  },

  // The theme switch flips the page and is remembered.
  async "theme"(page, base, a, shot) {
    await login(page, base, "admin", a.admin_password);
    await page.goto(base + "/domains");
    const before = await page.getAttribute("html", "data-theme");
    await page.click("[data-theme-toggle]");
    const after = await page.getAttribute("html", "data-theme");
    await page.reload();
    const kept = await page.getAttribute("html", "data-theme");
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await shot(kept);
    return { before, after, kept, background: bg };
  },
};

async function main() {
  const [name, base, shotDir, raw] = process.argv.slice(2);
  const scenario = scenarios[name];
  if (!scenario) throw new Error("unknown scenario " + name);
  const args = raw ? JSON.parse(raw) : {};
  fs.mkdirSync(shotDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.HERON_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  let page;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 },
      ignoreHTTPSErrors: base.startsWith("https:") });
    if (args.theme) {
      const u = new URL(base);
      await context.addCookies([{ name: "heron_theme", value: args.theme, domain: u.hostname, path: "/" }]);
    }
    page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on("dialog", (d) => d.accept());
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const prefix = args.shot_name || name;
    const shot = async (step) => {
      const file = path.join(shotDir, `${prefix}-${step}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.error("screenshot: " + file);
    };
    const result = await scenario(page, base, args, shot);
    expect(errors.length === 0, "no script errors, got " + errors.join("; "));
    console.log(JSON.stringify(result || {}));
  } catch (e) {
    if (page) {
      const file = path.join(shotDir, `${args.shot_name || name}-failure.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.error("screenshot: " + file);
    }
    throw e;
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});

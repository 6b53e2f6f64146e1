// Metro Portal browser suite: real headless Chromium (Debian's), keyboard-only journeys,
// and axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on every page the portal has.
//
// Expects a portal started with `serve --demo` at BASE_URL, its data directory at
// METRO_DATA_DIR (emails are read from the file transport) and METRO_DEMO_PASSWORD.

import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const require = createRequire(import.meta.url);
const BASE = (process.env.BASE_URL || "http://127.0.0.1:8099").replace(/\/$/, "");
const PASSWORD = process.env.METRO_DEMO_PASSWORD;
const DATA_DIR = process.env.METRO_DATA_DIR;
const SHOTS = process.env.E2E_SCREENSHOTS; // optional folder for screenshots
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

if (!PASSWORD || !DATA_DIR) {
  console.error("Set METRO_DEMO_PASSWORD and METRO_DATA_DIR");
  process.exit(2);
}

let passed = 0;
let failed = 0;

async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${name}\n     ${String(error.message || error).split("\n").join("\n     ")}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Runs axe on the page as it is now; throws listing every violation. */
async function axe(page, label) {
  if (SHOTS) {
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${label.replace(/[^a-z0-9]+/gi, "_")}.png`), fullPage: true });
  }
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
    WCAG_TAGS,
  );
  const problems = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
  assert(problems.length === 0, `${label}: ${problems.length} axe violation(s)\n${problems.join("\n")}`);
}

async function page_axe(page, url, label, expectStatus = 200) {
  const response = await page.goto(BASE + url);
  assert(response.status() === expectStatus, `${url} answered ${response.status()}, expected ${expectStatus}`);
  await axe(page, label);
}

/** Presses Tab until the focused element matches `selector` (at most 40 times). */
async function tabTo(page, selector) {
  for (let i = 0; i < 80; i += 1) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
  }
  throw new Error(`could not reach ${selector} with the Tab key (80 presses)`);
}

async function focusIsVisible(page) {
  return page.evaluate(() => {
    const style = getComputedStyle(document.activeElement);
    return style.outlineStyle !== "none" || style.boxShadow !== "none";
  });
}

/** Signs in with the keyboard alone, starting from the start page. */
async function keyboardSignIn(page, email) {
  await page.goto(BASE + "/");
  await page.keyboard.press("Tab");
  const first = await page.evaluate(() => document.activeElement.textContent.trim());
  assert(first === "Skip to main content", `first Tab stop is "${first}", not the skip link`);
  assert(await focusIsVisible(page), "the skip link has no visible focus");
  await tabTo(page, 'a[href="/login"]');
  await Promise.all([page.waitForURL(/\/login/), page.keyboard.press("Enter")]);
  await tabTo(page, "#email");
  assert(await focusIsVisible(page), "the email field has no visible focus");
  await page.keyboard.type(email);
  await page.keyboard.press("Tab");
  assert(await page.evaluate(() => document.activeElement.id === "password"), "Tab from email does not reach password");
  await page.keyboard.type(PASSWORD);
  await Promise.all([page.waitForURL(BASE + "/"), page.keyboard.press("Enter")]);
  const header = await page.textContent(".site-header");
  assert(header.includes("Sign out"), "not signed in after the keyboard journey");
}

/** The newest link under `route` in an email to `to`, from the file transport's .eml files. */
async function emailedLink(to, route) {
  const dir = path.join(DATA_DIR, "mail");
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".eml")) : [];
    const found = files
      .map((f) => ({ f, mtime: fs.statSync(path.join(dir, f)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime)
      .map(({ f }) => fs.readFileSync(path.join(dir, f), "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "="))
      .find((text) => text.toLowerCase().includes(`to: ${to}`) || text.includes(`<${to}>`));
    if (found) {
      const match = found.match(new RegExp(`https?://[^\\s"<]+${route}/[A-Za-z0-9_.-]+`));
      if (match) return match[0];
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no email to ${to} with a ${route} link`);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  return context.newPage();
}

try {
  const anon = await newPage();
  await check("start page passes axe", () => page_axe(anon, "/", "start"));
  await check("sign-in page passes axe", () => page_axe(anon, "/login", "login"));
  await check("accessibility statement passes axe", () => page_axe(anon, "/accessibility", "accessibility"));
  await check("password reset request passes axe", () => page_axe(anon, "/password-reset", "reset_request"));
  await check("not-found page passes axe", () => page_axe(anon, "/no-such-page", "not_found", 404));
  await check("sign-in errors are summarised, focused and pass axe", async () => {
    await anon.goto(BASE + "/login");
    await Promise.all([anon.waitForLoadState("load"), anon.click("button[type=submit]")]);
    await anon.waitForSelector("[data-error-summary]");
    const focused = await anon.evaluate(() => document.activeElement.hasAttribute("data-error-summary"));
    assert(focused, "the error summary does not take focus");
    await axe(anon, "login_errors");
  });
  await check("password reset errors pass axe", async () => {
    await anon.goto(BASE + "/password-reset");
    await anon.fill("#email", "not an email");
    await Promise.all([anon.waitForLoadState("load"), anon.click("main button[type=submit]")]);
    await anon.waitForSelector("[data-error-summary]");
    await axe(anon, "reset_request_errors");
  });
  await check("check-your-email page passes axe", async () => {
    await anon.goto(BASE + "/password-reset");
    await anon.fill("#email", "staff@derby.example");
    await Promise.all([anon.waitForURL(/password-reset/), anon.click("main button[type=submit]")]);
    assert((await anon.textContent("h1")).includes("Check your email"), "no confirmation page");
    await axe(anon, "reset_sent");
  });
  await check("password reset link page passes axe, with and without errors", async () => {
    const link = await emailedLink("staff@derby.example", "/password-reset");
    await anon.goto(link);
    await axe(anon, "reset_form");
    await anon.fill("#password", "short");
    await anon.fill("#confirm", "short");
    await Promise.all([anon.waitForLoadState("load"), anon.click("main button[type=submit]")]);
    await anon.waitForSelector("[data-error-summary]");
    await axe(anon, "reset_form_errors");
  });

  const platform = await newPage();
  await check("a platform admin signs in with the keyboard alone", () => keyboardSignIn(platform, "platform@metro.example"));
  await check("signed-in start page passes axe", () => page_axe(platform, "/", "home_signed_in"));
  await check("account page passes axe", () => page_axe(platform, "/account", "account"));
  await check("admin page passes axe", () => page_axe(platform, "/admin", "admin"));
  await check("organisations page passes axe", () => page_axe(platform, "/admin/organisations", "organisations"));
  await check("organisation form errors pass axe", async () => {
    await platform.goto(BASE + "/admin/organisations");
    await Promise.all([platform.waitForLoadState("load"), platform.click("main form button[type=submit]")]);
    await platform.waitForSelector("[data-error-summary]");
    await axe(platform, "organisations_errors");
  });
  await check("a platform admin adds an organisation with the keyboard", async () => {
    await platform.goto(BASE + "/admin/organisations");
    await tabTo(platform, "#name");
    await platform.keyboard.type("East Midlands Councils");
    await platform.keyboard.press("Tab");
    assert(await platform.evaluate(() => document.activeElement.id === "slug"), "Tab from name does not reach short name");
    await platform.keyboard.press("Tab");
    assert(await platform.evaluate(() => document.activeElement.id === "kind"), "Tab from short name does not reach kind");
    await platform.keyboard.type("Other");
    const kind = await platform.evaluate(() => document.getElementById("kind").value);
    assert(kind === "other", `typing chose "${kind}"`);
    await platform.keyboard.press("Tab");
    assert(await platform.evaluate(() => document.activeElement.matches("button[type=submit]")), "Tab from kind does not reach the button");
    await Promise.all([platform.waitForURL(/\/admin\/organisations$/), platform.keyboard.press("Enter")]);
    await platform.waitForSelector(".notification-banner");
    assert((await platform.textContent("main")).includes("East Midlands Councils has been added"), "no confirmation");
    await axe(platform, "organisations_added");
  });
  await check("sign-out page passes axe", () => page_axe(platform, "/logout", "logout"));

  const admin = await newPage();
  await check("an org admin signs in with the keyboard alone", () => keyboardSignIn(admin, "admin@derby.example"));
  await check("people page passes axe", async () => {
    await admin.goto(BASE + "/admin");
    assert(/\/admin\/organisations\/\d+\/users$/.test(admin.url()), `admin went to ${admin.url()}`);
    await axe(admin, "people");
  });
  await check("invitation form errors pass axe", async () => {
    await admin.fill("#email", "nope");
    await Promise.all([admin.waitForLoadState("load"), admin.click('form[action$="/invitations"] button[type=submit]')]);
    await admin.waitForSelector("[data-error-summary]");
    await axe(admin, "invite_errors");
  });
  await check("an invitation is sent, accepted and its pages pass axe", async () => {
    await admin.goto(BASE + "/admin");
    await admin.fill("#email", "new.officer@derby.example");
    await admin.selectOption("#role", "staff");
    await admin.click('form[action$="/invitations"] button[type=submit]');
    await admin.waitForSelector(".notification-banner");
    assert((await admin.textContent("main")).includes("An invitation has been sent"), "no confirmation");
    const link = await emailedLink("new.officer@derby.example", "/invitations");
    const newcomer = await newPage();
    await newcomer.goto(link);
    await axe(newcomer, "invitation");
    await newcomer.fill("#name", "Nia Officer");
    await newcomer.fill("#password", "password1234");
    await newcomer.fill("#confirm", "password1234");
    await Promise.all([newcomer.waitForLoadState("load"), newcomer.click("main button[type=submit]")]);
    await newcomer.waitForSelector("[data-error-summary]");
    await axe(newcomer, "invitation_errors");
    await newcomer.fill("#password", "three random words here");
    await newcomer.fill("#confirm", "three random words here");
    await Promise.all([newcomer.waitForURL(/\/login$/), newcomer.click("main button[type=submit]")]);
    assert((await newcomer.textContent("main")).includes("Your account is ready"), "no confirmation after accepting");
    await axe(newcomer, "login_with_flash");
    const used = await newcomer.goto(link);
    assert(used.status() === 400, `a used invitation answered ${used.status()}`);
    await axe(newcomer, "invitation_used");
  });

  // Workspaces: every page, as a lead organisation's officer and as a platform admin.
  const api = async (path) => (await fetch(BASE + "/api/v1" + path)).json();
  const ws = "/workspaces/transport-connectivity";
  const firstPost = (await api(`${ws}/posts`)).items[0].id;
  const redAction = (await api(`${ws}/actions?rag=red`)).items[0].id;
  const firstMeasure = (await api(`${ws}/measures`)).items[0].id;
  const officer = await newPage();
  await check("a lead officer signs in with the keyboard alone", () => keyboardSignIn(officer, "staff@nottingham.example"));
  for (const [path, label] of [
    ["/workspaces", "workspaces"],
    [ws, "ws_overview"],
    [`${ws}/updates`, "ws_updates"],
    [`${ws}/updates/${firstPost}`, "ws_post"],
    [`${ws}/updates/${firstPost}/edit`, "ws_post_edit"],
    [`${ws}/actions`, "ws_actions"],
    [`${ws}/actions?rag=red`, "ws_actions_red"],
    [`${ws}/actions/new`, "ws_action_new"],
    [`${ws}/actions/${redAction}`, "ws_action"],
    [`${ws}/actions/${redAction}/edit`, "ws_action_edit"],
    [`${ws}/outcomes`, "ws_outcomes"],
    [`${ws}/measures/new`, "ws_measure_new"],
    [`${ws}/measures/${firstMeasure}`, "ws_measure"],
    [`${ws}/members`, "ws_members"],
  ]) {
    await check(`${path} passes axe`, () => page_axe(officer, path, label));
  }
  const formErrors = [
    ["the update form", `${ws}/updates`, 'form[action$="/updates"] button[type=submit]', async (p) => p.click("summary")],
    ["the action form", `${ws}/actions/new`, "main form button[type=submit]", async (p) => p.fill("#progress", "150")],
    ["the outcome form", `${ws}/outcomes`, 'form[action$="/outcomes"] button[type=submit]', async () => {}],
    ["the measure form", `${ws}/measures/new`, "main form button[type=submit]", async () => {}],
    ["the reading form", `${ws}/measures/${firstMeasure}`, 'form[action$="/readings"] button[type=submit]', async (p) => p.fill("#quarter", "Q9")],
    ["the members form", `${ws}/members`, 'form[action$="/members"] button[type=submit]', async () => {}],
    ["the milestone form", `${ws}/actions/${redAction}`, 'form[action$="/milestones"] button[type=submit]', async () => {}],
  ];
  for (const [name, path, button, prepare] of formErrors) {
    await check(`${name} shows its errors accessibly`, async () => {
      await officer.goto(BASE + path);
      await prepare(officer);
      await officer.click(button);
      await officer.waitForSelector("[data-error-summary]");
      await axe(officer, `errors_${name.replace(/ /g, "_")}`);
    });
  }
  await check("a programme lead imports a quarter's readings kept a column a quarter, with the keyboard alone; axe on each step", async () => {
    await page_axe(officer, `${ws}/actions/import`, "ws_import_actions");
    await page_axe(officer, `${ws}/readings/import`, "ws_import_readings");
    const file = path.join(DATA_DIR, "tracker.csv");
    fs.writeFileSync(file, "Transport tracker,,\n,,\nKPI,2030/31 Q1,2030/31 Q2\nCommuters between the cities travelling by public transport,20.5,21\n");
    await officer.setInputFiles("#file", file);
    await tabTo(officer, "#header_row");
    await officer.keyboard.type("3");
    await tabTo(officer, "main form button[type=submit]");
    await Promise.all([officer.waitForNavigation(), officer.keyboard.press("Enter")]);
    await officer.waitForSelector("#confirm");
    const main = await officer.textContent("main");
    assert(main.includes("headings on row 3"), "the heading row given was not used");
    assert(main.includes("Ready: 2 would be created"), `no preview of two readings: ${main.slice(0, 400)}`);
    await axe(officer, "ws_import_readings_preview");
    await tabTo(officer, "#confirm");
    await Promise.all([officer.waitForNavigation(), officer.keyboard.press("Enter")]);
    await officer.waitForSelector(".notification-banner");
    assert((await officer.textContent(".notification-banner")).includes("2 created"), "the readings were not imported");
    await axe(officer, "ws_import_readings_done");
    const shown = await (await officer.request.get(BASE + `${ws}/outcomes`)).text();
    assert(shown.includes("2030/31 Q2"), "the imported quarter is not on the outcomes page");
  });
  await check("an update is posted with the keyboard alone", async () => {
    await officer.goto(BASE + `${ws}/updates`);
    await tabTo(officer, "summary");
    await officer.keyboard.press("Enter");
    await officer.keyboard.press("Tab");
    assert(await officer.evaluate(() => document.activeElement.id === "title"), "Tab from the summary does not reach the title");
    await officer.keyboard.type("Keyboard update on Toton");
    await officer.keyboard.press("Tab");
    await officer.keyboard.type("Typed without a mouse. **Bold** works.");
    await officer.keyboard.press("Tab");
    assert(await officer.evaluate(() => document.activeElement.matches("button[type=submit]")), "Tab from the update does not reach the button");
    await officer.keyboard.press("Enter");
    await officer.waitForSelector(".notification-banner");
    assert((await officer.textContent("main")).includes("Your update has been posted"), "no confirmation");
    assert((await officer.innerHTML("main")).includes("<strong>Bold</strong>"), "the Markdown was not rendered");
  });
  await check("an action's RAG is changed with the keyboard alone", async () => {
    await officer.goto(BASE + `${ws}/actions/${redAction}`);
    await tabTo(officer, `a[href$="/actions/${redAction}/edit"]`);
    await Promise.all([officer.waitForURL(/\/edit$/), officer.keyboard.press("Enter")]);
    await tabTo(officer, "input[name=rag]:checked");
    await officer.keyboard.press("ArrowDown");
    const rag = await officer.evaluate(() => document.querySelector("input[name=rag]:checked").value);
    assert(rag === "amber", `the arrow key chose ${rag}`);
    await officer.keyboard.press("Tab");
    assert(await officer.evaluate(() => document.activeElement.id === "rag_reason"), "Tab from RAG does not reach the reason");
    await officer.keyboard.press("Control+A");
    await officer.keyboard.type("Operators are close to agreeing revenue sharing");
    await officer.keyboard.press("Tab");
    await officer.keyboard.press("Enter");
    await officer.waitForSelector(".notification-banner");
    const main = await officer.textContent("main");
    assert(main.includes("The action has been updated") && main.includes("Amber"), "the RAG did not change");
    await axe(officer, "ws_action_updated");
  });
  const platformWs = await newPage();
  await check("a platform admin signs in again with the keyboard", () => keyboardSignIn(platformWs, "platform@metro.example"));
  await check("the new workspace page passes axe", () => page_axe(platformWs, "/workspaces/new", "ws_new"));
  await check("the workspace settings page passes axe", () => page_axe(platformWs, `${ws}/edit`, "ws_edit"));
  await check("the members-only workspace passes axe for a platform admin", () => page_axe(platformWs, "/workspaces/em-highways-alliance", "ws_members_only"));
  await check("a signed-out visitor cannot find the members-only workspace", async () => {
    const res = await anon.goto(BASE + "/workspaces/em-highways-alliance");
    assert(res.status() === 404, `it answered ${res.status()}`);
  });

  // The opportunity register, as a Derby officer (lead of drafts and partnership ideas).
  const derby = await newPage();
  await check("a council officer signs in with the keyboard alone", () => keyboardSignIn(derby, "staff@derby.example"));
  const apiAs = async (path) => (await derby.request.get(BASE + "/api/v1" + path)).json();
  const ownOpp = (await apiAs("/opportunities?lead=1&sort=reference")).items[0].id;
  for (const [path, label] of [
    ["/opportunities", "register"],
    ["/opportunities?q=tupe&barriers=open_high&sort=savings", "register_filtered"],
    ["/opportunities/new", "opportunity_new"],
    [`/opportunities/${ownOpp}`, "opportunity"],
    [`/opportunities/${ownOpp}/edit`, "opportunity_edit"],
  ]) {
    await check(`${path} passes axe`, () => page_axe(derby, path, label));
  }
  await check("the idea form shows its errors accessibly", async () => {
    await derby.goto(BASE + "/opportunities/new");
    await derby.click("main form button[type=submit]");
    await derby.waitForSelector("[data-error-summary]");
    await axe(derby, "opportunity_new_errors");
  });
  await check("an idea is logged, moved to under assessment and given a saving with the keyboard alone", async () => {
    await derby.goto(BASE + "/opportunities");
    await tabTo(derby, 'a[href="/opportunities/new"]');
    await Promise.all([derby.waitForURL(/\/opportunities\/new$/), derby.keyboard.press("Enter")]);
    await tabTo(derby, "#title");
    await derby.keyboard.type("Shared pest control service");
    await derby.keyboard.press("Tab");
    await derby.keyboard.type("One pest control team for both cities.");
    await derby.keyboard.press("Tab");
    await derby.keyboard.type("Other");
    await derby.keyboard.press("Tab");
    await derby.keyboard.type("Shared service");
    const chosen = await derby.evaluate(() => [document.getElementById("service_area").value, document.getElementById("kind").value]);
    assert(chosen[0] === "other" && chosen[1] === "shared_service", `typing chose ${chosen}`);
    await tabTo(derby, "#partner-2");
    await derby.keyboard.press("Space");
    await tabTo(derby, "#your_reference");
    await derby.keyboard.type("DCC-SS-014");
    await tabTo(derby, "#visibility");
    await derby.keyboard.type("Partnership");
    await tabTo(derby, "main form button[type=submit]");
    await derby.keyboard.press("Enter");
    await derby.waitForSelector(".notification-banner");
    assert((await derby.textContent("main")).includes("has been logged"), "no confirmation");
    assert((await derby.textContent("main")).includes("Nottingham City Council"), "the partner was not ticked");
    assert((await derby.textContent("main")).includes("DCC-SS-014"), "the council's own reference is not shown");
    await tabTo(derby, "#to");
    await derby.keyboard.type("Under assessment");
    await tabTo(derby, 'form[action$="/transitions"] button[type=submit]');
    await derby.keyboard.press("Enter");
    await derby.waitForSelector(".notification-banner");
    assert((await derby.textContent(".timeline")).includes("Idea → Under assessment"), "the move is not on the timeline");
    await tabTo(derby, "#savings ~ details summary");
    await derby.keyboard.press("Enter");
    await tabTo(derby, "#amount");
    await derby.keyboard.type("£12,500.50");
    await tabTo(derby, "#cashable-yes");
    await derby.keyboard.press("Space");
    await tabTo(derby, 'form[action$="/savings"] button[type=submit]');
    await derby.keyboard.press("Enter");
    await derby.waitForSelector(".notification-banner");
    assert((await derby.textContent("#savings ~ table")).includes("£12,500.50"), "the saving is not shown");
    await axe(derby, "opportunity_after_keyboard");
  });
  await check("a form error on the opportunity page is shown accessibly", async () => {
    await derby.goto(BASE + `/opportunities/${ownOpp}`);
    await derby.click("#savings ~ details summary");
    await derby.fill("#amount", "12.345");
    await derby.click('form[action$="/savings"] button[type=submit]');
    await derby.waitForSelector("[data-error-summary]");
    assert((await derby.textContent("[data-error-summary]")).includes("two decimal places"), "no pence error");
    await axe(derby, "opportunity_saving_error");
  });
  await check("an import with the keyboard alone: upload, problems by column, columns changed, preview, confirm; axe on each step", async () => {
    await page_axe(derby, "/opportunities/import", "import");
    const bad = path.join(DATA_DIR, "bad-import.csv");
    fs.writeFileSync(bad, "Idea,Description,Service\nOn the moon,Somewhere,Moon\n");
    await derby.setInputFiles("#file", bad);
    await tabTo(derby, "main form button[type=submit]");
    await Promise.all([derby.waitForNavigation(), derby.keyboard.press("Enter")]);
    await derby.waitForSelector("[data-error-summary]");
    assert((await derby.textContent("#problems-1")).includes("Moon"), "no problem by column with the value found");
    assert((await derby.locator("#confirm").count()) === 0, "an import offered while there are problems");
    await axe(derby, "import_problems");
    // The council's own headings, under a title: two columns could be the summary, and the
    // first is proposed; the officer chooses the other with the keyboard and checks again.
    const good = path.join(DATA_DIR, "good-import.csv");
    fs.writeFileSync(good, "Shared ideas register\n\nRef,Idea,Details,Description,Service,Est. saving £k\nDCC-9,Shared dog wardens,ask Sam,One team for both cities,Waste,45\n");
    await derby.goto(BASE + "/opportunities/import");
    await derby.setInputFiles("#file", good);
    await tabTo(derby, "main form button[type=submit]");
    await Promise.all([derby.waitForNavigation(), derby.keyboard.press("Enter")]);
    await derby.waitForSelector("#confirm");
    const main = await derby.textContent("main");
    assert(main.includes("headings on row 3"), "the heading row was not found under the title");
    assert(main.includes("Ready: 1 would be created"), "no preview of what would happen");
    await axe(derby, "import_preview");
    const select = (heading) => derby.evaluate((h) => [...document.querySelectorAll("select")].find((s) => s.name === `column:${h}`).id, heading);
    const value = (id) => derby.evaluate((i) => document.getElementById(i).value, id);
    const details = await select("Details");
    const description = await select("Description");
    assert((await value(details)) === "summary", "Details was not proposed as the summary");
    await tabTo(derby, `#${details}`);
    await derby.keyboard.type("Not imported");
    await tabTo(derby, `#${description}`);
    await derby.keyboard.type("Summary");
    assert((await value(description)) === "summary", "typing did not choose Summary");
    await tabTo(derby, "button.button--secondary");
    await Promise.all([derby.waitForNavigation(), derby.keyboard.press("Enter")]);
    await derby.waitForSelector("#confirm");
    assert((await value(await select("Description"))) === "summary" && (await value(await select("Details"))) === "", "the changed columns were not kept");
    await axe(derby, "import_preview_again");
    await tabTo(derby, "#confirm");
    await Promise.all([derby.waitForNavigation(), derby.keyboard.press("Enter")]);
    await derby.waitForSelector(".notification-banner");
    assert((await derby.textContent(".notification-banner")).includes("1 created"), "not imported");
    await axe(derby, "import_done");
  });
  const partner = await newPage();
  await check("a partner organisation's page passes axe", async () => {
    await keyboardSignIn(partner, "staff@nottingham.example");
    await page_axe(partner, `/opportunities/${ownOpp}`, "opportunity_as_partner");
  });

  // Notifications: the inbox, what a person receives, following, webhooks, the queue.
  const follower = await newPage();
  await check("a university partner signs in with the keyboard alone", () => keyboardSignIn(follower, "partner@uni-derby.example"));
  await check("the inbox passes axe", () => page_axe(follower, "/notifications", "inbox"));
  await check("the subscriptions settings page passes axe", () => page_axe(follower, "/settings/subscriptions", "subscriptions"));
  await check("a workspace is followed with the keyboard alone", async () => {
    await follower.goto(BASE + "/workspaces/transport-connectivity");
    await tabTo(follower, "form.follow-form button[type=submit]");
    const label = await follower.evaluate(() => document.activeElement.textContent);
    assert(label.startsWith("Follow"), `the button says "${label}"`);
    await Promise.all([follower.waitForLoadState("load"), follower.keyboard.press("Enter")]);
    await follower.waitForSelector(".notification-banner");
    assert((await follower.textContent(".notification-banner")).includes("You now follow Transport"), "no confirmation");
    assert((await follower.textContent("form.follow-form button")).includes("Stop following"), "the button did not change");
    await axe(follower, "workspace_followed");
    const settings = await (await follower.request.get(BASE + "/settings/subscriptions")).text();
    assert(settings.includes("Transport &amp; connectivity"), "the settings page does not list it");
  });
  await check("a notification is read with the keyboard alone", async () => {
    await follower.goto(BASE + "/");
    const before = parseInt(await follower.textContent(".nav-count"), 10);
    await tabTo(follower, 'a[href="/notifications"]');
    await Promise.all([follower.waitForURL(/\/notifications$/), follower.keyboard.press("Enter")]);
    await tabTo(follower, 'form[action$="/read"] button[type=submit]');
    await Promise.all([follower.waitForLoadState("load"), follower.keyboard.press("Enter")]);
    await follower.waitForSelector(".notification-banner");
    assert((await follower.textContent(".notification-banner")).includes("Marked as read"), "no confirmation");
    const after = parseInt(await follower.textContent(".nav-count"), 10);
    assert(after === before - 1, `unread went from ${before} to ${after}`);
    await axe(follower, "inbox_after_read");
  });
  await check("following the register with a bad choice shows its error accessibly", async () => {
    await follower.goto(BASE + "/settings/subscriptions");
    await follower.evaluate(() => { document.querySelector("#stage option:last-child").value = "nowhere"; document.querySelector("#stage").selectedIndex = document.querySelector("#stage").options.length - 1; });
    await Promise.all([follower.waitForLoadState("load"), follower.click('form[action="/subscriptions"] button[type=submit]')]);
    await follower.waitForSelector("[data-error-summary]");
    await axe(follower, "subscriptions_errors");
  });
  await check("a feed key is made, shown once, and passes axe", async () => {
    await follower.goto(BASE + "/settings/subscriptions");
    await Promise.all([follower.waitForLoadState("load"), follower.click('form[action="/settings/feed-token"] button')]);
    assert((await follower.textContent("main")).includes("Your feed key"), "no key shown");
    await axe(follower, "feed_key");
    const feed = await follower.request.get(BASE + "/workspaces/skills/feed.atom");
    assert(feed.status() === 200 && (await feed.text()).includes("<feed"), "no feed");
  });
  const derbyAdmin = await newPage();
  await check("an org admin opens the webhooks page", async () => {
    await keyboardSignIn(derbyAdmin, "admin@derby.example");
    await page_axe(derbyAdmin, "/admin/webhooks", "webhooks");
  });
  await check("a webhook form error passes axe", async () => {
    await derbyAdmin.fill("#url", "ftp://nowhere");
    await Promise.all([derbyAdmin.waitForLoadState("load"), derbyAdmin.click('main form[action="/admin/webhooks"] button[type=submit]')]);
    await derbyAdmin.waitForSelector("[data-error-summary]");
    await axe(derbyAdmin, "webhooks_errors");
  });
  await check("a webhook's delivery log passes axe", async () => {
    await derbyAdmin.goto(BASE + "/admin/webhooks");
    const href = await derbyAdmin.getAttribute("main table a", "href");
    await page_axe(derbyAdmin, href, "webhook");
  });
  await check("the job queue page passes axe", () => page_axe(platformWs, "/admin/jobs", "jobs"));
  await check("an email's unsubscribe link works signed out and passes axe", async () => {
    const link = await emailedLink("leader@derby.example", "/unsubscribe");
    await anon.goto(link);
    await axe(anon, "unsubscribe");
    await Promise.all([anon.waitForLoadState("load"), anon.click("main form button[type=submit]")]);
    assert((await anon.textContent("h1")).includes("You have unsubscribed"), "not unsubscribed");
    await axe(anon, "unsubscribed");
  });

  // Leaders' joint progress: the dashboard, quarterly reviews, the board pack, the audit log.
  const leaderPage = await newPage();
  await check("a council leader signs in with the keyboard alone", () => keyboardSignIn(leaderPage, "leader@derby.example"));
  await check("the dashboard passes axe", () => page_axe(leaderPage, "/dashboard", "dashboard"));
  await check("the dashboard narrowed to one organisation and theme passes axe", () => page_axe(leaderPage, "/dashboard?organisation=1&theme=skills", "dashboard_filtered"));
  await check("the reviews list passes axe", () => page_axe(leaderPage, "/reviews", "reviews"));
  let openReview = "";
  let signedReview = "";
  await check("an open and a signed-off review pass axe", async () => {
    await leaderPage.goto(BASE + "/reviews");
    const links = await leaderPage.$$eval("main table a", (as) => as.map((a) => a.getAttribute("href")));
    [openReview, , signedReview] = links;
    await page_axe(leaderPage, openReview, "review_open");
    assert((await leaderPage.textContent("main")).includes("No return yet"), "the missing returns are not shown");
    await page_axe(leaderPage, signedReview, "review_signed_off");
  });
  await check("the opening form shows its errors accessibly", async () => {
    await leaderPage.goto(BASE + "/reviews");
    await leaderPage.fill("#quarter", "next quarter");
    await Promise.all([leaderPage.waitForLoadState("load"), leaderPage.click('main form[action="/reviews"] button[type=submit]')]);
    await leaderPage.waitForSelector("[data-error-summary]");
    await axe(leaderPage, "reviews_errors");
  });
  await check("the board pack passes axe on screen and in print", async () => {
    await page_axe(leaderPage, `${signedReview}/board-pack`, "board_pack");
    await leaderPage.emulateMedia({ media: "print" });
    await axe(leaderPage, "board_pack_print");
    if (SHOTS) await leaderPage.pdf?.({ path: path.join(SHOTS, "board_pack.pdf"), format: "A4" }).catch(() => {});
    await leaderPage.emulateMedia({ media: "screen" });
    const xlsx = await leaderPage.request.get(BASE + `${signedReview}/board-pack.xlsx`);
    assert(xlsx.status() === 200 && (await xlsx.body()).subarray(0, 2).toString() === "PK", "no workbook");
  });
  const lead = await newPage();
  await check("a lead officer's return form passes axe, with its errors", async () => {
    await keyboardSignIn(lead, "staff@derby.example");
    await page_axe(lead, `${openReview}/workspaces/skills`, "review_return");
    await lead.fill("#commentary", "");
    await Promise.all([lead.waitForLoadState("load"), lead.click('main form button[type=submit]')]);
    await lead.waitForSelector("[data-error-summary]");
    await axe(lead, "review_return_errors");
  });
  await check("a return is submitted with the keyboard alone", async () => {
    await lead.goto(BASE + `${openReview}/workspaces/city-living`);
    await tabTo(lead, "#overall_rag");
    await lead.keyboard.type("Green");
    await lead.keyboard.press("Tab");
    await lead.keyboard.type("Housing delivery on track; homelessness pathway funded.");
    await tabTo(lead, "main form button[type=submit]");
    await Promise.all([lead.waitForLoadState("load"), lead.keyboard.press("Enter")]);
    await lead.waitForSelector(".notification-banner");
    assert((await lead.textContent(".notification-banner")).includes("submitted"), "no confirmation");
    await axe(lead, "review_after_return");
  });
  await check("the audit log search passes axe", () => page_axe(platformWs, "/admin/audit?action=review", "audit"));
} finally {
  await browser.close();
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

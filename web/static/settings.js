// SPDX-License-Identifier: EUPL-1.2
// The page's settings view ("#/settings"): the household's notification
// policy as samend keeps it (GET /api/notify), one cell per kind of event,
// quiet hours and time zone. Each change is one notify-set through
// POST /api/notify; what is shown is always samend's answer, so a value it
// refuses (a drill at alarm, an unknown zone) springs back and its words
// are shown. Uses app.js's api(), t(), el() and $().
"use strict";

// The grid's columns and the authority row's (samend's keys, SPEC order);
// the rows are the categories (SAMEN_CATEGORIES).
const POLICY_COLUMNS = ["alert", "112", "ack", "all-clear", "drill"];
const POLICY_AUTHORITY = ["lookout", "enroute", "found", "info"];
let policy = null;

function columnWords(col) {
  return { alert: t("kind_alert"), "112": t("col_112"), ack: t("kind_ack"),
           "all-clear": t("kind_all-clear"), drill: t("exercise") }[col];
}

function settingsStatus(text, refused) {
  const s = $("settings-status");
  s.textContent = text;
  s.className = "status" + (refused ? " refused" : "");
}

// One cell: a choice of the levels its column takes (a drill is never
// louder than normal), or a dash where samend has no such key.
function levelCell(key) {
  const td = el("td");
  const now = policy.levels[key];
  if (now === undefined) {
    td.textContent = "—";
    return td;
  }
  const sel = el("select", now);
  sel.dataset.key = key;
  const drill = key.endsWith(".drill");
  for (const l of SAMEN_LEVELS)
    if (!drill || l === "silent" || l === "normal" || l === now)
      sel.append(new Option(t("level_" + l), l));
  sel.value = now;
  sel.setAttribute("aria-label", key);
  sel.addEventListener("change", () => setPolicy(key, sel.value));
  td.append(sel);
  return td;
}

function grid(table, head, rows) {
  const tr = el("tr");
  tr.append(el("th"), ...head.map(([, words]) => el("th", "", words)));
  const body = el("tbody");
  for (const [row, words] of rows) {
    const r = el("tr");
    r.append(el("th", "", words), ...head.map(([col]) => levelCell(row + "." + col)));
    body.append(r);
  }
  const thead = el("thead");
  thead.append(tr);
  table.replaceChildren(thead, body);
}

function renderSettings() {
  if (!policy) return;
  grid($("level-grid"), POLICY_COLUMNS.map((c) => [c, columnWords(c)]),
       SAMEN_CATEGORIES.map((c) => [c, t("cat_" + c)]));
  grid($("authority-grid"), POLICY_AUTHORITY.map((k) => [k, t("ann_" + k)]),
       [["authority", ""]]);
  const q = /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(policy.quiet || "");
  $("quiet-on").checked = !!q;
  $("quiet-from").value = q ? q[1] : $("quiet-from").value || "22:00";
  $("quiet-to").value = q ? q[2] : $("quiet-to").value || "07:00";
  $("quiet-from").disabled = $("quiet-to").disabled = !q;
  $("quiet-now").hidden = !policy.quiet_now;
  if (document.activeElement !== $("timezone")) $("timezone").value = policy.timezone || "";
}

async function openSettings() {
  try {
    const j = await api("GET", API.notify);
    policy = j.policy;
    renderSettings();
  } catch (e) {
    // samend's words (an older samend has no policy to show)
    settingsStatus(t("err_not_loaded") + ": " + (e.message && e.message !== e.code ? e.message : t("err_" + e.code)), true);
  }
}

// One change, as samend's notify-set; the view shows samend's policy after
// it either way (a refusal changes nothing, so the old value comes back).
async function setPolicy(key, value) {
  settingsStatus("…", false);
  try {
    const j = await api("POST", API.notify, { key, value });
    policy = j.policy;
    settingsStatus(t("settings_saved"), false);
  } catch (e) {
    if (e.code === "csrf") await loadSession();
    settingsStatus(t("err_not_saved") + ": " + (e.message && e.message !== e.code ? e.message : t("err_" + e.code)), true);
  }
  renderSettings();
}

function quietChanged() {
  const on = $("quiet-on").checked;
  const from = $("quiet-from").value, to = $("quiet-to").value;
  if (on && (!from || !to)) return;
  setPolicy("quiet", on ? from + "-" + to : "off");
}

document.addEventListener("DOMContentLoaded", () => {
  $("quiet-on").addEventListener("change", quietChanged);
  $("quiet-from").addEventListener("change", quietChanged);
  $("quiet-to").addEventListener("change", quietChanged);
  $("timezone").addEventListener("change", () =>
    setPolicy("timezone", $("timezone").value.trim() || "system"));
  $("quiet-form").addEventListener("submit", (e) => e.preventDefault());
  const zones = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [];
  $("zones").replaceChildren(...zones.map((z) => new Option(z)));
});

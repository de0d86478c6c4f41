// SPDX-License-Identifier: EUPL-1.2
// samen-web's household page: the live list, one thread, the alert form.
// Everything it shows comes from samend through samen-web (web/API.md);
// every action is a request samen-web answers only once samend has
// committed it. No framework, nothing from outside this machine.
"use strict";

const API = {
  session: "/api/session",
  signals: "/api/signals",
  signal: (id) => "/api/signals/" + encodeURIComponent(id),
  announcements: "/api/announcements",
  events: "/api/events",
  send: "/api/send",
  ack: "/api/ack",
  resolve: "/api/resolve",
  seen: "/api/seen",
  notify: "/api/notify",
};

const $ = (id) => document.getElementById(id);
let lang = "nl";
let csrf = "";
let me = "";                    // this household's key, to tell own alerts apart
const signals = new Map();      // id -> view of an alert or update (a thread's head)
const announcements = new Map();
let current = null;             // id of the thread on screen
let audio = null;

// ---- words ----

function t(key, n) {
  const s = (SAMEN_TEXT[lang] && SAMEN_TEXT[lang][key]) || SAMEN_TEXT.en[key] || key;
  return n === undefined ? s : s.replace("{n}", String(n));
}

function applyWords() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]"))
    el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]"))
    el.placeholder = t(el.dataset.i18nPlaceholder);
  $("lang").textContent = t("switch_to");
  const sel = document.querySelector("select[name=category]");
  const keep = sel.value;
  sel.replaceChildren(...SAMEN_CATEGORIES.map((c) => new Option(t("cat_" + c), c)));
  if (keep) sel.value = keep;
  renderAll();
  renderSettings(); // settings.js
}

function pickLanguage(fromServer) {
  const saved = localStorage.getItem("samen_lang");
  if (saved === "nl" || saved === "en") return saved;
  if (fromServer === "nl" || fromServer === "en") return fromServer;
  return (navigator.language || "").toLowerCase().startsWith("nl") ? "nl" : "en";
}

function ago(created) {
  const s = Math.max(0, Date.now() / 1000 - created);
  if (s < 60) return t("just_now");
  if (s < 3600) return t("ago_min", Math.floor(s / 60));
  return t("ago_h", Math.floor(s / 3600));
}

function clock(created) {
  return new Date(created * 1000).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}

// ---- talking to samen-web ----

class ApiError extends Error {
  constructor(code, text) {
    super(text || code);
    this.code = code;
  }
}

async function api(method, url, body) {
  let res;
  try {
    res = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: body ? { "X-CSRF-Token": csrf } : {},
      // a form body: samen-web reads it with libmicrohttpd's own parser
      body: body ? new URLSearchParams(Object.entries(body).map(([k, v]) =>
        [k, typeof v === "boolean" ? (v ? "1" : "0") : String(v)])) : undefined,
    });
  } catch (e) {
    throw new ApiError("network");
  }
  let j = null;
  try {
    j = await res.json();
  } catch (e) {
    /* a reply that is not JSON: said below by its status */
  }
  if (!res.ok || !j || j.ok === false)
    throw new ApiError((j && j.code) || (res.status === 403 ? "forbidden" : "internal"),
                       (j && j.error) || res.statusText);
  return j;
}

function showError(e) {
  const box = $("error");
  const words = t("err_" + (e.code || "internal"));
  box.textContent = e.message && e.message !== e.code ? words + ": " + e.message : words;
  box.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => (box.hidden = true), 8000);
}

// ---- showing ----

function stateWords(v) {
  if (v.retracted) return [t("state_retracted"), "retracted"];
  if (v.state === "resolved") return [t("state_resolved"), "resolved"];
  if (v.state === "112-called") return [t("state_112"), "called"];
  return [t("state_open"), "open"];
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function signalCard(v, clickable) {
  const li = el(clickable ? "li" : "div", "card signal");
  li.dataset.id = v.id;
  if (!v.readable) {
    li.append(el("p", "muted", t("unreadable")));
    return li;
  }
  const [words, cls] = stateWords(v);
  const top = el("div", "top");
  top.append(el("span", "category", t("cat_" + v.category)), el("span", "badge " + cls, words));
  if (v.status === "exercise") top.append(el("span", "badge drill", t("exercise")));
  if (v.status === "test") top.append(el("span", "badge drill", t("test")));
  li.append(top, el("p", "where", v.where), el("p", "what", v.description));
  const meta = el("p", "meta", clock(v.created) + " · " + ago(v.created) + " · " + v.label);
  if (v.looking) meta.append(" · ", el("strong", "", t(v.looking === 1 ? "looking" : "looking_n", v.looking)));
  li.append(meta);
  if (clickable) {
    li.tabIndex = 0;
    li.addEventListener("click", () => (location.hash = "#/s/" + v.id));
    li.addEventListener("keydown", (e) => e.key === "Enter" && (location.hash = "#/s/" + v.id));
  }
  return li;
}

function replyItem(v) {
  const li = el("li", "reply");
  if (!v.readable) {
    li.append(el("span", "muted", t("unreadable")));
    return li;
  }
  const what = v.kind === "ack" ? t("ack_" + v.ack) : t("kind_" + v.kind);
  li.append(el("span", "who", v.label), " ", el("span", "how", what));
  if (v.description) li.append(": ", el("span", "text", v.description));
  li.append(el("span", "when", clock(v.created)));
  return li;
}

function renderList() {
  const heads = [...signals.values()].sort((a, b) => b.created - a.created);
  $("signal-list").replaceChildren(...heads.map((v) => signalCard(v, true)));
  $("empty").hidden = heads.length > 0;
  const anns = [...announcements.values()].sort((a, b) => b.created - a.created);
  $("announcements").hidden = anns.length === 0;
  $("announcement-list").replaceChildren(...anns.map((a) => {
    const li = el("li", "card announcement " + a.kind);
    li.append(el("div", "top"), el("p", "what", a.text));
    li.firstChild.append(el("span", "category", t("ann_" + a.kind)), el("span", "authority", a.label));
    if (a.where) li.append(el("p", "where", a.where));
    li.append(el("p", "meta", clock(a.created) + " · " + ago(a.created)));
    return li;
  }));
}

async function renderThread(id) {
  let j;
  try {
    j = await api("GET", API.signal(id));
  } catch (e) {
    showError(e);
    location.hash = "";
    return;
  }
  if (current !== id) return;
  if (j.signal.readable && (j.signal.kind === "alert" || j.signal.kind === "update"))
    signals.set(j.signal.id, j.signal);
  $("thread-head").replaceChildren(signalCard(j.signal, false));
  const replies = (j.thread || []).slice().sort((a, b) => a.created - b.created);
  $("thread-list").replaceChildren(...replies.map(replyItem));
  const closed = j.signal.state === "resolved";
  for (const b of ["act-called", "act-looking", "act-resolve"]) $(b).disabled = closed;
}

function renderAll() {
  renderList();
  if (current) renderThread(current);
}

function route() {
  const m = location.hash.match(/^#\/s\/([0-9a-f]{8,64})$/);
  const form = location.hash === "#/new";
  const settings = location.hash === "#/settings";
  current = m ? m[1] : null;
  $("list-view").hidden = !!current || form || settings;
  $("thread-view").hidden = !current;
  $("form-view").hidden = !form;
  $("settings-view").hidden = !settings;
  if (current) renderThread(current);
  else if (settings) openSettings(); // settings.js
  else renderList();
}

// ---- arriving ----

// How loud an event is: the level samend gave it from the household's
// notification policy; an older samend gives none, and then the page does
// what samen-web's ntfy messages do (web/notice.h).
function levelOf(ev) {
  if (SAMEN_LEVELS.includes(ev.level)) return ev.level;
  if (ev.event === "announcement")
    return ev.kind === "lookout" ? "alarm" : ev.kind === "enroute" ? "loud" : "normal";
  const v = ev.signal || {};
  const drill = v.status !== undefined && v.status !== "real";
  if (v.kind === "alert" || v.kind === "update") return drill ? "normal" : v.called112 ? "alarm" : "loud";
  if (v.kind === "ack") return v.ack === "112-called" && !drill ? "alarm" : "normal";
  return "silent";
}

const loud = (level) => level === "loud" || level === "alarm";

function beep(level) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const now = audio.currentTime;
    for (let i = 0; i < (level === "alarm" ? 6 : 3); i++) {
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = i % 2 ? 660 : 880;
      g.gain.setValueAtTime(0.0001, now + i * 0.25);
      g.gain.exponentialRampToValueAtTime(0.3, now + i * 0.25 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.25 + 0.22);
      o.connect(g).connect(audio.destination);
      o.start(now + i * 0.25);
      o.stop(now + i * 0.25 + 0.24);
    }
  } catch (e) {
    /* no sound where the browser allows none yet; the banner still shows */
  }
}

async function notifyInBackground(b) {
  if (!("serviceWorker" in navigator) || Notification.permission !== "granted") return;
  const reg = await navigator.serviceWorker.getRegistration();
  if (reg)
    reg.showNotification(b.title, {
      body: b.text,
      tag: b.tag,
      data: { url: b.thread ? "/#/s/" + b.thread : "/" },
      silent: !loud(b.level),
      requireInteraction: b.level === "alarm",
    });
}

const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// The banner's words for a watch event, or null: nothing to show.
function bannerOf(ev) {
  if (ev.event === "announcement")
    return { title: t("ann_" + ev.kind) + ": " + ev.label, text: ev.text, thread: null, tag: ev.id };
  const v = ev.signal;
  if (!v || !v.readable) return null;
  const head = v.refs && v.refs.length ? v.refs[0] : v.id;
  const about = signals.get(head);
  let title, text = v.where + " — " + v.description;
  if (ev.event === "escalation") title = t("unanswered") + ": " + t("cat_" + v.category);
  else if (v.kind === "alert") title = t("new_alert_banner") + ": " + t("cat_" + v.category);
  else if (v.kind === "update") title = capital(t("kind_update")) + ": " + t("cat_" + v.category);
  else {
    title = v.label + " " + (v.kind === "ack" ? t("ack_" + v.ack) : t("kind_" + v.kind));
    text = v.description || (about ? about.where : "");
  }
  if (ev.repeat) title = capital(t("repeat")) + " " + ev.repeat + ": " + title;
  // a repeat or an escalation is a notification of its own, as on the phone
  const again = ev.repeat ? "-r" + ev.repeat : ev.event === "escalation" ? "-e" : "";
  return { title, text, thread: head, tag: head + again };
}

// Banner from normal up, a sound for loud and alarm, nothing for silent
// (the event is still listed).
function arrived(ev) {
  const level = levelOf(ev);
  const b = level !== "silent" && bannerOf(ev);
  if (!b) return;
  b.level = level;
  const box = $("banner");
  $("banner-title").textContent = b.title;
  $("banner-text").textContent = b.text ? " " + b.text : "";
  box.dataset.id = b.thread || "";
  box.dataset.level = level;
  box.className = "banner " + level;
  $("banner-open").hidden = !b.thread;
  box.hidden = false;
  if (loud(level)) beep(level);
  if (document.hidden) notifyInBackground(b);
}

function onSignal(ev) {
  const v = ev.signal;
  if (!v || !v.readable) return;
  let news = ev.event === "escalation" || !!ev.repeat;
  if (v.kind === "alert" || v.kind === "update") {
    news = news || !signals.has(v.id);
    signals.set(v.id, v);
  } else {
    news = true; // a reply or an all-clear: each comes once
  }
  if (news && v.author !== me) arrived(ev);
  // a reply changes its thread's state: ask for the head again
  for (const ref of v.refs || [])
    if (signals.has(ref))
      api("GET", API.signal(ref)).then((j) => {
        signals.set(ref, j.signal);
        renderAll();
      }, () => {});
  renderAll();
}

let events = null;

function connect() {
  events = new EventSource(API.events);
  events.addEventListener("open", () => {
    $("conn").className = "conn live";
    $("conn").title = t("conn_live");
  });
  events.addEventListener("error", () => {
    $("conn").className = "conn lost";
    $("conn").title = t("conn_lost");
  });
  events.addEventListener("signal", (e) => onSignal(JSON.parse(e.data)));
  events.addEventListener("escalation", (e) => onSignal(JSON.parse(e.data)));
  events.addEventListener("announcement", (e) => {
    const a = JSON.parse(e.data);
    const fresh = !announcements.has(a.id);
    announcements.set(a.id, a);
    if (fresh) arrived(a);
    renderAll();
  });
  events.addEventListener("retraction", (e) => {
    const r = JSON.parse(e.data);
    signals.delete(r.target);
    renderAll();
  });
}

// ---- acting ----

async function act(path, body, okText) {
  try {
    await api("POST", path, body);
    const box = $("error");
    box.textContent = okText;
    box.hidden = false;
    setTimeout(() => (box.hidden = true), 2500);
    return true;
  } catch (e) {
    if (e.code === "csrf") await loadSession();
    showError(e);
    return false;
  }
}

async function loadSession() {
  const s = await api("GET", API.session);
  csrf = s.csrf;
  me = s.key || "";
  return s;
}

async function start() {
  let s;
  try {
    s = await loadSession();
  } catch (e) {
    showError(e);
    return;
  }
  lang = pickLanguage(s.lang);
  $("lang").addEventListener("click", () => {
    lang = lang === "nl" ? "en" : "nl";
    localStorage.setItem("samen_lang", lang);
    applyWords();
  });
  $("new-alert").addEventListener("click", () => (location.hash = "#/new"));
  $("back").addEventListener("click", () => (location.hash = ""));
  $("form-back").addEventListener("click", () => (location.hash = ""));
  $("banner-close").addEventListener("click", () => ($("banner").hidden = true));
  $("banner-open").addEventListener("click", () => {
    $("banner").hidden = true;
    location.hash = "#/s/" + $("banner").dataset.id;
  });
  $("act-called").addEventListener("click", () => act(API.ack, { ref: current, ack: "112-called" }, t("done")).then(() => renderThread(current)));
  $("act-looking").addEventListener("click", () => act(API.ack, { ref: current, ack: "looking" }, t("done")).then(() => renderThread(current)));
  $("act-resolve").addEventListener("click", () => act(API.resolve, { ref: current }, t("done")).then(() => renderThread(current)));
  $("act-seen").addEventListener("click", () => act(API.seen, { id: current }, t("seen_done")));
  $("settings-open").addEventListener("click", () => (location.hash = "#/settings"));
  $("settings-back").addEventListener("click", () => (location.hash = ""));
  $("settings-open").title = t("settings_open");
  $("alert-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    const ok = await act(API.send, {
      category: f.category.value,
      where: f.where.value,
      description: f.description.value,
      called112: f.called112.checked,
      share: f.share.checked,
      status: f.exercise.checked ? "exercise" : "real",
    }, t("sent"));
    if (ok) {
      f.reset();
      location.hash = "";
    }
  });
  if ("Notification" in window && Notification.permission === "default") {
    $("enable-notify").hidden = false;
    $("enable-notify").addEventListener("click", async () => {
      await Notification.requestPermission();
      $("enable-notify").hidden = true;
    });
  }
  if ("serviceWorker" in navigator && window.isSecureContext)
    navigator.serviceWorker.register("/sw.js").catch(() => {});
  window.addEventListener("hashchange", route);
  applyWords();
  try {
    const [l, a] = await Promise.all([api("GET", API.signals), api("GET", API.announcements)]);
    for (const v of l.signals) if (v.readable && (v.kind === "alert" || v.kind === "update")) signals.set(v.id, v);
    for (const x of a.announcements) announcements.set(x.id, x);
  } catch (e) {
    showError(e);
  }
  route();
  connect();
  setInterval(renderList, 60000); // "5 min ago" ages
}

document.addEventListener("DOMContentLoaded", start);

// SPDX-License-Identifier: EUPL-1.2
// The page's words in Dutch and English. Keys are used by app.js and by the
// data-i18n attributes of index.html; both languages must have every key
// (tests/web checks it). The names of what samend sends (categories, kinds
// of signal, replies, announcements) are not here: samen-web serves them
// from web/words.c as /static/words.js, the same words its notifications
// use, and they are added below.
"use strict";

const SAMEN_TEXT = {
  nl: {
    lang_name: "Nederlands", switch_to: "English",
    conn_live: "live verbonden", conn_lost: "verbinding weg, opnieuw verbinden…",
    conn_unknown: "verbinden…",
    new_alert: "Melding maken", enable_notify: "Meldingen op dit toestel aanzetten",
    announcements: "Berichten van politie en gemeente", signals: "Meldingen",
    no_signals: "Geen actuele meldingen.", back: "← Terug", thread: "Reacties",
    open_thread: "Bekijken", dismiss: "Sluiten",
    act_called112: "112 gebeld", act_looking: "Ik kijk", act_resolve: "Alles veilig",
    f_category: "Wat voor melding", f_where: "Waar",
    f_where_hint: "straat en nummer, kruising of herkenningspunt",
    f_description: "Wat gebeurt er",
    f_description_hint: "gedrag, kleding, voertuig, richting — nooit afkomst",
    f_called112: "Ik heb 112 gebeld", f_share: "Delen met de politie/gemeente",
    f_exercise: "Oefening (geen echte melding)", send: "Versturen",
    house_rules: "Bel bij gevaar eerst 112. Beschrijf wat iemand doet, kleding, voertuig en " +
      "richting, nooit wie iemand is of waar die vandaan komt. Kijk en bel; spreek " +
      "niemand aan en volg niemand.",
    state_open: "open", state_112: "112 gebeld", state_resolved: "opgelost",
    state_retracted: "ingetrokken", looking: "{n} kijkt mee", looking_n: "{n} kijken mee",
    test: "test", unreadable: "niet leesbaar voor dit huishouden",
    sent: "Verstuurd.", done: "Gedaan.",
    new_alert_banner: "Nieuwe melding", ago_min: "{n} min geleden", ago_h: "{n} uur geleden",
    just_now: "zojuist",
    err_network: "samen-web is niet bereikbaar.",
    err_invalid: "Niet verstuurd: de melding klopt niet", err_forbidden: "Niet toegestaan",
    "err_not-member": "Dit huishouden is (nog) geen lid van de buurt",
    "err_rate-limited": "Even wachten: te veel meldingen achter elkaar",
    err_full: "De opslag van samend is vol", err_internal: "Fout in samend",
    "err_no-answer": "samend antwoordt niet", "err_not-found": "Niet gevonden",
    err_csrf: "De pagina was verouderd; probeer het opnieuw",
    act_seen: "Gezien", seen_done: "Gezien: de herhalingen stoppen.",
    settings: "Meldingen", settings_open: "Meldingen instellen",
    settings_intro: "Hoe dit toestel en de ntfy-app je waarschuwen, per soort bericht: stil " +
      "(alleen in de lijst), normaal (een melding), luid (met geluid), alarm (ook door " +
      "niet storen heen). Het geldt voor het hele huishouden.",
    settings_saved: "Opgeslagen.", err_not_saved: "Niet opgeslagen",
    err_not_loaded: "Niet te lezen",
    col_112: "112 gebeld", authorities: "Politie en gemeente",
    quiet_hours: "Stille uren", quiet_hint: "In de stille uren is alles onder alarm stil.",
    quiet_on: "Stille uren aan", quiet_from: "Van", quiet_to: "Tot",
    quiet_now: "Het zijn nu stille uren.", timezone: "Tijdzone",
    tz_system: "die van de computer",
  },
  en: {
    lang_name: "English", switch_to: "Nederlands",
    conn_live: "live", conn_lost: "connection lost, reconnecting…", conn_unknown: "connecting…",
    new_alert: "Raise an alert", enable_notify: "Turn on notifications on this device",
    announcements: "From the police and the municipality", signals: "Alerts",
    no_signals: "No current alerts.", back: "← Back", thread: "Replies",
    open_thread: "Open", dismiss: "Dismiss",
    act_called112: "112 called", act_looking: "I'm looking", act_resolve: "All clear",
    f_category: "What kind", f_where: "Where",
    f_where_hint: "street and number, crossing or landmark",
    f_description: "What is happening",
    f_description_hint: "behaviour, clothing, vehicle, direction — never origin",
    f_called112: "I have called 112", f_share: "Share with the police/municipality",
    f_exercise: "Drill (not a real alert)", send: "Send",
    house_rules: "In danger, call 112 first. Describe what someone does, clothing, vehicle " +
      "and direction, never who someone is or where they come from. Watch and call; " +
      "do not confront or follow anyone.",
    state_open: "open", state_112: "112 called", state_resolved: "resolved",
    state_retracted: "retracted", looking: "{n} looking", looking_n: "{n} looking",
    test: "test", unreadable: "not readable for this household",
    sent: "Sent.", done: "Done.",
    new_alert_banner: "New alert", ago_min: "{n} min ago", ago_h: "{n} h ago",
    just_now: "just now",
    err_network: "samen-web cannot be reached.",
    err_invalid: "Not sent: the alert is not valid", err_forbidden: "Not allowed",
    "err_not-member": "This household is not (yet) a member of the neighbourhood",
    "err_rate-limited": "Wait a moment: too many alerts in a row",
    err_full: "samend's store is full", err_internal: "Error in samend",
    "err_no-answer": "samend does not answer", "err_not-found": "Not found",
    err_csrf: "The page was out of date; try again",
    act_seen: "Seen", seen_done: "Seen: the repeats stop.",
    settings: "Notifications", settings_open: "Notification settings",
    settings_intro: "How this device and the ntfy app warn you, per kind of message: silent " +
      "(only in the list), normal (a notification), loud (with a sound), alarm (through " +
      "do not disturb too). It holds for the whole household.",
    settings_saved: "Saved.", err_not_saved: "Not saved",
    err_not_loaded: "Cannot be read",
    col_112: "112 called", authorities: "Police and municipality",
    quiet_hours: "Quiet hours", quiet_hint: "During quiet hours everything below alarm is silent.",
    quiet_on: "Quiet hours on", quiet_from: "From", quiet_to: "Until",
    quiet_now: "Quiet hours now.", timezone: "Time zone",
    tz_system: "the computer's",
  },
};
for (const l of ["nl", "en"]) Object.assign(SAMEN_TEXT[l], SAMEN_WORDS[l]);
const SAMEN_CATEGORIES = SAMEN_WORDS.categories;
const SAMEN_LEVELS = SAMEN_WORDS.levels; // samend's levels, quietest first

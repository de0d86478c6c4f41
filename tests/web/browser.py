#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
"""The household page in a real browser: headless Chromium, driven through
Debian's python3-selenium and chromedriver. tests/integration/test_web.c
starts the neighbourhood and samen-web, then runs this with the pairing URL
and the other household's state directory; it asks the C test to stop and
start this household's samend by printing STOP or START and reading OK.

Each check prints "ok NAME" or "FAIL NAME: why"; the exit status is the
number of failures (0 = all passed).
"""
import argparse
import json
import os
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402
from report import check  # noqa: E402
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select



def wait_for(fn, timeout, step=0.02):
    end = time.monotonic() + timeout
    while True:
        try:
            v = fn()
            if v:
                return v
        except Exception:
            pass
        if time.monotonic() > end:
            return None
        time.sleep(step)


def ask(word):
    """Asks the C test to do something to this household's samend."""
    print(word, flush=True)
    return sys.stdin.readline().strip() == "OK"


def browser(width, height, lang):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--window-size=%d,%d" % (width, height), "--lang=" + lang,
              "--autoplay-policy=no-user-gesture-required"):
        o.add_argument(a)
    o.add_experimental_option("prefs", {"intl.accept_languages": lang})
    # chromedriver's and Chromium's output go to /dev/null, not to the pipe
    # the C test reads this script's lines from
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver", log_path=os.devnull),
                            options=o)


def samen(args, state, *cmd):
    r = subprocess.run([args.samen, "--state", state, "--json", *cmd],
                       capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        raise RuntimeError("samen %s: %s" % (" ".join(cmd), r.stderr.strip()))
    return json.loads(r.stdout.splitlines()[0])


def card(d, sid):
    cards = d.find_elements(By.CSS_SELECTOR, '#signal-list li[data-id="%s"]' % sid)
    return cards[0] if cards else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pair-url", required=True)
    p.add_argument("--samen", required=True)
    p.add_argument("--peer-state", required=True)
    p.add_argument("--shot", required=True)
    args = p.parse_args()

    d = browser(390, 844, "nl")
    try:
        run(d, args)
    except Exception as e:  # a step that broke is a failed check, not a hang
        check("browser_steps", False, "%s: %s" % (type(e).__name__, str(e).splitlines()[0]))
    finally:
        d.quit()
    return report.failures()


def run(d, args):
    # pairing: the one-time URL, then the page
    d.get(args.pair_url)
    name = d.find_elements(By.NAME, "name")
    if name:
        name[0].clear()
        name[0].send_keys("telefoon-%d" % (os.getpid() % 10000))
        name[0].submit()
    check("paired", wait_for(lambda: "Gekoppeld" in d.find_element(By.TAG_NAME, "h1").text, 5),
          "no 'Gekoppeld' page after pairing")
    base = args.pair_url.split("/pair")[0]
    d.get(base + "/")
    check("paired_page_loads", wait_for(lambda: d.find_element(By.ID, "signal-list"), 5),
          "no signal list after pairing")
    check("page_in_dutch", d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl",
          "html lang is not nl")
    missing = d.execute_script(
        "const k = new Set([...Object.keys(SAMEN_TEXT.nl), ...Object.keys(SAMEN_TEXT.en)]);"
        "const used = [...document.querySelectorAll('[data-i18n]')].map(e => e.dataset.i18n);"
        "for (const u of used) k.add(u);"
        "return [...k].filter(x => !(x in SAMEN_TEXT.nl) || !(x in SAMEN_TEXT.en));")
    check("words_in_both_languages", not missing, "missing: %s" % missing)
    check("sse_connected", wait_for(lambda: "live" in d.find_element(By.ID, "conn").get_attribute("class"), 5),
          "the event stream did not open")

    # an alert from the other household appears within a second
    sent = samen(args, args.peer_state, "send", "-c", "break-in-attempt", "-w", "Lindelaan 4",
                 "-d", "iemand probeert autodeuren, loopt richting park", "--112-called")
    t0 = time.monotonic()
    sid = sent["id"]
    c = wait_for(lambda: card(d, sid), 5, 0.005)
    dt = time.monotonic() - t0
    check("alert_appears_within_1s", c is not None and dt < 1.0,
          "after %.3f s" % dt if c else "not shown in 5 s")
    print("latency_ms %.0f" % (dt * 1000), flush=True)
    check("banner_for_new_alert", wait_for(lambda: d.find_element(By.ID, "banner").is_displayed(), 2),
          "no banner")

    # "I'm looking" from the page reaches the other household
    watch = subprocess.Popen([args.samen, "--state", args.peer_state, "--json", "watch"],
                             stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # the watch is on before the click
        first = True
        d.find_element(By.ID, "banner-open").click()
        wait_for(lambda: d.find_element(By.ID, "act-looking").is_displayed(), 3)
        d.find_element(By.ID, "act-looking").click()
        seen = None
        end = time.monotonic() + 5
        while time.monotonic() < end and not seen:
            ready, _, _ = select.select([watch.stdout], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                break
            line = watch.stdout.readline()
            if not line:
                break
            ev = json.loads(line)
            s = ev.get("signal") or {}
            if s.get("kind") == "ack" and s.get("ack") == "looking" and sid in s.get("refs", []):
                seen = s
        check("looking_reaches_neighbour", seen is not None and bool(first),
              "the other household's samen watch did not show it")
    finally:
        watch.terminate()
        watch.wait()
    check("thread_shows_looking", wait_for(lambda: "1" in d.find_element(By.ID, "thread-head").text, 3),
          "the thread head does not count the looking household")

    # this household's samend restarts; what came meanwhile is there after a reload
    if check("samend_stopped", ask("STOP"), "the test did not stop samend"):
        later = samen(args, args.peer_state, "send", "-c", "suspicious", "-w", "Beukenstraat 12",
                      "-d", "persoon kijkt bij de achterdeuren naar binnen")
        check("samend_started", ask("START"), "the test did not start samend")
        d.get(base + "/")
        both = wait_for(lambda: card(d, sid) and card(d, later["id"]), 15, 0.1)
        check("nothing_missed_after_restart", both, "a signal is missing after the restart")

    os.makedirs(os.path.dirname(args.shot), exist_ok=True)
    d.get(base + "/")
    wait_for(lambda: card(d, sid), 5)
    check("screenshot", d.save_screenshot(args.shot), "could not save " + args.shot)

    # replies in words, an all-clear too (its kind is "all-clear", which the
    # page once showed as a raw key)
    samen(args, args.peer_state, "resolve", sid, "--text", "politie is er")
    d.get(base + "/#/s/" + sid)
    words = lambda: d.find_element(By.ID, "thread-list").text
    check("thread_shows_all_clear", wait_for(lambda: "alles veilig" in words() and
                                             "kijkt mee" in words(), 5), "thread: %r" % words())
    check("thread_has_no_raw_keys", not any(k in words() for k in ("kind_", "ack_", "cat_")),
          "thread: %r" % words())
    settings(d, args, base)


def banner_shown(d):
    return d.find_element(By.ID, "banner").is_displayed()


def settings(d, args, base):
    """The settings view: one cell changed through it stays changed after a
    reload; then the page follows it (a silent alert listed, nothing
    popping), a loud one has its banner and its sound, and Seen."""
    cell = 'select[data-key="suspicious.alert"]'
    d.get(base + "/")
    wait_for(lambda: d.find_element(By.ID, "settings-open").is_displayed(), 5)
    d.find_element(By.ID, "settings-open").click()
    sel = wait_for(lambda: d.find_element(By.CSS_SELECTOR, cell), 5)
    check("settings_view_opens", sel is not None and sel.get_attribute("value") == "loud" and
          d.find_element(By.CSS_SELECTOR, 'select[data-key="authority.lookout"]'),
          "no grid of levels" if sel is None else "suspicious.alert is %r" % sel.get_attribute("value"))
    words = d.find_element(By.ID, "level-grid").get_attribute("innerText")
    check("settings_in_words", "inbraak" in words.lower() and "oefening" in words and "luid" in words and
          "cat_" not in words and "level_" not in words, words)
    check("settings_screenshot", d.save_screenshot(args.shot.replace(".png", "-settings.png")), "not saved")
    drill = d.find_element(By.CSS_SELECTOR, 'select[data-key="fire.drill"]')
    offered = [o.get_attribute("value") for o in drill.find_elements(By.TAG_NAME, "option")]
    check("settings_drill_only_silent_normal", offered == ["silent", "normal"], offered)
    Select(sel).select_by_value("silent")
    status = lambda: d.find_element(By.ID, "settings-status").text
    check("settings_change_saved", wait_for(lambda: status() == "Opgeslagen.", 5), "status %r" % status())
    d.refresh()
    stays = wait_for(lambda: d.find_element(By.CSS_SELECTOR, cell).get_attribute("value") == "silent", 5)
    check("settings_change_stays_after_reload", stays, "suspicious.alert is %r" %
          d.find_element(By.CSS_SELECTOR, cell).get_attribute("value"))
    # a value samend refuses: its words shown, the old value back
    tz = d.find_element(By.ID, "timezone")
    tz.clear()
    tz.send_keys("Nergens/Atlantis" + Keys.TAB)  # leaving the field changes it
    shown = wait_for(lambda: status().startswith("Niet opgeslagen: ") and len(status()) > 18, 5)
    check("settings_refusal_in_words", shown, "status %r" % status())

    # the page follows the policy: a silent alert is listed, nothing pops
    d.get(base + "/")
    wait_for(lambda: "live" in d.find_element(By.ID, "conn").get_attribute("class"), 5)
    d.execute_script("window.beeps = 0; window.beep = () => { window.beeps++; };")
    quiet = samen(args, args.peer_state, "send", "-c", "suspicious", "-w", "Esdoornlaan 2",
                  "-d", "iemand loopt langs de auto's")
    listed = wait_for(lambda: card(d, quiet["id"]), 5)
    time.sleep(0.3)
    check("silent_alert_listed_no_banner_no_sound",
          listed and not banner_shown(d) and d.execute_script("return window.beeps") == 0,
          "listed %s, banner %s, sounds %s" % (bool(listed), banner_shown(d),
                                                d.execute_script("return window.beeps")))
    loud = samen(args, args.peer_state, "send", "-c", "burglary", "-w", "Esdoornlaan 8",
                 "-d", "raam aan de achterkant ingeslagen")
    got = wait_for(lambda: banner_shown(d) and d.find_element(By.ID, "banner").get_attribute("data-level"), 5)
    check("loud_alert_banner_and_sound", got == "loud" and d.execute_script("return window.beeps") == 1,
          "banner level %r, sounds %s" % (got, d.execute_script("return window.beeps")))
    d.find_element(By.ID, "banner-open").click()
    wait_for(lambda: d.find_element(By.ID, "act-seen").is_displayed(), 3)
    d.find_element(By.ID, "act-seen").click()
    said = lambda: d.find_element(By.ID, "error").text
    check("seen_button", wait_for(lambda: said().startswith("Gezien"), 5) and loud["id"].startswith(
        d.execute_script("return current")), "said %r" % said())


if __name__ == "__main__":
    sys.exit(main())

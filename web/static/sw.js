// SPDX-License-Identifier: EUPL-1.2
// samen-web's service worker. It carries no push subscription (that would
// need Google's or Apple's push servers): the page, while it runs in the
// background, asks it to show a notification, and a tap on one opens the
// thread. Served from / so that its scope is the whole page.
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));

self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  const url = (e.notification.data && e.notification.data.url) || "/";
  e.waitUntil((async () => {
    const all = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const c of all) {
      if ("focus" in c) {
        await c.focus();
        if ("navigate" in c) await c.navigate(url);
        return;
      }
    }
    await self.clients.openWindow(url);
  })());
});

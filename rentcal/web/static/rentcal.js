/* rentcal: what every page shares. Plain JavaScript, no build step.
 *
 * Loaded synchronously in <head> (it is small): it marks the page as scripted
 * before anything is drawn, so the no-script fallbacks (the month grid, the
 * "Check" button) never flash on screen. Every page works without it.
 */
"use strict";

document.documentElement.classList.add("js");

window.rentcal = (function () {
  /** The path prefix the server runs under (rentcal serve --root-path). */
  function root() {
    return (document.body && document.body.dataset.root) || "";
  }

  /** The value of one cookie (the csrftoken cookie is readable on purpose). */
  function cookie(name) {
    const found = document.cookie.split(";").map(function (c) { return c.trim(); })
      .find(function (c) { return c.startsWith(name + "="); });
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }

  /** fetch() a JSON endpoint of this server; resolves to {status, ok, body}. */
  async function api(path, options) {
    const opts = Object.assign({ credentials: "same-origin" }, options || {});
    const headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(opts.json);
      delete opts.json;
    }
    if (opts.method && opts.method !== "GET") {
      headers["X-CSRFToken"] = cookie("csrftoken");
    }
    opts.headers = headers;
    const response = await fetch(root() + path, opts);
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    return { status: response.status, ok: response.ok, body: body };
  }

  /** A "YYYY-MM-DD" day as a Date at UTC midnight (never shifted by time zones). */
  function day(iso) {
    const p = String(iso).slice(0, 10).split("-").map(Number);
    return new Date(Date.UTC(p[0], p[1] - 1, p[2]));
  }

  /** A Date at UTC midnight back to "YYYY-MM-DD". */
  function iso(date) {
    return date.toISOString().slice(0, 10);
  }

  /** "YYYY-MM-DD" plus n days. */
  function addDays(isoDay, n) {
    const d = day(isoDay);
    d.setUTCDate(d.getUTCDate() + n);
    return iso(d);
  }

  const dayFormat = new Intl.DateTimeFormat(undefined,
    { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  const monthFormat = new Intl.DateTimeFormat(undefined,
    { month: "long", year: "numeric", timeZone: "UTC" });
  const stampFormat = new Intl.DateTimeFormat(undefined,
    { dateStyle: "medium", timeStyle: "short" });

  /** A day in the member's own locale ("Tue, 15 Jan 2030", "15. Jan. 2030", ...). */
  function formatDay(isoDay) {
    return dayFormat.format(day(isoDay));
  }

  /** Show every <time datetime> of `scope` in the member's locale (ISO without script). */
  function localise(scope) {
    (scope || document).querySelectorAll("time[datetime]").forEach(function (el) {
      if (el.dataset.localised) { return; }
      const value = el.getAttribute("datetime");
      let text = null;
      if (el.dataset.format === "month" && /^\d{4}-\d{2}$/.test(value)) {
        text = monthFormat.format(day(value + "-01"));
      } else if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
        text = el.closest("td[data-date]") ? null : formatDay(value);
      } else if (!isNaN(Date.parse(value))) {
        text = stampFormat.format(new Date(value));
      }
      if (text) {
        el.textContent = text;
        el.dataset.localised = "1";
      }
    });
  }

  /** A random key: the same request sent twice (double click) books once. */
  function randomKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "js-" + Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  /** Elements carrying data-confirm ask before their form is sent. */
  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
  }

  /** Buttons carrying data-print print the page (a statement: print or save as PDF). */
  function printButtons() {
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localise(document);
    confirmations();
    printButtons();
  });

  return {
    root: root, cookie: cookie, api: api, day: day, iso: iso, addDays: addDays,
    formatDay: formatDay, localise: localise, randomKey: randomKey,
  };
})();

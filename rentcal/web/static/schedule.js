/* rentcal /schedule: keep the table current. Plain JavaScript, no build step.
 *
 * The page works without this file (it is a server-rendered table). Here the
 * revision stream (/api/changes, shared with the booking page) tells when
 * anything changed; the page is then fetched again and only the table (#schedule)
 * swapped in, keeping the sideways scroll position, so a booking made anywhere
 * (another browser, `rentcal book` in a shell) shows without a reload.
 */
"use strict";

(function () {
  const R = window.rentcal;
  const box = document.getElementById("schedule");
  if (!box || !window.EventSource) { return; }
  const status = document.getElementById("schedule-status");
  let revision = Number(box.dataset.revision) || 0;
  let busy = false;
  let again = false;

  /** Today's column in view on a narrow screen (only on first load, never after a swap). */
  function showToday() {
    const scroller = box.querySelector(".schedule-scroll");
    const today = box.querySelector("thead th.today");
    const name = box.querySelector("thead .machine-col");
    if (!scroller || !today || !name || scroller.scrollWidth <= scroller.clientWidth) { return; }
    scroller.scrollLeft = Math.max(0, today.offsetLeft - name.offsetWidth - today.offsetWidth);
  }

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(window.location.href,
        { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) { return; }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("schedule");
      if (!fresh) { return; }
      const old = box.querySelector(".schedule-scroll");
      const left = old ? old.scrollLeft : 0;
      box.replaceChildren.apply(box, Array.from(fresh.childNodes));
      box.dataset.revision = fresh.dataset.revision;
      const scroller = box.querySelector(".schedule-scroll");
      if (scroller) { scroller.scrollLeft = left; }
      if (status) { status.textContent = "The schedule was updated."; }
    } catch (err) {
      /* offline for a moment: the next revision tries again */
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  function onRevision(number) {
    if (!Number.isFinite(number) || number === revision) { return; }
    revision = number;
    refresh();
  }

  showToday();
  const source = new EventSource(R.root() + "/api/changes");
  source.addEventListener("revision", function (e) { onRevision(Number(e.data)); });
})();

/* rentcal booking page: FullCalendar, the live availability box, booking over the API.
 *
 * The page works without this file: the form posts, the server answers. This
 * script adds, on the JSON API of `rentcal serve`:
 *   - the FullCalendar display (month, week, list) of the chosen machine or of
 *     all machines, drawn in the feeds' colours; clicking a day sets the start
 *     date, a second day the end date; dragging across days sets both;
 *   - the availability check as soon as machine and both days are set
 *     (debounced), with the price quote; Book is enabled only when free;
 *   - booking with an Idempotency-Key, so a double click books once;
 *   - on a phone, the answer, the price and Book dock to the bottom of the
 *     screen while days are picked in the calendar (dock.js); past days are
 *     greyed and say why they cannot be picked, in the same answer box;
 *   - live refresh: the revision stream (/api/changes) refetches the events
 *     and re-checks the shown availability whenever anything changes.
 * Days are "YYYY-MM-DD" strings throughout; rentcal's ranges are inclusive,
 * FullCalendar's `end` is exclusive (the day after the last day).
 */
"use strict";

(function () {
  const R = window.rentcal;
  const form = document.getElementById("booking-form");
  if (!form) { return; }

  const el = {
    machine: form.elements.machine,
    start: form.elements.start,
    end: form.elements.end,
    purpose: form.elements.purpose,
    key: form.elements.key,
    book: document.getElementById("book"),
    box: document.getElementById("availability"),
    quote: document.getElementById("quote"),
    formError: document.getElementById("form-error"),
    calendar: document.getElementById("calendar"),
    calendarName: document.getElementById("calendar-name"),
    status: document.getElementById("calendar-status"),
    details: document.getElementById("event-details"),
    grid: document.getElementById("fallback-grid"),
    facts: document.getElementById("machine-facts"),
  };
  const docked = R.dock(document.getElementById("decision-home"),
    document.getElementById("decision"));
  const canBook = form.dataset.canBook === "yes";
  const today = form.dataset.today;
  const CHECK_DELAY_MS = 300;

  let revision = Number(el.calendar.dataset.revision) || 0;
  let calendar = null;
  let checkTimer = null;
  let checkSeq = 0;
  let firstPick = null;     // the first clicked day, waiting for the second
  let submitting = false;

  // -- the form ------------------------------------------------------------------

  /** What the form asks for right now. */
  function request() {
    return { machine: el.machine.value, start: el.start.value, end: el.end.value };
  }

  function complete(req) {
    return Boolean(req.machine && req.start && req.end);
  }

  function selectedOption() {
    return el.machine.options[el.machine.selectedIndex];
  }

  function machineTitle(name) {
    const option = Array.from(el.machine.options).find(function (o) { return o.value === name; });
    return option && option.value ? option.dataset.title : name;
  }

  /** Show (or clear) the server's or our own message next to a field. */
  function setError(name, message) {
    const target = document.getElementById(name + "-error");
    const input = form.elements[name];
    if (target) { target.textContent = message || ""; }
    if (input && input.setAttribute) {
      if (message) { input.setAttribute("aria-invalid", "true"); }
      else { input.removeAttribute("aria-invalid"); }
    }
  }

  function clearErrors() {
    ["machine", "start", "end", "purpose"].forEach(function (name) { setError(name, ""); });
    el.formError.textContent = "";
  }

  /** A server error lands next to the field it names, else above the form. */
  function showServerError(body, status) {
    const message = (body && body.error) || ("the server answered " + status);
    const field = body && body.field;
    if (field && ["machine", "start", "end", "purpose"].indexOf(field) >= 0) {
      setError(field, message);
    } else {
      el.formError.textContent = message;
    }
  }

  /** After Book was refused: the keyboard goes to the first field to correct. */
  function focusFirstInvalid() {
    const bad = form.querySelector("[aria-invalid=true]");
    if (bad) { bad.focus(); }
  }

  /** Book is usable only by a verified member, for a range shown to be free. */
  function setBookable(yes) {
    el.book.disabled = !(canBook && yes) || submitting;
  }

  /** A new idempotency key whenever the request changes (not between two clicks). */
  function renewKey() {
    el.key.value = R.randomKey();
  }

  /** What the member is choosing: the machine's description and price a day. */
  function showFacts() {
    const option = selectedOption();
    el.facts.replaceChildren();
    if (!option || !option.value) { return; }
    const title = document.createElement("strong");
    title.textContent = option.dataset.title;
    const description = option.dataset.description;
    el.facts.append(title, (description ? ": " + description : "") + ". " +
      (option.dataset.priceText || option.dataset.price) + " a day.");
  }

  // -- price quote ---------------------------------------------------------------

  function cents(price) {
    const parts = String(price || "0").split(".");
    return Number(parts[0]) * 100 + Number(((parts[1] || "") + "00").slice(0, 2));
  }

  /** Cents as the server words money (rentcal.core.money): "€1,234.50", "CHF 9.00". */
  function money(totalCents) {
    const whole = Math.floor(totalCents / 100).toLocaleString("en-US");
    const prefix = form.dataset.moneyPrefix || "";
    return prefix + whole + "." + String(totalCents % 100).padStart(2, "0");
  }

  function dayCount(start, end) {
    return Math.round((R.day(end) - R.day(start)) / 86400000) + 1;
  }

  function renderQuote() {
    const req = request();
    el.quote.textContent = "";
    if (!complete(req) || req.end < req.start) { return; }
    const option = selectedOption();
    const price = option.dataset.price;
    const days = dayCount(req.start, req.end);
    const total = document.createElement("strong");
    total.textContent = money(cents(price) * days);
    el.quote.append("Price: " + days + " day" + (days === 1 ? "" : "s") + " × " +
      (option.dataset.priceText || price) + " = ",
      total);
  }

  // -- availability --------------------------------------------------------------

  function timeEl(isoDay) {
    const t = document.createElement("time");
    t.setAttribute("datetime", isoDay);
    t.textContent = R.formatDay(isoDay);
    return t;
  }

  function boxState(state) {
    el.box.classList.remove("idle", "free", "taken", "checking");
    el.box.classList.add(state);
    el.box.dataset.state = state;
  }

  /** The box without an answer: what to do next, or why these days cannot be checked.
   *  `parts` are text or nodes (a <time>); no price goes with it. */
  function showIdle() {
    const parts = Array.prototype.slice.call(arguments).filter(function (x) { return x; });
    delete el.box.dataset.answer;
    boxState("idle");
    const p = document.createElement("p");
    if (parts.length) { p.append.apply(p, parts); }
    else { p.textContent = "Choose a machine and both days to see whether it is free."; }
    el.box.replaceChildren(p);
  }

  /** Why a problem stops the check: said in the box, where the member is looking. */
  function showProblem() {
    el.quote.textContent = "";
    showIdle.apply(null, arguments);
  }

  /** The green or red box from a `check --json` answer (or a 409's conflicts). */
  function showAvailability(answer) {
    setBookable(answer.available);
    if (!answer.available) { el.quote.textContent = ""; }   // no price for refused days
    // A re-check after a live change that finds the same answer changes nothing on screen
    // (and so announces nothing again to a screen reader).
    const signature = JSON.stringify([answer.available, answer.machine, answer.start,
      answer.end, (answer.conflicts || []).map(function (c) { return [c.kind, c.id, c.status]; })]);
    if (el.box.dataset.answer === signature) { return; }
    el.box.dataset.answer = signature;
    const p = document.createElement("p");
    const head = document.createElement("strong");
    if (answer.available) {
      boxState("free");
      head.textContent = "Available.";
      p.append(head, " " + machineTitle(answer.machine) + " is free from ",
        timeEl(answer.start), " to ", timeEl(answer.end), ".");
      el.box.replaceChildren(p);
    } else {
      boxState("taken");
      head.textContent = "Not available.";
      // The conflicts are listed once, below, with their days in the member's locale.
      p.append(head, " " + machineTitle(answer.machine) + " is taken on some of these days:");
      const list = document.createElement("ul");
      list.className = "conflicts";
      (answer.conflicts || []).slice().sort(function (a, b) {
        return a.start < b.start ? -1 : a.start > b.start ? 1 : a.id - b.id;
      }).forEach(function (c) {
        const li = document.createElement("li");
        li.append(timeEl(c.start), " – ", timeEl(c.end),
          ": " + c.kind + " " + c.id + " (" + c.status + ")");
        list.append(li);
      });
      el.box.replaceChildren(p, list);
    }
  }

  function scheduleCheck() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, CHECK_DELAY_MS);
  }

  /** Ask the server; only the answer to the latest question is shown. */
  async function check() {
    clearTimeout(checkTimer);
    const req = request();
    const seq = ++checkSeq;
    if (!complete(req)) {
      if (firstPick === null) {   // else the box keeps saying "now choose the last day"
        showProblem(req.machine || !(req.start && req.end) ? null
          : "Choose one machine (not \"All machines\") to check these days.");
      }
      setBookable(false);
      return;
    }
    if (req.end < req.start) {
      showProblem("The end date is before the start date.");
      setError("end", "end date " + req.end + " is before start date " + req.start);
      setBookable(false);
      return;
    }
    el.box.setAttribute("aria-busy", "true");
    let res;
    try {
      res = await R.api("/api/check-availability", { method: "POST", json: req });
    } catch (err) {
      res = null;
    }
    if (seq !== checkSeq) { return; }   // a newer question was asked meanwhile
    el.box.removeAttribute("aria-busy");
    if (res && res.ok) {
      setError("start", ""); setError("end", ""); setError("machine", "");
      showAvailability(res.body);
    } else if (res) {
      showProblem("These days cannot be checked: " +
        ((res.body && res.body.error) || "the server answered " + res.status) + ".");
      showServerError(res.body, res.status);
      setBookable(false);
    } else {
      showProblem("The server could not be reached to check these days; Book checks again.");
      setBookable(true);
    }
  }

  // -- the chosen range on the calendar -----------------------------------------------

  const CHOICE = "rc-choice";

  function drawChoice() {
    if (!calendar) { markGrid(); return; }
    const old = calendar.getEventById(CHOICE);
    if (old) { old.remove(); }
    const req = request();
    const start = req.start || firstPick;
    const end = req.end || (firstPick ? firstPick : null);
    if (!start || !end || end < start) { return; }
    calendar.addEvent({
      id: CHOICE, start: start, end: R.addDays(end, 1), allDay: true,
      display: "background", classNames: ["rc-choice"],
    });
  }

  function announce(text) {
    el.status.textContent = text;
  }

  /** Typed days in another month: show that month. */
  function follow() {
    const start = el.start.value;
    if (!calendar || !start) { return; }
    const view = calendar.view;
    const from = calendar.formatIso(view.activeStart, true);
    const until = calendar.formatIso(view.activeEnd, true);   // exclusive
    if (start < from || start >= until) { calendar.gotoDate(start); }
  }

  /** Everything that follows a change of machine or days. */
  function changed() {
    if (el.start.value || el.end.value || firstPick) { docked.engage(); }
    clearErrors();
    renewKey();
    renderQuote();
    drawChoice();
    scheduleCheck();
  }

  function setDays(start, end) {
    el.start.value = start;
    el.end.value = end;
    changed();
  }

  /** Click a day for the start, a second one for the end (either order). A past day
   *  is not picked: the box says why, and the pick so far stays as it was. */
  function onDateClick(info) {
    if (!canBook) { return; }
    const picked = info.dateStr.slice(0, 10);
    docked.engage();
    if (picked < today) {
      showProblem(timeEl(picked), " has passed: choose today or a later day.");
      return;
    }
    if (firstPick === null) {
      firstPick = picked;
      setDays(picked, "");
      showProblem("Start date ", timeEl(picked), ". Now choose the last day.");
    } else {
      const a = firstPick <= picked ? firstPick : picked;
      const b = firstPick <= picked ? picked : firstPick;
      firstPick = null;
      setDays(a, b);
      announce("");   // the box announces the answer (role=status)
    }
  }

  /** Dragging across days selects them all (FullCalendar's end is exclusive). */
  function onSelect(info) {
    firstPick = null;
    calendar.unselect();
    const start = info.startStr.slice(0, 10);
    const end = R.addDays(info.endStr.slice(0, 10), -1);
    docked.engage();
    if (start < today) {
      showProblem(timeEl(start), " has passed: choose today or a later day.");
      return;
    }
    setDays(start, end);
  }

  // -- event details -------------------------------------------------------------

  function row(list, term, value) {
    if (value === null || value === undefined || value === "") { return; }
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = term;
    dd.append(value);
    list.append(dt, dd);
  }

  function daysText(start, lastDay) {
    const span = document.createElement("span");
    const n = dayCount(start, lastDay);
    span.append(timeEl(start), " – ", timeEl(lastDay), " (" + n + " day" + (n === 1 ? "" : "s") + ")");
    return span;
  }

  async function onEventClick(info) {
    info.jsEvent.preventDefault();
    const event = info.event;
    if (event.id === CHOICE) { return; }
    const props = event.extendedProps;
    const start = event.startStr.slice(0, 10);
    const lastDay = R.addDays((event.endStr || event.startStr).slice(0, 10), event.endStr ? -1 : 0);
    const heading = document.createElement("h3");
    const list = document.createElement("dl");
    row(list, "Machine", machineTitle(props.machine) + " (" + props.machine + ")");
    if (props.type === "rental") {
      heading.textContent = "Rental " + props.rentalId;
      row(list, "Member", props.userName);
    } else {
      heading.textContent = "Maintenance " + props.maintenanceId;
      row(list, "Kind", props.maintenanceType);
    }
    row(list, "Days", daysText(start, lastDay));
    row(list, "Status", props.status);
    const close = document.createElement("button");
    close.type = "button";
    close.className = "secondary";
    close.textContent = "Close";
    close.addEventListener("click", function () {
      el.details.hidden = true;
      el.calendar.focus();
    });
    const parts = [heading, list];
    if (props.type === "rental") {
      const link = document.createElement("a");
      link.href = R.root() + "/rentals/" + props.rentalId;
      link.textContent = "Open rental " + props.rentalId;
      parts.push(link, " ");
    }
    parts.push(close);
    el.details.replaceChildren.apply(el.details, parts);
    el.details.hidden = false;
    el.details.focus();
    if (props.type === "rental") {
      // Purpose and price: only what this viewer may see (the API nulls the rest).
      const res = await R.api("/api/rentals/" + props.rentalId);
      if (res.ok && res.body) {
        row(list, "Purpose", res.body.purpose);
        row(list, "Price", res.body.price);
      }
    }
  }

  // -- FullCalendar ----------------------------------------------------------------

  function eventsUrl(start, end) {
    const machine = el.machine.value;
    const range = "start=" + start + "&end=" + end;
    return machine
      ? "/api/machines/" + encodeURIComponent(machine) + "/events?" + range
      : "/api/events?" + range;
  }

  function fetchEvents(info, success, failure) {
    R.api(eventsUrl(info.startStr.slice(0, 10), info.endStr.slice(0, 10))).then(function (res) {
      if (res.ok && Array.isArray(res.body)) { success(res.body); }
      else { failure(new Error((res.body && res.body.error) || "events not loaded")); }
    }, failure);
  }

  /** The first day of the week in the member's locale (FullCalendar: 0 = Sunday). */
  function firstDay() {
    try {
      const locale = new Intl.Locale(navigator.language);
      const info = locale.getWeekInfo ? locale.getWeekInfo() : locale.weekInfo;
      if (info && info.firstDay) { return info.firstDay % 7; }
    } catch (err) { /* an old browser: Monday */ }
    return 1;
  }

  /** Without FullCalendar, the server's grid takes the same clicks and shades the range. */
  function markGrid() {
    const req = request();
    const start = req.start || firstPick;
    const end = req.end || start;
    el.grid.querySelectorAll("td[data-date]").forEach(function (td) {
      const d = td.dataset.date;
      td.classList.toggle("chosen", Boolean(start && end && d >= start && d <= end));
    });
  }

  function startGrid() {
    document.documentElement.classList.add("no-fc");
    el.grid.addEventListener("click", function (event) {
      const cell = event.target.closest("td[data-date]");
      if (cell && !event.target.closest("a")) { onDateClick({ dateStr: cell.dataset.date }); }
    });
  }

  /** A local Date (FullCalendar's) as "YYYY-MM-DD". */
  function isoOf(date) {
    return date.getFullYear() + "-" + String(date.getMonth() + 1).padStart(2, "0") + "-" +
      String(date.getDate()).padStart(2, "0");
  }

  /** "Week" shows the week the member cares about in the month on screen: the chosen
   *  start, else today, else the month's first week (FullCalendar's own button would
   *  show the week of the 1st, often the week before today). */
  function showWeek() {
    const view = calendar.view;
    const from = isoOf(view.currentStart);
    const until = isoOf(view.currentEnd);   // exclusive
    const wanted = [el.start.value, firstPick, today].find(function (d) {
      return d && d >= from && d < until;
    });
    calendar.changeView("dayGridWeek", wanted || from);
  }

  /** Past days: greyed (the stylesheet) and never part of a dragged selection. */
  function pastClass(arg) {
    return isoOf(arg.date) < today ? ["rc-past"] : [];
  }

  const NARROW = window.matchMedia("(max-width: 40rem)");
  const SHORT = { pending: "Req.", approved: "Taken", scheduled: "Maint." };

  /** On a phone a day is too narrow for "Requested by Bob Baker": the status in a word
   *  is shown, the whole title is read out, and a tap opens the details. */
  function eventContent(arg) {
    const props = arg.event.extendedProps;
    const short = NARROW.matches && SHORT[props.status];
    if (!short) { return true; }   // FullCalendar's own rendering
    const seen = document.createElement("span");
    seen.className = "rc-short";
    seen.setAttribute("aria-hidden", "true");
    seen.textContent = short;
    const heard = document.createElement("span");
    heard.className = "visually-hidden";
    heard.textContent = arg.event.title;
    return { domNodes: [seen, heard] };
  }

  /** FullCalendar's arrow icons are role="img" without a name; their buttons are named
   *  by their title ("Previous month"), so the icons are hidden from screen readers. */
  function quietIcons() {
    el.calendar.querySelectorAll(".fc-icon").forEach(function (icon) {
      icon.setAttribute("aria-hidden", "true");
    });
  }

  function startCalendar() {
    if (!window.FullCalendar) {
      // Blocked, offline or not loaded: the server-rendered month grid stays.
      startGrid();
      return;
    }
    calendar = new window.FullCalendar.Calendar(el.calendar, {
      initialView: "dayGridMonth",
      initialDate: el.calendar.dataset.initialDate,
      locale: navigator.language,
      firstDay: firstDay(),
      headerToolbar: { left: "prev,next today", center: "title",
        right: "dayGridMonth,dayGridWeek,listMonth" },
      buttonText: { today: "Today", dayGridMonth: "Month", listMonth: "List" },
      // Named as the view, so FullCalendar still marks it pressed in the week view.
      customButtons: { dayGridWeek: { text: "Week", hint: "Week view", click: showWeek } },
      views: { dayGridWeek: { dayHeaderFormat: { weekday: "short", day: "numeric" } } },
      dayCellClassNames: pastClass,
      selectAllow: function (span) { return isoOf(span.start) >= today; },
      eventContent: eventContent,
      height: "auto",
      fixedWeekCount: false,
      eventInteractive: true,      // events are focusable; Enter opens their details
      selectable: canBook,
      selectMinDistance: 5,        // a click is a dateClick, a drag a selection
      events: fetchEvents,
      dateClick: onDateClick,
      select: onSelect,
      eventClick: onEventClick,
      loading: function (busy) { el.calendar.setAttribute("aria-busy", busy ? "true" : "false"); },
      datesSet: quietIcons,
    });
    calendar.render();
    NARROW.addEventListener("change", function () {
      calendar.setOption("eventContent", function (arg) { return eventContent(arg); });
    });
    document.documentElement.classList.add("fc-ready");
    drawChoice();
  }

  // -- live ------------------------------------------------------------------------

  /** Without FullCalendar, the server's grid is fetched again and swapped in. */
  async function refreshGrid() {
    const url = new URL(window.location.href);
    url.searchParams.set("machine", el.machine.value);
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) { return; }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("fallback-grid");
    if (fresh) { el.grid.replaceChildren.apply(el.grid, Array.from(fresh.childNodes)); }
    R.localise(el.grid);
    markGrid();
  }

  function refresh() {
    if (calendar) { calendar.refetchEvents(); } else { refreshGrid(); }
    if (complete(request())) { check(); }   // the shown answer may have changed
  }

  function onRevision(number) {
    if (!Number.isFinite(number) || number === revision) { return; }
    revision = number;
    refresh();
  }

  function listen() {
    if (!window.EventSource) { return; }
    const source = new EventSource(R.root() + "/api/changes");
    source.addEventListener("revision", function (e) { onRevision(Number(e.data)); });
  }

  // -- booking ------------------------------------------------------------------------

  async function submit(event) {
    event.preventDefault();
    if (submitting) { return; }
    const req = request();
    clearErrors();
    let missing = false;
    if (!req.machine) { setError("machine", "choose a machine to book (not \"All machines\")"); missing = true; }
    if (!req.start) { setError("start", "start date is required"); missing = true; }
    if (!req.end) { setError("end", "end date is required"); missing = true; }
    if (missing) { focusFirstInvalid(); return; }
    submitting = true;
    el.book.disabled = true;
    el.book.textContent = "Booking…";
    const body = { machine: req.machine, start: req.start, end: req.end,
      purpose: el.purpose.value.trim() || null };
    let res;
    try {
      res = await R.api("/api/rentals",
        { method: "POST", json: body, headers: { "Idempotency-Key": el.key.value } });
    } catch (err) {
      // The API could not be reached: post the form itself (same idempotency key).
      HTMLFormElement.prototype.submit.call(form);
      return;
    }
    if (res.status === 201 && res.body) {
      window.location.assign(R.root() + "/rentals/" + res.body.id + "?done=booked");
      return;
    }
    submitting = false;
    el.book.textContent = "Book";
    if (res.status === 409 && res.body && res.body.code === "unavailable") {
      showAvailability({ available: false, machine: req.machine, start: req.start,
        end: req.end, conflicts: res.body.conflicts, message: res.body.error });
    } else {
      if (res.status === 422) { renewKey(); }
      showServerError(res.body, res.status);
      showProblem("Not booked: " + ((res.body && res.body.error) || "the server answered " +
        res.status) + ".");
      setBookable(true);
      focusFirstInvalid();
    }
  }

  // -- wiring ---------------------------------------------------------------------------

  el.machine.addEventListener("change", function () {
    const url = new URL(window.location.href);
    if (el.machine.value) { url.searchParams.set("machine", el.machine.value); }
    else { url.searchParams.delete("machine"); }
    window.history.replaceState(null, "", url);
    el.calendarName.textContent = el.machine.value ? machineTitle(el.machine.value) : "All machines";
    showFacts();
    el.details.hidden = true;
    if (calendar) { calendar.refetchEvents(); } else { refreshGrid(); }
    changed();
  });
  ["start", "end"].forEach(function (name) {
    el[name].addEventListener("change", function () { firstPick = null; follow(); changed(); });
  });
  el.purpose.addEventListener("input", renewKey);
  form.addEventListener("submit", submit);

  startCalendar();
  listen();
  renderQuote();
  if (complete(request())) { check(); } else { setBookable(false); }
})();

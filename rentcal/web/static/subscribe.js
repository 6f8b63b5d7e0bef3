/* rentcal: the Copy button beside a new feed URL on /me (templates/_me_subscribe.html).
 *
 * Without JavaScript the URL is in a read-only text box to select and copy by hand;
 * this script shows the button. It copies with the Clipboard API where the page may
 * (https or localhost), else selects the text and asks the browser to copy the
 * selection; if neither works, the text stays selected and the status says how to
 * copy it by hand. Plain JavaScript, no build step.
 */
"use strict";

(function () {
  /** Select the whole text of a text box (also on iOS, which ignores select()). */
  function selectAll(box) {
    box.focus();
    box.select();
    box.setSelectionRange(0, box.value.length);
  }

  /** The old way: copy the selection. False when the browser refuses. */
  function copySelection(box) {
    selectAll(box);
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  async function copy(box) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(box.value);
        return true;
      } catch (e) {
        /* permission refused: fall back to the selection */
      }
    }
    return copySelection(box);
  }

  function setUp(button) {
    const box = document.getElementById(button.dataset.copy);
    const status = document.getElementById("copy-status");
    if (!box || !status) { return; }
    button.hidden = false;
    button.addEventListener("click", async function () {
      if (await copy(box)) {
        status.textContent = "Copied. Paste it into your calendar app.";
      } else {
        selectAll(box);
        status.textContent = "Selected: press Ctrl+C (⌘C on a Mac) to copy it.";
      }
    });
    // A click into the box selects the whole URL, ready to copy by hand.
    box.addEventListener("focus", function () { selectAll(box); });
  }

  function init() {
    document.querySelectorAll("button[data-copy]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

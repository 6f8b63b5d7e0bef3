/* Docking: keep a page's answer in view while the member works elsewhere on it.
 *
 * On a phone the booking page is one column: the answer ("Available", the price,
 * Book) sits above the calendar, so after tapping two days it is off-screen. Once
 * engaged, the block docks to the bottom of the viewport whenever its home is not
 * wholly on screen, and goes back home when it is. Its home keeps the block's
 * height meanwhile (nothing below jumps), and the page gets room at its end so
 * the docked block never hides the last lines. The block stays where it is in the
 * document, so the tab order and screen readers see no change.
 */
"use strict";

window.rentcal.dock = function (home, block) {
  let engaged = false;
  let away = false;          // the home is not wholly on screen

  function place() {
    const docked = engaged && away;
    if (docked !== block.classList.contains("docked")) {
      if (docked) { home.style.minHeight = block.offsetHeight + "px"; }
      else { home.style.minHeight = ""; }
      block.classList.toggle("docked", docked);
    }
    // Room below the page's end, and keyboard focus scrolled clear of the docked block.
    const room = docked ? block.offsetHeight + "px" : "";
    document.body.style.paddingBottom = room;
    document.documentElement.style.scrollPaddingBottom = room;
  }

  if (window.IntersectionObserver) {
    new IntersectionObserver(function (entries) {
      away = entries[entries.length - 1].intersectionRatio < 0.99;
      place();
    }, { threshold: [0, 0.25, 0.5, 0.75, 0.99, 1] }).observe(home);
  }
  if (window.ResizeObserver) {
    new ResizeObserver(function () { place(); }).observe(block);
  }

  return {
    /** From now on the block follows the member (after the first pick of a day). */
    engage: function () { engaged = true; place(); },
    /** Back home for good (nothing chosen any more). */
    release: function () { engaged = false; place(); },
  };
};

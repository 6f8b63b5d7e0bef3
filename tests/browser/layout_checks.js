// The layout checks of tests/test_browser_pictures.py, run in the page as it is drawn.
//
// Returns {overflow, clipped, overlap, outside}: lists of what is wrong, empty when
// nothing is. "Shown" means drawn (a box, not visibility:hidden, not transparent) and
// not visually hidden on purpose (.visually-hidden, the skip link, a 1 px clip).
// Elements inside a box made to scroll sideways (overflow-x auto or scroll, like the
// schedule's table) are judged against that box, never against the page.
() => {
  const round = (n) => Math.round(n);
  const name = (el) => {
    const id = el.id ? `#${el.id}` : '';
    const cls = typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.') : '';
    return `${el.tagName.toLowerCase()}${id}${cls}`;
  };
  const words = (text) => text.replace(/\s+/g, ' ').trim().slice(0, 40);
  const width = document.documentElement.clientWidth;

  const hiddenOnPurpose = (el) => {
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      if (e.classList.contains('visually-hidden') || e.classList.contains('skip')) return true;
      const css = getComputedStyle(e);
      if (css.visibility === 'hidden' || css.opacity === '0') return true;
      if (css.clip === 'rect(0px, 0px, 0px, 0px)' || css.clipPath === 'inset(50%)') return true;
      if (css.position === 'absolute' && e.offsetWidth <= 1 && e.offsetHeight <= 1) return true;
    }
    return false;
  };
  // checkVisibility: false inside a closed <details> too (content-visibility: hidden).
  const shown = (el) => el.getClientRects().length > 0 && el.checkVisibility()
    && !hiddenOnPurpose(el);
  const scrollsSideways = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const scroller = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      if (scrollsSideways(e)) return e;
    }
    return null;
  };

  // 1. The page never scrolls sideways.
  const overflow = [];
  const page = document.scrollingElement || document.documentElement;
  if (page.scrollWidth > width) overflow.push(`page ${page.scrollWidth} px wide in ${width}`);

  // 2. No box cuts its own text: overflow hidden/clip (or an ellipsis) with more inside
  //    than shows. Form fields hold what is typed; a select is judged by its option.
  const clipped = [];
  const cuts = new Set(['hidden', 'clip']);
  for (const el of document.body.querySelectorAll('*')) {
    if (['INPUT', 'TEXTAREA', 'SELECT', 'svg', 'SCRIPT', 'STYLE'].includes(el.tagName)) continue;
    if (!el.innerText || !el.innerText.trim() || !shown(el)) continue;
    const css = getComputedStyle(el);
    const ellipsis = css.textOverflow === 'ellipsis';
    if (!(cuts.has(css.overflowX) || cuts.has(css.overflowY) || ellipsis)) continue;
    if ((cuts.has(css.overflowX) || ellipsis) && el.scrollWidth > el.clientWidth + 1) {
      clipped.push(`${name(el)} cuts "${words(el.innerText)}" sideways`
        + ` (${el.scrollWidth} px in ${el.clientWidth})`);
    } else if (cuts.has(css.overflowY) && el.scrollHeight > el.clientHeight + 1) {
      clipped.push(`${name(el)} cuts "${words(el.innerText)}" at the bottom`
        + ` (${el.scrollHeight} px in ${el.clientHeight})`);
    }
  }
  const pen = document.createElement('canvas').getContext('2d');
  for (const s of document.querySelectorAll('select')) {
    if (!shown(s) || s.multiple || s.size > 1) continue;
    const css = getComputedStyle(s);
    pen.font = css.font;
    const text = s.selectedIndex >= 0 ? s.options[s.selectedIndex].text.trim() : '';
    const room = s.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight) - 20;
    const need = pen.measureText(text).width;
    if (need > room) clipped.push(`${name(s)} cuts "${text}" (${round(need)} px in ${round(room)})`);
  }

  // 3. No two pieces of text (or a piece of text and a control) on top of each other.
  //    Text is measured by its line boxes (a Range over each text node), not by the
  //    boxes of its elements, which may be wider than the words in them.
  const pieces = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.data.trim() || !el || ['SCRIPT', 'STYLE', 'OPTION', 'TEXTAREA', 'TITLE', 'desc']
      .includes(el.tagName) || !shown(el)) continue;
    let rects;
    if (el instanceof SVGElement) {
      rects = [el.getBoundingClientRect()];
    } else {
      const range = document.createRange();
      range.selectNodeContents(node);
      rects = [...range.getClientRects()];
    }
    for (const r of rects) {
      if (r.width > 0.5 && r.height > 0.5) pieces.push({el, r, what: words(node.data)});
    }
  }
  for (const el of document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, img, svg')) {
    if (shown(el) && !(el.parentElement && el.parentElement.closest('svg'))) {
      pieces.push({el, r: el.getBoundingClientRect(), what: name(el), box: true});
    }
  }
  const overlap = [];
  const clipOf = (el) => {
    const s = scroller(el);
    return s ? s.getBoundingClientRect() : null;
  };
  const visiblePart = (p) => {
    const c = clipOf(p.el);
    if (!c) return p.r;
    return {left: Math.max(p.r.left, c.left), right: Math.min(p.r.right, c.right),
            top: Math.max(p.r.top, c.top), bottom: Math.min(p.r.bottom, c.bottom)};
  };
  const parts = pieces.map(visiblePart);
  // Sticky and fixed layers sit over what scrolls under them on purpose.
  const layer = (el) => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const pos = getComputedStyle(e).position;
      if (pos === 'sticky' || pos === 'fixed') return e;
    }
    return null;
  };
  const layers = pieces.map((p) => layer(p.el));
  for (let i = 0; i < pieces.length; i++) {
    for (let j = i + 1; j < pieces.length; j++) {
      const a = pieces[i], b = pieces[j];
      if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
      if (layers[i] !== layers[j]) continue;
      const p = parts[i], q = parts[j];
      const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (w > 1 && h > 1) {
        overlap.push(`"${a.what}" (${name(a.el)}) and "${b.what}" (${name(b.el)})`);
      }
    }
  }

  // 4. No control sticks out of the box it sits in, nor out of the viewport.
  const outside = [];
  const container = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const display = getComputedStyle(e).display;
      if (!display.startsWith('inline') && display !== 'contents') return e;
    }
    return document.body;
  };
  for (const el of document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, .button, img')) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    const s = scroller(el);
    if (!s && (r.left < -0.5 || r.right > width + 0.5)) {
      outside.push(`${name(el)} at ${round(r.left)}..${round(r.right)} in ${width} px`);
      continue;
    }
    const box = container(el);
    const b = box.getBoundingClientRect();
    if (r.left < b.left - 0.5 || r.right > b.right + 0.5) {
      outside.push(`${name(el)} at ${round(r.left)}..${round(r.right)} sticks out of`
        + ` ${name(box)} at ${round(b.left)}..${round(b.right)}`);
    }
  }
  return {overflow, clipped, overlap, outside};
}

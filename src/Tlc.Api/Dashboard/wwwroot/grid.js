// A virtual table grid: a scroll container whose height stands for every matched row, showing only the rows in view
// (plus a few below) and fetching them in blocks as the view moves. The DOM holds at most a screenful of rows whatever
// the table's size; blocks are cached (a bounded number, the least recently used dropped first). Past the height a
// browser can give an element, scroll positions are scaled, so 10^7 rows still scroll from the first to the last.
// One grid serves one query (table, filter, sort): a new query builds a new grid, so no block of an older one is shown.

/** Rows fetched at a time. */
export const BLOCK = 100;
/** Blocks kept in memory. */
const CACHED = 24;
/** Rows rendered below the view (clipped), so a small scroll shows rows already built. */
const OVERSCAN = 4;
/** The tallest scroll height used (browsers cap element heights at ~16-33M px). */
const MAX_HEIGHT = 8_000_000;
/** How long scrolling must pause before the missing blocks are fetched (ms). */
const SETTLE = 40;

/**
 * Builds the grid. `first` is the answer of `fetchRows(offset, BLOCK)` for the block holding `offset`; `head` the header
 * row; `row(item, block)` builds one row (`tr[data-row]`); `onSettle(offset)` is told the first row shown once scrolling stops.
 * Returns the scroll container (`data-testid="grid-scroller"`, with `scrollToRow(n)`); the table inside keeps `data-testid="grid"`.
 */
export function grid({ el, first, offset = 0, rowHeight, head, row, fetchRows, onSettle }) {
  const matched = first.matched;
  const blocks = new Map(); // block index → answer (Map order = recency)
  const pending = new Map(); // block index → promise
  blocks.set(Math.floor(first.offset / BLOCK), first);
  const body = el('tbody');
  const table = el('table', { class: 'grid virtual', 'data-testid': 'grid' }, el('thead', {}, head), body);
  const view = el('div', { class: 'grid-view' }, table);
  const spacer = el('div', { class: 'grid-spacer' });
  const scroller = el('div', { class: 'grid-scroller', 'data-testid': 'grid-scroller', tabindex: '0' }, view, spacer);
  let top = Math.max(0, Math.min(offset, matched - 1));
  let height = Math.max(240, Math.round(window.innerHeight * 0.7)); // until laid out
  let headHeight = 32;
  let timer = 0;
  let settled = true;
  let placedAt = -1; // the scrollTop scrollToRow set: its scroll event keeps the exact row asked for

  const fits = () => Math.max(1, Math.floor((height - headHeight) / rowHeight));
  const lastTop = () => Math.max(0, matched - fits());
  const range = () => Math.max(0, Math.min(headHeight + matched * rowHeight, MAX_HEIGHT) - height);

  const cached = index => {
    const block = blocks.get(index);
    if (block) { blocks.delete(index); blocks.set(index, block); } // most recently used last
    return block;
  };

  function draw() {
    const end = Math.min(matched, top + fits() + OVERSCAN);
    const rows = [];
    let missing = false;
    for (let n = top; n < end; n++) {
      const block = cached(Math.floor(n / BLOCK));
      const item = block?.items[n - block.offset];
      if (item) rows.push(row(item, block));
      else {
        missing = true;
        const placeholder = el('tr', { class: 'loading', 'data-row': n }, el('td', { colspan: String(head.children.length) }, '…'));
        placeholder.style.height = `${rowHeight}px`;
        rows.push(placeholder);
      }
    }
    body.replaceChildren(...rows);
    scroller.dataset.top = String(top);
    scroller.dataset.loading = String(missing);
    return missing;
  }

  function load() {
    if (!scroller.isConnected) return;
    const end = Math.min(matched, top + fits() + OVERSCAN);
    for (let index = Math.floor(top / BLOCK); index * BLOCK < end; index++) {
      if (blocks.has(index) || pending.has(index)) continue;
      const request = fetchRows(index * BLOCK, BLOCK).then(block => {
        pending.delete(index);
        if (!scroller.isConnected) return;
        blocks.set(index, block);
        while (blocks.size > CACHED) blocks.delete(blocks.keys().next().value);
        draw();
      }, error => {
        pending.delete(index);
        scroller.dataset.error = error.message ?? String(error);
      });
      pending.set(index, request);
    }
  }

  function settle() {
    timer = 0;
    load();
    if (!settled) { settled = true; onSettle?.(top); }
  }

  function update() {
    const r = range();
    if (Math.abs(scroller.scrollTop - placedAt) >= 1) top = r > 0 ? Math.min(lastTop(), Math.round(scroller.scrollTop / r * lastTop())) : 0;
    settled = false;
    if (draw()) {
      clearTimeout(timer);
      timer = setTimeout(settle, SETTLE);
    } else if (!timer) {
      timer = setTimeout(settle, SETTLE);
    }
  }

  function layout() {
    height = scroller.clientHeight || height;
    headHeight = head.getBoundingClientRect().height || headHeight;
    view.style.height = `${height}px`;
    spacer.style.height = `${range()}px`;
  }

  /** Scrolls so that row `n` is the first shown (or as near as the end allows). */
  scroller.scrollToRow = n => {
    top = Math.max(0, Math.min(n, lastTop()));
    scroller.scrollTop = lastTop() > 0 ? top / lastTop() * range() : 0;
    placedAt = scroller.scrollTop;
    update();
  };

  scroller.dataset.matched = String(matched);
  scroller.addEventListener('scroll', update, { passive: true });
  let placed = offset <= 0;
  new ResizeObserver(() => {
    if (!scroller.isConnected) return;
    layout();
    if (!placed) { placed = true; scroller.scrollToRow(top); }
    else { draw(); load(); }
  }).observe(scroller);
  spacer.style.height = `${range()}px`;
  draw();
  return scroller;
}

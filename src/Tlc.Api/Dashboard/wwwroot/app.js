// The Tlc dashboard: browse a root's projects, tables and runs; page, sort and filter a table's rows server-side; a
// histogram or value counts of any column; one sample's values. Every value from a table is set as text (textContent),
// never parsed as HTML.

import { scatter } from './scatter.js';
import { render as jobsPage } from './jobs.js';
import { compareBar, sampleMetrics } from './compare.js';
import { grid, BLOCK } from './grid.js';
import { annotate, annotationToggle } from './annotations.js';

const app = document.getElementById('app');
const crumbs = document.getElementById('crumbs');

/** Creates an element with attributes and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key === 'style') Object.assign(node.style, value); // CSSOM: the page's policy refuses inline style attributes
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function post(path, body) {
  const response = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (!response.ok) throw Object.assign(new Error(answer.error ?? `${response.status} ${response.statusText}`), { status: response.status, head: answer.head });
  return answer;
}

export async function api(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined && v !== null && v !== '') query.append(key, v);
    }
  }
  const response = await fetch(`${path}${query.size ? `?${query}` : ''}`, { credentials: 'same-origin' });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

function route() {
  const hash = location.hash.slice(1) || '/';
  const [path, query = ''] = hash.split('?');
  return { path, params: new URLSearchParams(query) };
}

export function link(path, params, text) {
  return el('a', { href: `#${path}?${new URLSearchParams(params)}` }, text);
}

function showError(error) {
  app.replaceChildren(el('p', { class: 'error', 'data-testid': 'error' }, error.message ?? String(error)));
}

/** A value as the grid shows it: class names for labels, numbers shortened, lists and structs as JSON. */
export function display(value, column) {
  if (value === null || value === undefined) return '';
  if (column?.classes && typeof value === 'number' && column.classes[String(value)] !== undefined) return column.classes[String(value)];
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, '');
  if (typeof value === 'object') return JSON.stringify(value).slice(0, 200);
  return String(value);
}

/** Whether a column holds images the API can render (its values are image file URLs). */
const isImage = column => column.type === 'image';

/** An image of a row, scaled server-side to fit size × size. */
function image(url, row, column, size) {
  return el('img', { src: `/v1/image?${new URLSearchParams({ table: url, row, column: column.name, size })}`, loading: 'lazy', alt: `${column.name} of row ${row}`, class: 'thumb' });
}

/**
 * The image of a grid item, with the item's annotations drawn over it: from the input table when the column comes from it
 * (a metrics table joined to its input).
 */
function imageOf(page, item, column, url, size) {
  const img = column.source === 'input'
    ? image(page.input_table, item.input_row, { name: column.column }, size)
    : image(url, item.row, column, size);
  return annotate(img, column, item.values, page.columns);
}

async function browse() {
  crumbs.replaceChildren();
  const [{ tables }, { runs }] = await Promise.all([api('/v1/tables'), api('/v1/runs')]);
  const projects = [...new Set([...tables.map(t => t.project), ...runs.map(r => r.project)])].sort();
  const page = [el('h1', {}, 'Projects')];
  if (projects.length === 0) page.push(el('p', { class: 'muted' }, 'Nothing under this root yet. Try: tlc demo'));
  for (const project of projects) {
    page.push(el('h2', { 'data-testid': `project-${project}` }, project));
    const own = tables.filter(t => t.project === project);
    if (own.length) {
      page.push(el('table', { class: 'list', 'data-testid': 'tables' },
        el('tr', {}, el('th', {}, 'dataset'), el('th', {}, 'table'), el('th', {}, 'rows'), el('th', {}, 'lineage'), el('th', {}, 'revision'), el('th', {}, 'created')),
        own.map(t => el('tr', {},
          el('td', {}, t.dataset),
          el('td', {}, link('/table', t.lineage === 'metrics' ? { url: t.url, join: 'input' } : { url: t.url }, t.name)),
          el('td', { class: 'num' }, t.rows.toLocaleString()),
          el('td', {}, t.lineage + (t.parents.length ? ` of ${t.parents.join(', ')}` : '')),
          el('td', {}, t.revision ?? ''),
          el('td', {}, t.created)))));
    }
    const ownRuns = runs.filter(r => r.project === project);
    if (ownRuns.length) {
      page.push(el('h2', {}, `Runs of ${project}`));
      page.push(el('table', { class: 'list', 'data-testid': 'runs' },
        el('tr', {}, el('th', {}, 'run'), el('th', {}, 'status'), el('th', {}, 'parameters'), el('th', {}, 'metrics tables')),
        ownRuns.map(r => el('tr', {},
          el('td', {}, link('/run', { project: r.project, run: r.name }, r.name)),
          el('td', {}, r.status ?? ''),
          el('td', {}, r.parameters ? JSON.stringify(r.parameters) : ''),
          el('td', {}, (r.metrics ?? []).map(m => el('div', {}, link('/table', { url: m.url, join: 'input' }, `${m.stream_name} (${m.row_count} rows)`))))))));
    }
  }
  app.replaceChildren(...page);
}

async function tablePage(params) {
  const url = params.get('url');
  const join = params.get('join') ?? '';
  const compare = params.get('compare') ?? '';
  const scope = { join, compare };
  const filters = params.getAll('filter');
  const sort = params.get('sort') ?? '';
  const desc = params.get('desc') === 'true';
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const fetchRows = (at, limit) => api('/v1/rows', { table: url, ...scope, filter: filters, sort, desc, offset: at, limit });
  const page = await fetchRows(Math.floor(offset / BLOCK) * BLOCK, BLOCK);
  crumbs.replaceChildren(link('/', {}, 'projects'), ' / ', el('span', {}, url.split('/').slice(-1)[0]));
  const go = changes => {
    const next = new URLSearchParams({ url });
    if (join) next.set('join', join);
    if (changes.compare ?? compare) next.set('compare', changes.compare ?? compare);
    for (const f of changes.filter ?? filters) next.append('filter', f);
    const s = changes.sort ?? sort;
    if (s) next.set('sort', s);
    if (changes.desc ?? desc) next.set('desc', 'true');
    next.set('offset', String(changes.offset ?? 0));
    location.hash = `#/table?${next}`;
  };
  const filterBox = el('input', { type: 'text', value: filters.join('; '), placeholder: 'label==Dress; loss>0.5; name~abc', 'data-testid': 'filter' });
  const toolbar = el('form', { class: 'toolbar', onsubmit: e => { e.preventDefault(); go({ filter: filterBox.value.split(';').map(s => s.trim()).filter(Boolean) }); } },
    filterBox, el('button', { type: 'submit' }, 'Filter'),
    el('span', { class: 'muted', 'data-testid': 'matched' }, `${page.matched.toLocaleString()} of ${page.rows.toLocaleString()} rows`),
    el('button', { type: 'button', 'data-testid': 'select-matching', disabled: page.matched ? null : '', title: 'edit every row the filters keep',
      onclick: () => { everyMatching = true; renderEditBar(); } }, 'Edit all matching'));
  const columns = page.columns;
  // Edits go to the table the rows are stored in: the input table when a metrics table is shown joined to it.
  const target = join ? page.input_table : url;
  const targetRow = item => join ? item.input_row : item.row;
  const selected = new Set();
  // Every matching row at once (what a brush, lasso or filter keeps): the server finds them from the view's filters.
  let everyMatching = false;
  const editBar = el('div', { class: 'toolbar editbar', 'data-testid': 'editbar', hidden: '' });
  const renderEditBar = () => {
    editBar.hidden = selected.size === 0 && !everyMatching;
    if (editBar.hidden) return;
    const weight = el('input', { type: 'number', min: '0', step: 'any', value: '0', 'data-testid': 'edit-weight', style: { width: '80px' } });
    const labelColumn = columns.find(c => c.classes && (!join || c.source === 'input'));
    const label = labelColumn && el('select', { 'data-testid': 'edit-label' }, Object.entries(labelColumn.classes).map(([value, name]) => el('option', { value: name }, name)));
    const status = el('span', { class: 'muted', 'data-testid': 'edit-status' });
    const edit = async change => {
      status.textContent = 'publishing…';
      try {
        const rows = everyMatching ? { match: { table: url, join, compare, filter: filters } } : { rows: [...selected] };
        const revision = await post('/v1/edits', { table: target, ...rows, ...change });
        status.textContent = `revision ${revision.revision} published (${revision.rows} rows)`;
        location.hash = `#/table?${new URLSearchParams({ url: revision.url })}`;
      } catch (error) {
        status.replaceChildren(el('span', { class: 'error', 'data-testid': 'edit-error' }, error.message),
          ...(error.head ? [' ', link('/table', { url: error.head }, 'open the current head')] : []));
      }
    };
    editBar.replaceChildren(el('strong', { 'data-testid': 'selected' }, everyMatching ? `all ${page.matched.toLocaleString()} matching rows` : `${selected.size} selected`),
      weight, el('button', { type: 'button', onclick: () => edit({ weight: Number(weight.value) }) }, 'Set weight'),
      ...(label ? [label, el('button', { type: 'button', onclick: () => edit({ set: { [labelColumn.column ?? labelColumn.name]: label.value } }) }, `Set ${labelColumn.column ?? labelColumn.name}`)] : []),
      el('button', { type: 'button', onclick: () => edit({ delete: true }) }, 'Delete'),
      status);
  };
  const pick = (item, on) => {
    everyMatching = false;
    if (on) selected.add(targetRow(item));
    else selected.delete(targetRow(item));
    renderEditBar();
  };
  const head = el('tr', {}, el('th', {}, el('input', { type: 'checkbox', title: 'select the rows shown', 'data-testid': 'select-page', onchange: e => {
    for (const box of app.querySelectorAll('input[data-select]')) { box.checked = e.target.checked; box.dispatchEvent(new Event('change')); }
  } })), el('th', {}, '#'), columns.map(c => el('th', {
    class: c.name === sort ? `sorted${desc ? ' desc' : ''}` : '',
    title: `${c.type}: click to sort`,
    'data-column': c.name,
    onclick: () => go({ sort: c.name, desc: c.name === sort ? !desc : false }),
  }, c.name)));
  // Rows are built as the grid scrolls to them; a row's checkbox shows whether the selection (a set of row numbers) holds it.
  const rowHeight = columns.some(isImage) ? 66 : 30;
  const row = (item, block) => {
    const tr = el('tr', { 'data-row': item.row },
      el('td', {}, el('input', { type: 'checkbox', 'data-select': item.row, checked: selected.has(targetRow(item)) ? '' : null, onchange: e => pick(item, e.target.checked) })),
      el('td', { class: 'num' }, link('/sample', join ? { url, join, row: item.row } : { url, row: item.row }, String(item.row))),
      columns.map(c => {
        const value = item.values[c.name];
        if (isImage(c) && value) return el('td', { 'data-column': c.name }, imageOf(block, item, c, url, 64));
        return el('td', { class: typeof value === 'number' && !c.classes ? 'num' : '', 'data-column': c.name }, display(value, c));
      }));
    tr.style.height = `${rowHeight}px`;
    return tr;
  };
  // The first row shown goes into the address (without a new history entry), so coming back lands where one was.
  const onSettle = at => {
    const [path, query = ''] = location.hash.split('?');
    const next = new URLSearchParams(query);
    next.set('offset', String(at));
    history.replaceState(history.state, '', `${path}?${next}`);
  };
  const rows = grid({ el, first: page, offset, rowHeight, head, row, fetchRows, onSettle });
  const chartColumn = el('select', { 'data-testid': 'chart-column' }, columns.map(c => el('option', { value: c.name }, c.name)));
  const chart = el('div', { class: 'chart', 'data-testid': 'chart' });
  chartColumn.addEventListener('change', () => drawChart(url, scope, filters, columns.find(c => c.name === chartColumn.value), chart, go));
  const numeric = columns.find(c => c.name === sort && !c.classes && /^(float|int)/.test(c.type)) ?? columns.find(c => !c.classes && /^(float|int|confidence|loss)/.test(c.type) && c.name !== 'example_id') ?? columns.find(c => c.classes) ?? columns[0];
  if (numeric) chartColumn.value = numeric.name;
  // A confusion matrix when two columns are labels of the same classes (a label and a prediction).
  const labels = columns.filter(c => c.classes);
  const actual = labels.find(c => c.name === 'label') ?? labels[0];
  const predictedColumn = labels.find(c => c.name === 'predicted' && c !== actual) ?? labels.find(c => c !== actual);
  const matrix = el('div', { class: 'chart', 'data-testid': 'confusion' });
  app.replaceChildren(el('h1', {}, url.split('/').slice(-1)[0]), toolbar, compareBar(url, join, compare, sort, go), editBar,
    el('div', { class: 'charts' }, el('div', {}, el('label', {}, 'Chart of ', chartColumn), chart),
      actual && predictedColumn ? el('div', {}, el('div', {}, `Confusion: ${actual.name} (rows) × ${predictedColumn.name} (columns)`), matrix) : null,
      scatter({ el, url, join, compare, filters, columns, onFilters: next => go({ filter: next }) })),
    rows);
  if (actual && predictedColumn) drawConfusion(url, scope, filters, actual, predictedColumn, matrix, go);
  if (numeric) await drawChart(url, scope, filters, numeric, chart, go);
}

async function drawConfusion(url, scope, filters, actual, predicted, target, go) {
  try {
    const confusion = await api('/v1/confusion', { table: url, ...scope, actual: actual.name, predicted: predicted.name, filter: filters });
    const classes = Object.entries(actual.classes);
    const counts = new Map(confusion.cells.map(c => [`${c.actual}|${c.predicted}`, c.count]));
    const top = Math.max(1, ...confusion.cells.map(c => c.count));
    target.replaceChildren(el('table', { class: 'list confusion' },
      el('tr', {}, el('th', {}, ''), classes.map(([, name]) => el('th', {}, name))),
      classes.map(([a, aName]) => el('tr', {}, el('th', {}, aName), classes.map(([p]) => {
        const count = counts.get(`${a}|${p}`) ?? 0;
        const cell = el('td', { class: `num${a === p ? ' diagonal' : ''}`, 'data-actual': a, 'data-predicted': p, title: `${aName} predicted as ${actual.classes[p]}` },
          count ? String(count) : '');
        cell.style.background = count ? `rgba(47, 111, 222, ${0.08 + 0.6 * count / top})` : '';
        if (count) cell.addEventListener('click', () => go({ filter: [...filters, `${actual.name}==${a}`, `${predicted.name}==${p}`] }));
        return cell;
      })))));
  } catch (error) {
    target.replaceChildren(el('span', { class: 'error' }, error.message));
  }
}

/** A brush filter of column (its '>=' or '<=' bound, as [op, value]), or null. */
function brushOf(filter, column) {
  const match = /^(.+?)(>=|<=)(.+)$/.exec(filter.trim());
  return match && match[1].trim() === column && Number.isFinite(Number(match[3])) ? [match[2], Number(match[3])] : null;
}

async function drawChart(url, scope, filters, column, target, go) {
  target.replaceChildren(el('span', { class: 'muted' }, '…'));
  try {
    if (column.classes || column.type === 'string' || column.type === 'bool') {
      const { values } = await api('/v1/values', { table: url, ...scope, column: column.name, filter: filters, max: 20 });
      const top = Math.max(1, ...values.map(v => v.count));
      target.replaceChildren(...values.map(v => el('div', { class: 'bar-row', 'data-value': v.label ?? v.value },
        el('span', { style: { width: '140px' } }, v.label ?? display(v.value)), el('div', { class: 'bar', style: { width: `${Math.round(200 * v.count / top)}px` } }), el('span', { class: 'muted' }, String(v.count)))));
      return;
    }
    // The histogram of the rows the other filters keep; a brush (this column's >= and <= filters) is shaded, not filtered away.
    const brush = filters.map(f => brushOf(f, column.name));
    const others = filters.filter((_, i) => !brush[i]);
    const low = brush.find(b => b?.[0] === '>=')?.[1];
    const high = brush.find(b => b?.[0] === '<=')?.[1];
    const histogram = await api('/v1/histogram', { table: url, ...scope, column: column.name, filter: others, bins: 30 });
    const canvas = el('canvas', { width: 420, height: 140, 'data-testid': 'histogram', 'data-total': histogram.counts.reduce((a, b) => a + b, 0), class: 'brushable',
      title: 'drag to filter by a range; click to clear' });
    const g = canvas.getContext('2d');
    const top = Math.max(1, ...histogram.counts);
    const width = canvas.width / histogram.counts.length;
    const span = histogram.max > histogram.min ? histogram.max - histogram.min : 1;
    const toX = v => (v - histogram.min) / span * canvas.width;
    const toValue = x => histogram.min + span * Math.min(1, Math.max(0, x / canvas.width));
    const draw = (from, to) => {
      g.clearRect(0, 0, canvas.width, canvas.height);
      if (from !== undefined && to !== undefined) {
        g.fillStyle = 'rgba(47, 111, 222, 0.12)';
        g.fillRect(Math.min(from, to), 0, Math.abs(to - from), canvas.height - 14);
      }
      histogram.counts.forEach((count, i) => {
        const h = (canvas.height - 16) * count / top;
        const [x0, x1] = [i * width, (i + 1) * width];
        const inside = from === undefined || (x1 > Math.min(from, to) && x0 < Math.max(from, to));
        g.fillStyle = inside ? '#2f6fde' : '#c5cfe0';
        g.fillRect(x0 + 1, canvas.height - 14 - h, width - 2, h);
      });
      g.fillStyle = '#6b7385';
      g.font = '11px system-ui';
      g.fillText(display(histogram.min), 2, canvas.height - 2);
      const max = display(histogram.max);
      g.fillText(max, canvas.width - g.measureText(max).width - 2, canvas.height - 2);
    };
    const brushed = low !== undefined || high !== undefined;
    draw(brushed ? toX(low ?? histogram.min) : undefined, brushed ? toX(high ?? histogram.max) : undefined);
    // Brushing: drag across the bars to keep the rows in that range (two filters the grid and the other charts apply).
    let start = null;
    const at = event => (event.clientX - canvas.getBoundingClientRect().left) * canvas.width / canvas.getBoundingClientRect().width;
    canvas.onpointerdown = event => { canvas.setPointerCapture(event.pointerId); start = at(event); };
    canvas.onpointermove = event => { if (start !== null) draw(start, at(event)); };
    canvas.onpointerup = event => {
      if (start === null) return;
      const end = at(event);
      const [from, to] = [Math.min(start, end), Math.max(start, end)];
      start = null;
      if (to - from < 3) {
        if (brushed) go({ filter: others });
        return;
      }
      const round = v => Number(v.toPrecision(6));
      go({ filter: [...others, `${column.name}>=${round(toValue(from))}`, `${column.name}<=${round(toValue(to))}`] });
    };
    target.replaceChildren(canvas, el('div', { class: 'muted' }, `${column.name}: ${histogram.nulls} without a value`));
  } catch (error) {
    target.replaceChildren(el('span', { class: 'error' }, error.message));
  }
}

/** The series of a run's log to chart: one chart per quantity, its train/val/test splits as lines on it. */
function logCharts(entries) {
  const x = entries.some(e => 'epoch' in e) ? 'epoch' : entries.some(e => 'step' in e) ? 'step' : null;
  const charts = new Map();
  for (const key of new Set(entries.flatMap(e => Object.keys(e)))) {
    if (key === 'epoch' || key === 'step') continue;
    const match = /^(train|val|validation|test)_(.+)$/.exec(key);
    const quantity = match ? match[2] : key;
    if (!charts.has(quantity)) charts.set(quantity, []);
    charts.get(quantity).push({ name: key, points: entries.map((e, i) => [x ? e[x] : i, e[key]]).filter(([a, b]) => a !== undefined && b !== undefined) });
  }
  return { x: x ?? 'entry', charts };
}

export function lineChart(title, xName, series) {
  const colors = ['#2f6fde', '#d9480f', '#2b8a3e', '#862e9c', '#e67700'];
  const canvas = el('canvas', { width: 360, height: 180, 'data-testid': `chart-${title}`, 'data-series': series.map(s => s.name).join(','), 'data-points': series.reduce((n, s) => n + s.points.length, 0) });
  const g = canvas.getContext('2d');
  const all = series.flatMap(s => s.points);
  const [x0, x1] = [Math.min(...all.map(p => p[0])), Math.max(...all.map(p => p[0]))];
  const [y0, y1] = [Math.min(...all.map(p => p[1])), Math.max(...all.map(p => p[1]))];
  const px = v => 30 + (canvas.width - 40) * (x1 > x0 ? (v - x0) / (x1 - x0) : 0.5);
  const py = v => canvas.height - 20 - (canvas.height - 30) * (y1 > y0 ? (v - y0) / (y1 - y0) : 0.5);
  g.strokeStyle = '#dde1e8';
  g.strokeRect(30, 10, canvas.width - 40, canvas.height - 30);
  series.forEach((s, i) => {
    g.strokeStyle = g.fillStyle = colors[i % colors.length];
    g.beginPath();
    s.points.forEach(([a, b], j) => (j ? g.lineTo(px(a), py(b)) : g.moveTo(px(a), py(b))));
    g.stroke();
    s.points.forEach(([a, b]) => g.fillRect(px(a) - 2, py(b) - 2, 4, 4));
  });
  g.fillStyle = '#6b7385';
  g.font = '10px system-ui';
  g.fillText(display(y1), 2, 14);
  g.fillText(display(y0), 2, canvas.height - 20);
  g.fillText(`${xName} ${display(x0)}–${display(x1)}`, 32, canvas.height - 4);
  return el('div', { class: 'chart' }, el('div', {}, el('strong', {}, title), ' ',
    series.map((s, i) => el('span', { class: 'legend', style: { color: colors[i % colors.length] } }, ` ${s.name}`))), canvas);
}

async function runPage(params) {
  const project = params.get('project');
  const run = params.get('run');
  const [{ entries, status }, { runs }] = await Promise.all([api('/v1/runs/log', { project, run }), api('/v1/runs', { project })]);
  const info = runs.find(r => r.name === run) ?? {};
  crumbs.replaceChildren(link('/', {}, 'projects'), ' / ', el('span', {}, `${project}/${run}`));
  const { x, charts } = logCharts(entries);
  app.replaceChildren(el('h1', {}, `${project}/${run}`),
    el('p', { 'data-testid': 'run-status' }, `${status} · ${entries.length} log entries`),
    el('h2', {}, 'Parameters'), el('pre', { 'data-testid': 'run-parameters' }, JSON.stringify(info.parameters ?? {}, null, 2)),
    el('h2', {}, 'Logged values'),
    charts.size ? el('div', { class: 'charts', 'data-testid': 'run-charts' }, [...charts].map(([title, series]) => lineChart(title, x, series)))
      : el('p', { class: 'muted' }, 'Nothing logged yet.'),
    el('h2', {}, 'Metrics tables'),
    el('ul', {}, (info.metrics ?? []).map(m => el('li', {}, link('/table', { url: m.url, join: 'input' }, `${m.stream_name} (${m.row_count} rows)`)))));
}

async function samplePage(params) {
  const url = params.get('url');
  const join = params.get('join') ?? '';
  const row = Number(params.get('row'));
  const page = await api('/v1/rows', { table: url, join, offset: row, limit: 1 });
  crumbs.replaceChildren(link('/', {}, 'projects'), ' / ', link('/table', join ? { url, join } : { url }, url.split('/').slice(-1)[0]), ' / ', el('span', {}, `row ${row}`));
  const item = page.items[0];
  if (!item) throw new Error(`Row ${row} is outside the table's ${page.rows} rows.`);
  app.replaceChildren(el('h1', {}, `Row ${row}`), ...(page.columns.some(c => c.annotation) ? [annotationToggle(app)] : []), el('dl', { class: 'sample', 'data-testid': 'sample' },
    page.columns.flatMap(c => [el('dt', {}, c.name), el('dd', { 'data-column': c.name },
      isImage(c) && item.values[c.name] ? [imageOf(page, item, c, url, 480), el('div', { class: 'muted' }, display(item.values[c.name], c))] : display(item.values[c.name], c))])),
    ...(join ? [sampleMetrics(url, join, row)] : []));
}

async function render() {
  const { path, params } = route();
  try {
    if (path === '/table') await tablePage(params);
    else if (path === '/run') await runPage(params);
    else if (path === '/sample') await samplePage(params);
    else if (path === '/jobs') await jobsPage(app, crumbs, { el, api, link });
    else await browse();
  } catch (error) {
    showError(error);
  }
}

window.addEventListener('hashchange', render);
render();

// The embedding scatter: every point of a 2-D (or 3-D, first two axes) embedding column drawn with WebGL, coloured by a
// label's classes or a numeric column, with box and lasso selection. A selection becomes a filter
// ('column inside x y, x y, …') that the grid, charts and confusion matrix apply server-side; the scatter keeps showing every
// point and highlights the selected ones (tested in the page with the same polygon the server gets). Points come as one
// Arrow IPC stream from GET /v1/columns; the last one fetched is kept, so a selection does not fetch them again.

import { readArrowStream } from './arrow.js';

const Palette = ['#2f6fde', '#d9480f', '#2b8a3e', '#862e9c', '#e67700', '#0b7285', '#c2255c', '#5c940d', '#364fc7', '#a61e4d',
  '#087f5b', '#e8590c', '#5f3dc4', '#1864ab', '#d6336c', '#74b816', '#f08c00', '#495057', '#9c36b5', '#099268'];
const Size = 480;

/** The columns a scatter can plot: embeddings of 2 or 3 dimensions (e.g. a reduced embeddings_*_pca). */
export const scatterColumns = columns => columns.filter(c => (c.type === 'embedding' || c.type === 'list') && (c.size === 2 || c.size === 3));

/** The polygon of an 'inside' filter on column, as [[x, y], …], or null. */
export function polygonOf(filter, column) {
  const match = new RegExp(`^${column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} inside (.+)$`).exec(filter.trim());
  return match ? match[1].split(',').map(v => v.trim().split(/\s+/).map(Number)) : null;
}

/** The filter text a selection of polygon over column becomes. */
const filterOf = (column, polygon) => `${column} inside ${polygon.map(([x, y]) => `${x} ${y}`).join(', ')}`;

/** Whether (px, py) is inside polygon (even-odd rule, as the server decides). */
function inside(polygon, px, py) {
  let hit = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if ((yi > py) !== (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

let kept = null; // { key, points }
let mode = 'box'; // how the mouse selects: kept while the page redraws after a selection
let lastSelectMs = null; // how long the last selection took to highlight (shown on the redrawn scatter too)
let liveContext = null; // the WebGL context of the scatter on the page (released when the page redraws)

/** Fetches (or reuses) the points: positions, colour values and row numbers of every row with a point. */
async function points(url, join, compare, filters, column, colorColumn) {
  const key = JSON.stringify([url, join, compare, filters, column.name, colorColumn?.name ?? '']);
  if (kept?.key === key) return kept.points;
  const query = new URLSearchParams({ table: url });
  if (join) query.set('join', join);
  if (compare) query.set('compare', compare);
  query.append('column', column.name);
  if (colorColumn) query.append('column', colorColumn.name);
  for (const f of filters) query.append('filter', f);
  const response = await fetch(`/v1/columns?${query}`, { credentials: 'same-origin' });
  if (!response.ok) throw new Error((await response.json()).error ?? `${response.status} ${response.statusText}`);
  const batch = readArrowStream(await response.arrayBuffer());
  const embedding = batch.columns[column.name];
  const color = colorColumn ? batch.columns[colorColumn.name] : null;
  const n = batch.length;
  const xy = new Float32Array(2 * n);
  const values = new Float32Array(n);
  const rows = new Int32Array(n);
  let count = 0;
  let [x0, x1, y0, y1, c0, c1] = [Infinity, -Infinity, Infinity, -Infinity, Infinity, -Infinity];
  const size = embedding.size;
  for (let i = 0; i < n; i++) {
    if (!embedding.valid(i)) continue;
    const x = embedding.values[i * size];
    const y = embedding.values[i * size + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    xy[2 * count] = x;
    xy[2 * count + 1] = y;
    const c = color && color.valid(i) ? color.values[i] : NaN;
    values[count] = c;
    rows[count] = batch.columns.row.values[i];
    if (x < x0) x0 = x; if (x > x1) x1 = x;
    if (y < y0) y0 = y; if (y > y1) y1 = y;
    if (c < c0) c0 = c; if (c > c1) c1 = c;
    count++;
  }
  const result = { count, xy: xy.subarray(0, 2 * count), values: values.subarray(0, count), rows: rows.subarray(0, count), bounds: { x0, x1, y0, y1 }, range: [c0, c1] };
  kept = { key, points: result };
  return result;
}

const vertexShader = `
attribute vec2 a_pos; attribute float a_color; attribute float a_sel;
uniform vec2 u_scale; uniform vec2 u_offset; uniform float u_size; uniform float u_round; uniform float u_classes; uniform float u_any;
uniform vec3 u_palette[20];
varying vec4 v_color;
void main() {
  // Selected points in front (depth), so the order they are drawn in does not matter.
  bool dim = u_any > 0.5 && a_sel < 0.5;
  gl_Position = vec4(a_pos * u_scale + u_offset, dim ? 0.5 : -0.5, 1.0);
  gl_PointSize = u_size;
  vec3 c = vec3(0.18, 0.44, 0.87);
  if (u_classes > 0.5) {
    int k = int(mod(a_color, 20.0));
    for (int i = 0; i < 20; i++) { if (i == k) c = u_palette[i]; }
  } else {
    c = mix(vec3(0.18, 0.44, 0.87), vec3(0.85, 0.28, 0.06), clamp(a_color, 0.0, 1.0));
  }
  v_color = dim ? vec4(0.85, 0.86, 0.88, 1.0) : vec4(c, 1.0);
}`;

const fragmentShader = `
precision mediump float;
varying vec4 v_color;
uniform float u_round;
void main() {
  vec2 d = gl_PointCoord - vec2(0.5);
  if (u_round > 0.5 && dot(d, d) > 0.25) discard;
  gl_FragColor = v_color;
}`;

function program(gl) {
  const compile = (type, source) => {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(`Scatter shader: ${gl.getShaderInfoLog(shader)}`);
    return shader;
  };
  const p = gl.createProgram();
  gl.attachShader(p, compile(gl.VERTEX_SHADER, vertexShader));
  gl.attachShader(p, compile(gl.FRAGMENT_SHADER, fragmentShader));
  gl.linkProgram(p);
  if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(`Scatter program: ${gl.getProgramInfoLog(p)}`);
  return p;
}

const rgb = hex => [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16) / 255);

/**
 * The scatter panel for a table page: el builds elements, columns are the page's columns; filters are the page's filters,
 * onFilters(next) navigates with new ones. Returns the panel; points load and draw in the background.
 */
export function scatter({ el, url, join, compare, filters, columns, onFilters }) {
  const candidates = scatterColumns(columns);
  const panel = el('div', { class: 'scatter-panel' });
  if (!candidates.length) return null;
  const choose = el('select', { 'data-testid': 'scatter-column' }, candidates.map(c => el('option', { value: c.name }, c.name)));
  const colorable = columns.filter(c => c.classes || /^(float|int|confidence|loss|probability)/.test(c.type));
  const colorBy = el('select', { 'data-testid': 'scatter-color' }, el('option', { value: '' }, '(none)'), colorable.map(c => el('option', { value: c.name }, c.name)));
  const preferred = colorable.find(c => c.classes && c.name === 'label') ?? colorable.find(c => c.classes) ?? null;
  if (preferred) colorBy.value = preferred.name;
  const selected = filters.map(f => candidates.map(c => [c, polygonOf(f, c.name)]).find(([, p]) => p)).find(Boolean);
  if (selected) choose.value = selected[0].name;
  const modeButton = name => el('button', { type: 'button', 'data-mode': name, class: name === mode ? 'active' : '', onclick: e => {
    mode = name;
    for (const b of panel.querySelectorAll('button[data-mode]')) b.classList.toggle('active', b === e.target);
  } }, name);
  const status = el('span', { class: 'muted', 'data-testid': 'scatter-status' }, 'loading points…');
  const canvas = el('canvas', { width: Size, height: Size, 'data-testid': 'scatter', class: 'scatter' });
  const overlay = el('canvas', { width: Size, height: Size, class: 'scatter-overlay', 'data-testid': 'scatter-overlay' });
  const clear = el('button', { type: 'button', 'data-testid': 'scatter-clear', onclick: () => onFilters(filters.filter(f => !polygonOf(f, choose.value))) }, 'clear selection');
  panel.append(el('div', { class: 'toolbar' }, el('label', {}, 'Scatter of ', choose), el('label', {}, ' colour ', colorBy), modeButton('box'), modeButton('lasso'), clear),
    el('div', { class: 'scatter-stack' }, canvas, overlay), status);
  const draw = () => plot({ url, join, compare, filters, column: candidates.find(c => c.name === choose.value), colorColumn: columns.find(c => c.name === colorBy.value) ?? null,
    canvas, overlay, status, mode: () => mode, onFilters });
  choose.addEventListener('change', draw);
  colorBy.addEventListener('change', draw);
  draw();
  return panel;
}

async function plot({ url, join, compare, filters, column, colorColumn, canvas, overlay, status, mode, onFilters }) {
  const started = performance.now();
  delete canvas.dataset.drawn;
  // The points of every row the other filters keep; this column's selection is highlighted, not filtered away.
  const polygon = filters.map(f => polygonOf(f, column.name)).find(Boolean) ?? null;
  const others = filters.filter(f => !polygonOf(f, column.name));
  let data;
  try {
    data = await points(url, join, compare, others, column, colorColumn);
  } catch (error) {
    status.textContent = error.message;
    status.className = 'error';
    return;
  }
  liveContext?.getExtension('WEBGL_lose_context')?.loseContext();
  const gl = canvas.getContext('webgl', { antialias: false, preserveDrawingBuffer: true });
  if (!gl) {
    status.textContent = 'This browser has no WebGL: the scatter cannot be drawn.';
    status.className = 'error';
    return;
  }
  liveContext = gl;
  const p = program(gl);
  gl.useProgram(p);
  const buffer = (name, array, size) => {
    const b = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, b);
    gl.bufferData(gl.ARRAY_BUFFER, array, gl.STATIC_DRAW);
    const at = gl.getAttribLocation(p, name);
    gl.enableVertexAttribArray(at);
    gl.vertexAttribPointer(at, size, array instanceof Uint8Array ? gl.UNSIGNED_BYTE : gl.FLOAT, false, 0, 0);
    return b;
  };
  const classes = Boolean(colorColumn?.classes);
  const [c0, c1] = data.range;
  const colors = classes || !colorColumn ? data.values : data.values.map(v => (c1 > c0 ? (v - c0) / (c1 - c0) : 0.5));
  buffer('a_pos', data.xy, 2);
  buffer('a_color', colors, 1);
  const sel = new Uint8Array(data.count);
  const selBuffer = buffer('a_sel', sel, 1);
  const palette = new Float32Array(Palette.flatMap(rgb));
  gl.uniform3fv(gl.getUniformLocation(p, 'u_palette'), palette);
  gl.uniform1f(gl.getUniformLocation(p, 'u_classes'), classes ? 1 : 0);
  const pointSize = data.count > 100_000 ? 2 : data.count > 10_000 ? 3 : 5;
  gl.uniform1f(gl.getUniformLocation(p, 'u_size'), pointSize);
  gl.uniform1f(gl.getUniformLocation(p, 'u_round'), pointSize > 2 ? 1 : 0);
  // Opaque points (no blending: a CPU-rendered frame of 10^6 points costs half as much), rounded only where they are large.
  gl.enable(gl.DEPTH_TEST);
  gl.depthFunc(gl.LEQUAL);
  const { x0, x1, y0, y1 } = data.bounds;
  const fit = () => ({ cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, hx: Math.max((x1 - x0) / 2, 1e-9) * 1.05, hy: Math.max((y1 - y0) / 2, 1e-9) * 1.05 });
  let view = fit();
  let any = 0;
  const render = () => {
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.clearColor(1, 1, 1, 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.uniform2f(gl.getUniformLocation(p, 'u_scale'), 1 / view.hx, 1 / view.hy);
    gl.uniform2f(gl.getUniformLocation(p, 'u_offset'), -view.cx / view.hx, -view.cy / view.hy);
    gl.uniform1f(gl.getUniformLocation(p, 'u_any'), any);
    gl.drawArrays(gl.POINTS, 0, data.count);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4)); // waits until the frame is drawn
  };
  /** Marks the points inside polygon; answers how many. */
  const select = shape => {
    sel.fill(0);
    let count = 0;
    if (shape) {
      let [px0, px1, py0, py1] = [Infinity, -Infinity, Infinity, -Infinity];
      for (const [x, y] of shape) { px0 = Math.min(px0, x); px1 = Math.max(px1, x); py0 = Math.min(py0, y); py1 = Math.max(py1, y); }
      const xy = data.xy;
      for (let i = 0; i < data.count; i++) {
        const x = xy[2 * i];
        const y = xy[2 * i + 1];
        if (x >= px0 && x <= px1 && y >= py0 && y <= py1 && inside(shape, x, y)) { sel[i] = 1; count++; }
      }
    }
    any = shape ? 1 : 0;
    gl.bindBuffer(gl.ARRAY_BUFFER, selBuffer);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, sel);
    return count;
  };
  const describe = count => {
    status.className = 'muted';
    status.textContent = `${data.count.toLocaleString()} points${polygon || any ? ` · ${count.toLocaleString()} selected` : ''}`;
  };
  const count = select(polygon);
  const frame = performance.now();
  render();
  describe(count);
  // Timings for scripts and benchmarks: since plot began, of the frame alone, and since the page's navigation began.
  canvas.dataset.points = String(data.count);
  canvas.dataset.selected = String(count);
  canvas.dataset.renderMs = String(Math.round(performance.now() - frame));
  canvas.dataset.drawnMs = String(Math.round(performance.now() - started));
  canvas.dataset.drawnAt = String(Math.round(performance.now()));
  if (lastSelectMs !== null) canvas.dataset.selectMs = String(lastSelectMs);
  canvas.dataset.drawn = 'true';

  // Pixel ↔ data coordinates of the current view.
  const toData = (px, py) => [view.cx + (px / canvas.width * 2 - 1) * view.hx, view.cy + (1 - py / canvas.height * 2) * view.hy];
  const pixel = event => {
    const box = overlay.getBoundingClientRect();
    return [(event.clientX - box.left) * overlay.width / box.width, (event.clientY - box.top) * overlay.height / box.height];
  };
  const g = overlay.getContext('2d');
  let path = null;
  const outline = () => {
    g.clearRect(0, 0, overlay.width, overlay.height);
    if (!path || path.length < 2) return;
    const shape = mode() === 'box' ? corners(path[0], path[path.length - 1]) : path;
    g.strokeStyle = '#1c2333';
    g.setLineDash([4, 3]);
    g.beginPath();
    shape.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
    g.closePath();
    g.stroke();
  };
  overlay.onpointerdown = event => {
    overlay.setPointerCapture(event.pointerId);
    path = [pixel(event)];
  };
  overlay.onpointermove = event => {
    if (!path) return;
    const next = pixel(event);
    const last = path[path.length - 1];
    if (mode() === 'box') path = [path[0], next];
    else if (Math.hypot(next[0] - last[0], next[1] - last[1]) >= 3) path.push(next);
    outline();
  };
  overlay.onpointerup = event => {
    if (!path) return;
    const end = pixel(event);
    const shape = mode() === 'box' ? corners(path[0], end) : [...path, end];
    path = null;
    outline();
    const [w, h] = [Math.max(...shape.map(s => s[0])) - Math.min(...shape.map(s => s[0])), Math.max(...shape.map(s => s[1])) - Math.min(...shape.map(s => s[1]))];
    if (w < 3 && h < 3) return; // a click, not a selection
    const began = performance.now();
    // At most 200 vertices, rounded to 6 significant digits: the page and the server test the same polygon.
    const step = Math.max(1, Math.ceil(shape.length / 200));
    const polygonData = shape.filter((_, i) => i % step === 0).map(([x, y]) => toData(x, y).map(v => Number(v.toPrecision(6))));
    const chosen = select(polygonData);
    render();
    describe(chosen);
    canvas.dataset.selected = String(chosen);
    lastSelectMs = Math.round(performance.now() - began);
    canvas.dataset.selectMs = String(lastSelectMs);
    onFilters([...filters.filter(f => !polygonOf(f, column.name)), filterOf(column.name, polygonData)]);
  };
  overlay.onwheel = event => {
    event.preventDefault();
    const [px, py] = pixel(event);
    const [dx, dy] = toData(px, py);
    const factor = event.deltaY > 0 ? 1.25 : 0.8;
    view = { cx: dx + (view.cx - dx) * factor, cy: dy + (view.cy - dy) * factor, hx: view.hx * factor, hy: view.hy * factor };
    render();
  };
  overlay.ondblclick = () => { view = fit(); render(); };
}

const corners = ([ax, ay], [bx, by]) => [[ax, ay], [bx, ay], [bx, by], [ax, by]];

// The embedding scatter: every point of a 2-D (or 3-D, first two axes) embedding column, coloured by a label's classes or
// a numeric column, drawn with WebGL (or the page's own pixel loop where WebGL runs on the CPU), with box and lasso
// selection. A selection becomes a filter
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

/** Whether (px, py) is inside the polygon of vertices (xs[i], ys[i]) (even-odd rule, as the server decides). */
function insideFlat(xs, ys, px, py) {
  let hit = false;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
    const yi = ys[i];
    const yj = ys[j];
    if ((yi > py) !== (yj > py) && px < (xs[j] - xs[i]) * (py - yi) / (yj - yi) + xs[i]) hit = !hit;
  }
  return hit;
}

let kept = null; // { key, points }
let mode = 'box'; // how the mouse selects: kept while the page redraws after a selection
let lastSelectMs = null; // how long the last selection took to highlight (shown on the redrawn scatter too)
let lastCountMs = null; // and then to count its points

/** Fetches (or reuses) the points: the position and colour value of every row with a point. */
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
    if (x < x0) x0 = x; if (x > x1) x1 = x;
    if (y < y0) y0 = y; if (y > y1) y1 = y;
    if (c < c0) c0 = c; if (c > c1) c1 = c;
    count++;
  }
  const result = { count, xy: xy.subarray(0, 2 * count), values: values.subarray(0, count), bounds: { x0, x1, y0, y1 }, range: [c0, c1] };
  kept = { key, points: result };
  return result;
}

// Colours are worked out once per point in the page (a frame drawn on the CPU pays for every instruction per vertex).
const vertexShader = `
attribute vec2 a_pos; attribute vec3 a_rgb;
uniform vec2 u_scale; uniform vec2 u_offset; uniform float u_size;
varying vec4 v_color;
void main() {
  gl_Position = vec4(a_pos * u_scale + u_offset, 0.0, 1.0);
  gl_PointSize = u_size;
  v_color = vec4(a_rgb, 1.0);
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

let webgl = null; // { canvas, gl, program, uploaded }: one context for the page's life, whatever the scatter shows

function context() {
  if (webgl) return webgl;
  const canvas = Object.assign(document.createElement('canvas'), { width: Size, height: Size });
  const gl = canvas.getContext('webgl', { antialias: false, preserveDrawingBuffer: true, premultipliedAlpha: true });
  if (!gl) return null;
  const compile = (type, source) => {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(`Scatter shader: ${gl.getShaderInfoLog(shader)}`);
    return shader;
  };
  const program = gl.createProgram();
  gl.attachShader(program, compile(gl.VERTEX_SHADER, vertexShader));
  gl.attachShader(program, compile(gl.FRAGMENT_SHADER, fragmentShader));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`Scatter program: ${gl.getProgramInfoLog(program)}`);
  gl.useProgram(program);
  webgl = { canvas, gl, program, uploaded: null, buffers: [gl.createBuffer(), gl.createBuffer()] };
  return webgl;
}

/** Whether WebGL runs on the CPU (SwiftShader, llvmpipe): then the page's own loop draws points faster. */
function software(gl) {
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return /swiftshader|llvmpipe|software/i.test(String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)));
}

/**
 * What draws the points into a layer: WebGL where a GPU draws it, else a loop writing pixels (software WebGL takes about
 * a second per 10^6 points; the loop about 20 ms). localStorage 'tlc.scatter.renderer' = 'webgl' or 'cpu' forces one.
 */
function painterFor(data, colors, size) {
  const forced = localStorage.getItem('tlc.scatter.renderer');
  const shared = forced === 'cpu' ? null : context();
  if (shared && (forced === 'webgl' || !software(shared.gl))) return webglPainter(shared, data, colors, size);
  return cpuPainter(data, colors, size);
}

function webglPainter(shared, data, colors, size) {
  const { canvas, gl, program, buffers } = shared;
  if (shared.uploaded !== data) {
    const bind = (buffer, name, array, n, normalized) => {
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.bufferData(gl.ARRAY_BUFFER, array, gl.STATIC_DRAW);
      const at = gl.getAttribLocation(program, name);
      gl.enableVertexAttribArray(at);
      gl.vertexAttribPointer(at, n, array instanceof Uint8Array ? gl.UNSIGNED_BYTE : gl.FLOAT, normalized, 0, 0);
    };
    bind(buffers[0], 'a_pos', data.xy, 2, false);
    shared.uploaded = data;
  }
  // Colours change with the colour column: always uploaded.
  gl.bindBuffer(gl.ARRAY_BUFFER, buffers[1]);
  gl.bufferData(gl.ARRAY_BUFFER, colors, gl.STATIC_DRAW);
  const rgbAt = gl.getAttribLocation(program, 'a_rgb');
  gl.enableVertexAttribArray(rgbAt);
  gl.vertexAttribPointer(rgbAt, 3, gl.UNSIGNED_BYTE, true, 0, 0);
  return {
    name: 'webgl',
    draw(target, view) {
      gl.viewport(0, 0, canvas.width, canvas.height);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT);
      gl.uniform2f(gl.getUniformLocation(program, 'u_scale'), 1 / view.hx, 1 / view.hy);
      gl.uniform2f(gl.getUniformLocation(program, 'u_offset'), -view.cx / view.hx, -view.cy / view.hy);
      gl.uniform1f(gl.getUniformLocation(program, 'u_size'), size);
      gl.uniform1f(gl.getUniformLocation(program, 'u_round'), size > 2 ? 1 : 0);
      gl.drawArrays(gl.POINTS, 0, data.count);
      const g = target.getContext('2d');
      g.globalCompositeOperation = 'copy';
      g.drawImage(canvas, 0, 0);
      g.globalCompositeOperation = 'source-over';
    },
  };
}

function cpuPainter(data, colors, size) {
  const packed = new Uint32Array(data.count); // RGBA bytes as one little-endian word
  for (let i = 0; i < data.count; i++) packed[i] = 0xff000000 | (colors[3 * i + 2] << 16) | (colors[3 * i + 1] << 8) | colors[3 * i];
  // The pixels a point covers around its centre: a square, with the corners cut from 4 pixels up.
  const stamp = [];
  const half = size / 2;
  for (let dy = 0; dy < size; dy++) {
    for (let dx = 0; dx < size; dx++) {
      if (size <= 3 || (dx + 0.5 - half) ** 2 + (dy + 0.5 - half) ** 2 <= half * half) stamp.push([dx - Math.floor(half), dy - Math.floor(half)]);
    }
  }
  return {
    name: 'cpu',
    draw(target, view) {
      const { width, height } = target;
      const g = target.getContext('2d');
      const image = g.createImageData(width, height);
      const pixels = new Uint32Array(image.data.buffer);
      const [sx, sy] = [width / 2 / view.hx, height / 2 / view.hy];
      const [ox, oy] = [width / 2 - view.cx * sx, height / 2 + view.cy * sy];
      const xy = data.xy;
      for (let i = 0; i < data.count; i++) {
        const px = Math.floor(ox + xy[2 * i] * sx);
        const py = Math.floor(oy - xy[2 * i + 1] * sy);
        if (px < -size || py < -size || px >= width + size || py >= height + size) continue;
        const colour = packed[i];
        for (const [dx, dy] of stamp) {
          const x = px + dx;
          const y = py + dy;
          if (x >= 0 && y >= 0 && x < width && y < height) pixels[y * width + x] = colour;
        }
      }
      g.putImageData(image, 0, 0);
    },
  };
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
  // Each point's colour: its class's from the palette, or along a ramp from the column's smallest value to its largest.
  const classes = Boolean(colorColumn?.classes);
  const [c0, c1] = data.range;
  const palette = Palette.map(hex => rgb(hex).map(v => Math.round(255 * v)));
  const [low, high] = [rgb('#2f6fde'), rgb('#d9480f')].map(c => c.map(v => 255 * v));
  const colors = new Uint8Array(3 * data.count);
  for (let i = 0; i < data.count; i++) {
    const v = data.values[i];
    let c;
    if (!colorColumn || Number.isNaN(v)) c = palette[0];
    else if (classes) c = palette[((Math.round(v) % 20) + 20) % 20];
    else {
      const t = c1 > c0 ? (v - c0) / (c1 - c0) : 0.5;
      c = [0, 1, 2].map(k => low[k] + (high[k] - low[k]) * t);
    }
    colors[3 * i] = c[0];
    colors[3 * i + 1] = c[1];
    colors[3 * i + 2] = c[2];
  }
  const pointSize = data.count > 100_000 ? 2 : data.count > 10_000 ? 3 : 5;
  const painter = painterFor(data, colors, pointSize);
  canvas.dataset.renderer = painter.name;

  // Two layers drawn once per view: every point in its colour, and the same pixels in grey. A selection shows the grey
  // layer with the coloured one clipped to its polygon (a point is selected exactly when it lies inside): the page
  // composes two images instead of drawing every point again.
  const layer = () => Object.assign(document.createElement('canvas'), { width: canvas.width, height: canvas.height });
  const colored = layer();
  const grey = layer();
  const { x0, x1, y0, y1 } = data.bounds;
  const fit = () => ({ cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, hx: Math.max((x1 - x0) / 2, 1e-9) * 1.05, hy: Math.max((y1 - y0) / 2, 1e-9) * 1.05 });
  let view = fit();
  let shape = polygon;
  const toPixel = ([x, y]) => [(x - view.cx) / view.hx * canvas.width / 2 + canvas.width / 2, canvas.height / 2 - (y - view.cy) / view.hy * canvas.height / 2];
  const paint = () => {
    const frame = performance.now();
    painter.draw(colored, view);
    const g = grey.getContext('2d');
    g.globalCompositeOperation = 'copy';
    g.drawImage(colored, 0, 0);
    g.globalCompositeOperation = 'source-in';
    g.fillStyle = '#d9dbe0';
    g.fillRect(0, 0, grey.width, grey.height);
    canvas.dataset.renderMs = String(Math.round(performance.now() - frame));
  };
  const compose = () => {
    const g = canvas.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, canvas.width, canvas.height);
    if (!shape) {
      g.drawImage(colored, 0, 0);
      return;
    }
    g.drawImage(grey, 0, 0);
    g.save();
    g.beginPath();
    shape.map(toPixel).forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
    g.closePath();
    g.clip();
    g.drawImage(colored, 0, 0);
    g.restore();
  };
  /** How many points lie inside polygon (the page's count, as the server counts the rows). */
  const countInside = candidate => {
    if (!candidate) return 0;
    const xs = Float64Array.from(candidate, p => p[0]);
    const ys = Float64Array.from(candidate, p => p[1]);
    const [px0, px1, py0, py1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const xy = data.xy;
    let count = 0;
    for (let i = 0; i < data.count; i++) {
      const x = xy[2 * i];
      const y = xy[2 * i + 1];
      if (x >= px0 && x <= px1 && y >= py0 && y <= py1 && insideFlat(xs, ys, x, y)) count++;
    }
    return count;
  };
  const describe = count => {
    status.className = 'muted';
    status.textContent = `${data.count.toLocaleString()} points${shape ? ` · ${count.toLocaleString()} selected` : ''}`;
  };
  const count = countInside(shape);
  paint();
  compose();
  describe(count);
  // Timings for scripts and benchmarks: since plot began, and since the page's navigation began.
  canvas.dataset.points = String(data.count);
  canvas.dataset.selected = String(count);
  canvas.dataset.drawnMs = String(Math.round(performance.now() - started));
  canvas.dataset.drawnAt = String(Math.round(performance.now()));
  if (lastSelectMs !== null) Object.assign(canvas.dataset, { selectMs: String(lastSelectMs), countMs: String(lastCountMs) });
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
    const outlined = mode() === 'box' ? corners(path[0], path[path.length - 1]) : path;
    g.strokeStyle = '#1c2333';
    g.setLineDash([4, 3]);
    g.beginPath();
    outlined.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
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
    const drawn = mode() === 'box' ? corners(path[0], end) : [...path, end];
    path = null;
    outline();
    const [w, h] = [Math.max(...drawn.map(s => s[0])) - Math.min(...drawn.map(s => s[0])), Math.max(...drawn.map(s => s[1])) - Math.min(...drawn.map(s => s[1]))];
    if (w < 3 && h < 3) return; // a click, not a selection
    const began = performance.now();
    // At most 200 vertices, rounded to 6 significant digits: the page and the server test the same polygon.
    const step = Math.max(1, Math.ceil(drawn.length / 200));
    const polygonData = drawn.filter((_, i) => i % step === 0).map(([x, y]) => toData(x, y).map(v => Number(v.toPrecision(6))));
    // The highlight first (two images composed), then the count (a test of every point against the polygon).
    shape = polygonData;
    compose();
    canvas.getContext('2d').getImageData(0, 0, 1, 1); // waits until the composed frame is drawn, not just asked for
    lastSelectMs = Math.round(performance.now() - began);
    canvas.dataset.selectMs = String(lastSelectMs);
    const chosen = countInside(shape);
    describe(chosen);
    canvas.dataset.selected = String(chosen);
    lastCountMs = Math.round(performance.now() - began - lastSelectMs);
    canvas.dataset.countMs = String(lastCountMs);
    onFilters([...filters.filter(f => !polygonOf(f, column.name)), filterOf(column.name, polygonData)]);
  };
  overlay.onwheel = event => {
    event.preventDefault();
    const [px, py] = pixel(event);
    const [dx, dy] = toData(px, py);
    const factor = event.deltaY > 0 ? 1.25 : 0.8;
    view = { cx: dx + (view.cx - dx) * factor, cy: dy + (view.cy - dy) * factor, hx: view.hx * factor, hy: view.hy * factor };
    paint();
    compose();
  };
  overlay.ondblclick = () => { view = fit(); paint(); compose(); };
}

const corners = ([ax, ay], [bx, by]) => [[ax, ay], [bx, ay], [bx, by], [ax, by]];

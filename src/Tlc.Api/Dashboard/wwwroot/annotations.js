// Annotations drawn over a row's image: 2-D boxes (xyxy, xywh or cxcywh; pixels or normalised), oriented boxes,
// instance polygons, keypoints (with the schema's skeleton; points not labelled are skipped) and run-length encoded
// instance masks. Shapes live in an SVG whose viewBox is the image's full pixel size, so they scale with a thumbnail or
// the large image (the SVG's default "meet" matches the image's object-fit: contain); masks are decoded into a canvas
// of that size beneath it. Class names are set as SVG text nodes, never markup. Bad values (nulls, NaN, boxes outside
// the image, RLE runs past the mask) are skipped or clipped, never thrown.

const SVG = 'http://www.w3.org/2000/svg';
const palette = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#fabebe',
  '#008080', '#e6beff', '#9a6324', '#800000', '#aaffc3', '#808000', '#000075', '#808080'];

/** The colour of a class value. */
export function classColor(label) {
  const n = Number.isFinite(label) ? Math.abs(Math.trunc(label)) : 0;
  return palette[n % palette.length];
}

/** The annotation types this module draws. */
const drawers = {
  bounding_boxes_2d: boxes,
  oriented_bounding_boxes_2d: orientedBoxes,
  segmentation_polygons: polygons,
  keypoints_2d: keypoints,
  segmentation_masks: masks,
};

/** Whether a column (as /v1/rows describes it) holds annotations this module draws. */
export const isAnnotation = column => Boolean(column.annotation) && column.type in drawers;

const finite = v => typeof v === 'number' && Number.isFinite(v);
const list = v => (Array.isArray(v) ? v : []);

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The class name of a label value, else the value itself. */
const className = (column, label) => column.annotation?.classes?.[String(label)] ?? (label === null || label === undefined ? '' : String(label));

/** A class name at (x, y), sized to the image. */
function caption(ctx, label, x, y) {
  return svgEl('text', { x, y: Math.max(y, ctx.font), 'font-size': ctx.font, fill: classColor(label), class: 'annotation-label' }, className(ctx.column, label));
}

/** A shape's group: its class and label for tests and styling. */
function group(ctx, label, kind) {
  return svgEl('g', { class: `annotation ${kind}`, 'data-label': className(ctx.column, label), 'data-column': ctx.column.name, stroke: classColor(label) });
}

function boxes(ctx, value) {
  const format = ctx.column.annotation.attributes?.box_format || 'xyxy';
  const normalized = ctx.column.annotation.attributes?.normalized === 'true';
  const [sx, sy] = normalized ? [ctx.width, ctx.height] : [1, 1];
  return list(value.bb_list).flatMap(b => {
    if (!b || ![b.x0, b.y0, b.x1, b.y1].every(finite)) return [];
    let [x, y, w, h] = format === 'xywh' ? [b.x0, b.y0, b.x1, b.y1]
      : format === 'cxcywh' ? [b.x0 - b.x1 / 2, b.y0 - b.y1 / 2, b.x1, b.y1]
        : [Math.min(b.x0, b.x1), Math.min(b.y0, b.y1), Math.abs(b.x1 - b.x0), Math.abs(b.y1 - b.y0)];
    [x, y, w, h] = [x * sx, y * sy, Math.abs(w * sx), Math.abs(h * sy)];
    const g = group(ctx, b.label, 'box');
    g.append(svgEl('rect', { x, y, width: w, height: h }));
    g.append(caption(ctx, b.label, x, y - 2));
    if (finite(b.confidence)) g.dataset.confidence = String(b.confidence);
    return [g];
  });
}

function orientedBoxes(ctx, value) {
  return list(value.obb_list).flatMap(b => {
    if (!b || ![b.center_x, b.center_y, b.width, b.height].every(finite)) return [];
    // Rotation in radians, counter-clockwise as seen (the image's y axis points down: SVG's rotate turns clockwise).
    const degrees = finite(b.rotation) ? -b.rotation * 180 / Math.PI : 0;
    const g = group(ctx, b.label, 'oriented-box');
    g.setAttribute('transform', `rotate(${degrees} ${b.center_x} ${b.center_y})`);
    const [w, h] = [Math.abs(b.width), Math.abs(b.height)];
    g.append(svgEl('rect', { x: b.center_x - w / 2, y: b.center_y - h / 2, width: w, height: h }));
    g.append(caption(ctx, b.label, b.center_x - w / 2, b.center_y - h / 2 - 2));
    return [g];
  });
}

/** Flat x0, y0, x1, y1, … as an SVG points list, or null when fewer than two finite points. */
function points(flat) {
  const pairs = [];
  for (let i = 0; i + 1 < list(flat).length; i += 2) if (finite(flat[i]) && finite(flat[i + 1])) pairs.push(`${flat[i]},${flat[i + 1]}`);
  return pairs.length >= 2 ? pairs.join(' ') : null;
}

function polygons(ctx, value) {
  return list(value.instances).flatMap(instance => {
    if (!instance) return [];
    const shapes = list(instance.polygons).map(points).filter(Boolean);
    if (!shapes.length) return [];
    const g = group(ctx, instance.label, 'polygon');
    for (const p of shapes) g.append(svgEl('polygon', { points: p, fill: classColor(instance.label) }));
    const first = list(instance.polygons).find(p => points(p));
    g.append(caption(ctx, instance.label, first[0], first[1] - 2));
    return [g];
  });
}

/** The skeleton attribute "0-1,1-2" as index pairs. */
const skeleton = text => String(text ?? '').split(',').map(e => e.split('-').map(Number)).filter(e => e.length === 2 && e.every(Number.isInteger));

function keypoints(ctx, value) {
  const edges = skeleton(ctx.column.annotation.attributes?.skeleton);
  const radius = Math.max(ctx.width, ctx.height) / 150;
  return list(value.instances).flatMap(instance => {
    if (!instance) return [];
    const xy = list(instance.keypoints);
    const visibility = list(instance.visibility);
    // COCO's flags: 0 not labelled (skipped), 1 labelled but hidden (hollow), 2 visible (filled).
    const shown = i => finite(xy[2 * i]) && finite(xy[2 * i + 1]) && (visibility.length === 0 || visibility[i] > 0);
    const g = group(ctx, instance.label, 'keypoints');
    for (const [a, b] of edges) {
      if (shown(a) && shown(b)) g.append(svgEl('line', { x1: xy[2 * a], y1: xy[2 * a + 1], x2: xy[2 * b], y2: xy[2 * b + 1] }));
    }
    let first = null;
    for (let i = 0; 2 * i + 1 < xy.length; i++) {
      if (!shown(i)) continue;
      first ??= i;
      g.append(svgEl('circle', { cx: xy[2 * i], cy: xy[2 * i + 1], r: radius, 'data-point': i, fill: visibility[i] === 1 ? 'none' : classColor(instance.label) }));
    }
    if (first === null) return [];
    g.append(caption(ctx, instance.label, xy[2 * first], xy[2 * first + 1] - radius - 2));
    return [g];
  });
}

/** Paints COCO's column-major RLE counts into RGBA pixels; runs past the mask are cut off. */
function paintRle(pixels, width, height, counts, rgb) {
  const total = width * height;
  let position = 0;
  for (let i = 0; i < counts.length && position < total; i++) {
    const run = finite(counts[i]) && counts[i] > 0 ? Math.trunc(counts[i]) : 0;
    if (i % 2 === 1) {
      for (let p = position; p < Math.min(position + run, total); p++) {
        const at = 4 * ((p % height) * width + Math.trunc(p / height));
        pixels[at] = rgb[0]; pixels[at + 1] = rgb[1]; pixels[at + 2] = rgb[2]; pixels[at + 3] = 110;
      }
    }
    position += run;
  }
}

function masks(ctx, value) {
  const width = Math.trunc(value.image_width);
  const height = Math.trunc(value.image_height);
  const instances = list(value.instances).filter(m => m && Array.isArray(m.rle));
  if (!(width > 0 && height > 0 && width * height <= 64e6) || !instances.length) return [];
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.className = 'annotation-mask';
  canvas.dataset.column = ctx.column.name;
  canvas.dataset.instances = String(instances.length);
  const g2 = canvas.getContext('2d');
  const image = g2.createImageData(width, height);
  for (const m of instances) {
    const hex = classColor(m.label);
    paintRle(image.data, width, height, m.rle, [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16)));
  }
  g2.putImageData(image, 0, 0);
  ctx.canvases.push(canvas);
  // One SVG group per instance carries its class name (drawn in the canvas, named here for tests and readers).
  return instances.map(m => {
    const g = group(ctx, m.label, 'mask');
    g.append(svgEl('title', {}, className(ctx.column, m.label)));
    return g;
  });
}

/**
 * Wraps an image element with overlays of the row's annotation columns that belong to it (same source table).
 * `values` is the row's values by column name; `columns` the page's column descriptions. Returns the image itself when
 * there is nothing to draw.
 */
export function annotate(img, imageColumn, values, columns) {
  const own = columns.filter(c => isAnnotation(c) && (c.source ?? '') === (imageColumn.source ?? '') && values[c.name]);
  if (!own.length) return img;
  const wrap = document.createElement('span');
  wrap.className = 'annotated';
  wrap.dataset.testid = 'annotated';
  wrap.append(img);
  const first = own.map(c => values[c.name]).find(v => finite(v.image_width) && finite(v.image_height) && v.image_width > 0 && v.image_height > 0);
  const draw = (width, height) => {
    const font = Math.max(width, height) / 40;
    const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, class: 'annotation-overlay', 'data-testid': 'annotations', 'data-width': width, 'data-height': height });
    const canvases = [];
    for (const column of own) {
      const ctx = { column, width, height, font, canvases };
      try {
        svg.append(...drawers[column.type](ctx, values[column.name]));
      } catch (error) {
        console.warn(`annotations of ${column.name} not drawn:`, error);
      }
    }
    wrap.append(...canvases, svg);
  };
  if (first) draw(first.image_width, first.image_height);
  else img.addEventListener('load', () => draw(img.naturalWidth, img.naturalHeight), { once: true }); // no size stored: the image's own
  return wrap;
}

/** A button that shows or hides every annotation overlay inside `scope`. */
export function annotationToggle(scope) {
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.testid = 'toggle-annotations';
  button.textContent = 'Hide annotations';
  button.addEventListener('click', () => {
    const hidden = scope.classList.toggle('annotations-hidden');
    button.textContent = hidden ? 'Show annotations' : 'Hide annotations';
  });
  return button;
}

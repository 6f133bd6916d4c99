// Comparing metrics per sample: a metrics table's rows beside another metrics table's over the same input (another epoch
// of the run, or another run) with B − A deltas, and one sample's metrics across its run's epochs. Values are set as text.

import { el, api, link, display, lineChart } from './app.js';

/** The label of a run's metrics table: run, stream and epoch. */
function describe({ run, metrics }) {
  const epoch = metrics.constants?.epoch;
  return `${run.project}/${run.name} · ${metrics.stream_name}${epoch === undefined || epoch === null ? '' : ` · epoch ${epoch}`} (${metrics.row_count} rows)`;
}

/** Whether a column holds numbers to chart (not a label, an epoch or an example id). */
const isMeasure = column => !column.classes && /^(float|int|uint)/.test(column.type);

/**
 * The bar of a metrics table's page that compares it (A) with another metrics table (B) over the same input: a select of
 * the other metrics tables of every run over that input; picking one shows A's rows with B's values and the B − A deltas,
 * sorted by the delta of the loss (or of the first measure) descending. Hidden for a table that is no run's metrics table.
 * `go` navigates the table page with changes ({compare, sort, desc}).
 */
export function compareBar(url, join, compare, sort, go) {
  const bar = el('div', { class: 'toolbar compare', 'data-testid': 'compare-bar', hidden: '' });
  const fill = async () => {
    const { runs } = await api('/v1/runs');
    const all = runs.flatMap(run => (run.metrics ?? []).map(metrics => ({ run, metrics })));
    const self = all.find(m => m.metrics.url === url);
    if (!self) return;
    const others = all.filter(m => m.metrics.url !== url && m.metrics.foreign_table_url === self.metrics.foreign_table_url);
    if (!others.length && !compare) return;
    const status = el('span', { class: 'muted', 'data-testid': 'compare-status' });
    const select = el('select', { 'data-testid': 'compare' },
      el('option', { value: '' }, 'compare with…'),
      others.map(m => el('option', { value: m.metrics.url }, describe(m))));
    select.value = compare;
    select.addEventListener('change', async () => {
      if (!select.value) {
        go({ compare: '', sort: /^(b|delta)\./.test(sort) ? '' : sort, desc: false });
        return;
      }
      try {
        // The deltas B has with A: sort by the loss's, else the first.
        const { columns } = await api('/v1/rows', { table: url, join, compare: select.value, limit: 0 });
        const deltas = columns.filter(c => c.source === 'delta');
        const by = deltas.find(c => c.column === 'loss') ?? deltas[0];
        go({ compare: select.value, sort: by?.name ?? '', desc: Boolean(by) });
      } catch (error) {
        status.replaceChildren(el('span', { class: 'error' }, error.message));
      }
    });
    const picked = all.find(m => m.metrics.url === compare);
    bar.replaceChildren(el('strong', {}, 'Compare'), el('span', { class: 'muted' }, `A = ${describe(self)} with B =`), select,
      compare ? el('span', { class: 'muted' }, `b.<column>: B's value of the sample; delta.<column> = B − A (positive where B is higher)${picked ? '' : ` · B = ${compare}`}`) : null,
      status);
    bar.hidden = false;
  };
  fill().catch(error => {
    bar.replaceChildren(el('span', { class: 'error' }, error.message));
    bar.hidden = false;
  });
  return bar;
}

/**
 * The metrics of the sample at row `row` of a run's metrics table in every metrics table of that run and stream (its
 * metrics across epochs): a table of epochs × columns, each epoch a link to the sample there, and a line chart per measure.
 */
export function sampleMetrics(url, join, row) {
  const box = el('div', { 'data-testid': 'sample-metrics' }, el('p', { class: 'muted' }, 'Loading the metrics across epochs…'));
  const fill = async () => {
    const history = await api('/v1/sample/metrics', { table: url, row });
    const columns = history.columns.filter(c => c.name !== 'epoch');
    const measures = columns.filter(isMeasure);
    box.replaceChildren(
      el('h2', {}, `Example ${history.example_id} across epochs of ${history.run} · ${history.stream}`),
      el('table', { class: 'list', 'data-testid': 'sample-epochs' },
        el('tr', {}, el('th', {}, 'epoch'), columns.map(c => el('th', {}, c.name))),
        history.tables.map((t, i) => el('tr', { 'data-epoch': t.epoch ?? '', class: t.url === url ? 'current' : '' },
          el('td', {}, t.row === null ? String(t.epoch ?? i) : link('/sample', { url: t.url, ...(join ? { join } : {}), row: t.row }, String(t.epoch ?? i))),
          columns.map(c => el('td', { 'data-column': c.name, class: isMeasure(c) ? 'num' : '' }, display(t.values[c.name], c)))))),
      history.tables.length > 1 && measures.length
        ? el('div', { class: 'charts' }, measures.map(c => lineChart(c.name, 'epoch',
          [{ name: c.name, points: history.tables.map((t, i) => [t.epoch ?? i, t.values[c.name]]).filter(([, v]) => typeof v === 'number') }])))
        : null);
  };
  fill().catch(error => box.replaceChildren(el('span', { class: 'error' }, error.message)));
  return box;
}

// The dashboard's jobs page (#/jobs): the cluster's jobs of every kind (what `tlc jobs` lists), running ones first, then
// the recent ones, each with its progress, counts, status and errors, read again about once a second while the page is
// shown. Every string from a job is set as text, never parsed as HTML.

/** How often the page reads the jobs again, in milliseconds. */
const REFRESH_MS = 1000;

/** The refresh of the jobs page shown now, if any: one at a time. */
let current = null;

/** Counts renders, so that a render whose first answer came after a newer one (or after the page was left) draws nothing. */
let renders = 0;

/** Whether the location is the jobs page. */
const onJobsPage = () => location.hash.slice(1).split('?')[0] === '/jobs';

/**
 * Renders the jobs page into `app` and keeps it fresh until the page is left (another route, or the content replaced);
 * `ui` holds the dashboard's helpers: `el` (elements), `api` (GET JSON) and `link` (a route link).
 */
export async function render(app, crumbs, ui) {
  current?.stop();
  const generation = ++renders;
  const { el, api, link } = ui;
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const kind = params.get('kind') ?? '';
  const first = await api('/v1/jobs', { kind });
  if (generation !== renders || !onJobsPage()) return;
  crumbs.replaceChildren(link('/', {}, 'projects'), ' / ', el('span', {}, 'jobs'));
  const running = el('tbody', { 'data-testid': 'running-jobs' });
  const recent = el('tbody', { 'data-testid': 'recent-jobs' });
  const status = el('p', { class: 'muted', 'data-testid': 'jobs-status' });
  const page = el('section', { 'data-testid': 'jobs-page' },
    el('h1', {}, kind ? `Jobs (${kind})` : 'Jobs'),
    el('p', { class: 'toolbar' }, ['', 'metrics', 'import', 'stream'].map(k => k === kind
      ? el('strong', {}, k || 'all') : link('/jobs', k ? { kind: k } : {}, k || 'all'))),
    status,
    el('h2', {}, 'Running'), el('table', { class: 'list jobs' }, header(el), running),
    el('h2', {}, 'Recent'), el('table', { class: 'list jobs' }, header(el), recent));
  const draw = jobs => {
    const live = jobs.filter(j => !isFinished(j));
    const ended = jobs.filter(isFinished);
    running.replaceChildren(...(live.length ? live.map(j => row(j, ui)) : [empty(el, 'No job is running.')]));
    recent.replaceChildren(...(ended.length ? ended.map(j => row(j, ui)) : [empty(el, 'No job has ended yet.')]));
    status.textContent = `${live.length} running, ${ended.length} ended · updated ${new Date().toLocaleTimeString()}`;
  };
  draw(first.jobs);
  app.replaceChildren(page);

  let timer = 0;
  let stopped = false;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    window.removeEventListener('hashchange', leave);
    if (current?.stop === stop) current = null;
  };
  const leave = () => { if (!onJobsPage()) stop(); };
  const refresh = async () => {
    if (stopped) return;
    if (!page.isConnected) { stop(); return; }
    if (!document.hidden) {
      try {
        const { jobs } = await api('/v1/jobs', { kind });
        if (stopped) return;
        draw(jobs);
        status.classList.remove('error');
      } catch (error) {
        if (stopped) return;
        status.textContent = `Could not read the jobs (trying again): ${error.message ?? error}`;
        status.classList.add('error');
      }
    }
    timer = setTimeout(refresh, REFRESH_MS);
  };
  window.addEventListener('hashchange', leave);
  current = { stop };
  timer = setTimeout(refresh, REFRESH_MS);
}

const isFinished = job => job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled';

function header(el) {
  return el('thead', {}, el('tr', {},
    ['job', 'kind', 'status', 'progress', 'rows', 'submitted', 'took', 'result', 'errors'].map(name => el('th', {}, name))));
}

function empty(el, text) {
  return el('tr', {}, el('td', { colspan: 9, class: 'muted' }, text));
}

const plural = (n, noun) => `${n.toLocaleString()} ${noun}${n === 1 ? '' : 's'}`;

/** What the progress bar measures: ranks closed while a job of writers waits for them, else items committed. */
function measure(job) {
  if (job.writers > 0 && !isFinished(job)) return { done: job.writers_closed, total: job.writers, noun: job.writer_noun, verb: 'closed' };
  return { done: job.items_committed, total: job.items, noun: job.unit, verb: 'committed' };
}

function seconds(s) {
  if (s === null || s === undefined) return '';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function row(job, { el, link }) {
  const { done, total, noun, verb } = measure(job);
  const bar = el('progress', { max: Math.max(total, 1), 'data-testid': 'job-progress', title: `${done} of ${total} ${noun}s ${verb}` });
  if (total > 0 || isFinished(job)) bar.value = isFinished(job) && job.status === 'completed' ? Math.max(total, 1) : done;
  const counts = [`${done.toLocaleString()}/${plural(total, noun)} ${verb}`];
  if (job.items_leased > 0 && !isFinished(job)) counts.push(`${job.items_leased.toLocaleString()} leased`);
  if (job.items_failed > 0) counts.push(`${job.items_failed.toLocaleString()} failed`);
  if (job.waiting_for.length > 0 && !isFinished(job)) {
    counts.push(`waiting for ${job.writer_noun}${job.waiting_for.length > 1 ? 's' : ''} ${job.waiting_for.join(', ')}${job.writers - job.writers_closed > job.waiting_for.length ? ', …' : ''}`);
  }
  const rows = [job.rows_expected > 0 ? `${job.rows.toLocaleString()}/${job.rows_expected.toLocaleString()}` : job.rows.toLocaleString()];
  if (!isFinished(job) && job.rows_per_second > 0) rows.push(`${job.rows_per_second.toLocaleString()} rows/s`);
  if (!isFinished(job) && job.eta_seconds !== null) rows.push(`ETA ${seconds(job.eta_seconds)}`);
  if (job.rows_quarantined > 0) rows.push(`${job.rows_quarantined.toLocaleString()} quarantined`);
  const took = job.started ? (Date.parse(job.finished ?? new Date().toISOString()) - Date.parse(job.started)) / 1000 : null;
  // A metrics table (collected, or written by ranks) opens beside the input rows it describes, as the runs list does.
  const result = job.result ? link('/table', job.kind === 'import' ? { url: job.result } : { url: job.result, join: 'input' }, job.result.split('/').slice(-1)[0]) : '';
  return el('tr', { 'data-job': job.job, 'data-status': job.status },
    el('td', { title: job.description }, el('div', {}, job.job), el('div', { class: 'muted' }, job.run ?? job.description)),
    el('td', { 'data-field': 'kind' }, job.kind),
    el('td', { 'data-field': 'status', class: `status-${job.status}` }, job.status),
    el('td', { 'data-field': 'progress' }, bar, el('div', { 'data-field': 'counts' }, counts.join(', '))),
    el('td', { 'data-field': 'rows', class: 'num' }, rows.join(' · ')),
    el('td', { 'data-field': 'submitted' }, new Date(job.submitted).toLocaleString()),
    el('td', { 'data-field': 'took', class: 'num' }, took === null ? '' : seconds(Math.max(0, took))),
    el('td', { 'data-field': 'result' }, result),
    el('td', { 'data-field': 'errors' }, job.errors.length ? el('ul', { class: 'error' }, job.errors.map(e => el('li', {}, e))) : ''));
}

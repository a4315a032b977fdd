// The playground: a person's view of the public API. Everything here is an API call any client can make;
// the form's limits, enums and prices come from /openapi.json, so that the page cannot drift from the API.
import { ApiError, call, explain, follow } from './api.js';

const GENERATE = '/generate/image/krea/krea-2/medium';
const KEY_STORAGE = 'easel.apiKey';
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const TIER_NAMES = { text_to_image: 'Text to image', style_references: 'Style references', moodboards: 'Moodboard' };
/** The form's fields that the API's 400 messages name, and the input each one belongs to. */
const FIELD_INPUTS = {
  prompt: 'prompt', seed: 'seed', aspect_ratio: 'aspect_ratio', creativity: 'creativity',
  intensity: 'intensity', complexity: 'complexity', moodboards: 'moodboard', styles: 'style-picker',
  image_style_references: 'add-ref',
};

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

let key = localStorage.getItem(KEY_STORAGE);
let fields; // the generate body's schema properties, from /openapi.json
let tiers; // price per tier, from /openapi.json
let styles = []; // every style the account may use: its own, public ones, built-in ones
const chosenStyles = []; // {id, title, input}
let watcher = null; // the AbortController of the job being followed
let galleryCursor = null;
let detailJob = null, detailRequest = null;

const api = (method, path, options) => call(key, method, path, options);

async function start() {
  wireEvents();
  try {
    const doc = await (await fetch('/openapi.json')).json();
    const op = doc.paths[GENERATE].post;
    fields = op.requestBody.content['application/json'].schema.properties;
    tiers = op['x-easel-price-tiers'];
  } catch (e) {
    $('key-error').textContent = 'This server does not describe its API at /openapi.json: the playground cannot start.';
    return;
  }
  buildForm();
  if (key) await enter();
}

function buildForm() {
  for (const value of fields.aspect_ratio.enum) $('aspect_ratio').append(el('option', { value, textContent: value }));
  for (const value of fields.creativity.enum) $('creativity').append(el('option', { value, textContent: value }));
  $('creativity').value = fields.creativity.default;
  $('prompt').maxLength = fields.prompt.maxLength;
  $('seed').placeholder = `0 to ${fields.seed.maximum}`;
  for (const name of ['intensity', 'complexity']) {
    const input = $(name), spec = fields[name];
    Object.assign(input, { min: spec.minimum, max: spec.maximum, value: spec.default });
    $(name + '-value').textContent = input.value;
    input.addEventListener('input', () => { $(name + '-value').textContent = input.value; });
  }
  const mood = fields.moodboards.items.properties.strength;
  Object.assign($('moodboard-strength'), { min: mood.minimum, max: mood.maximum, value: mood.default });
  renderPrice();
}

function wireEvents() {
  $('key-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const pasted = $('api-key').value.trim();
    if (!pasted) {
      $('key-error').textContent = 'Paste a key first.';
      return;
    }
    key = pasted;
    await enter();
  });
  $('forget-key').addEventListener('click', forgetKey);
  $('generate-form').addEventListener('submit', (e) => {
    e.preventDefault();
    generate(body());
  });
  $('prompt').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      $('generate-form').requestSubmit();
    }
  });
  $('add-style').addEventListener('click', addChosenStyle);
  $('add-ref').addEventListener('click', () => addReference());
  $('moodboard').addEventListener('change', renderPrice);
  $('cancel').addEventListener('click', () => cancelOrDelete($('current').dataset.jobId, render));
  $('more').addEventListener('click', () => loadGallery(true));
  $('rerun').addEventListener('click', rerun);
  $('detail-close').addEventListener('click', closeDetail);
  $('detail').addEventListener('keydown', (e) => { if (e.key === 'Escape') closeDetail(); });
  $('detail-cancel').addEventListener('click', () => cancelOrDelete(detailJob.job_id, (job) => openDetail(job.job_id)));
  $('detail-delete').addEventListener('click', deleteDetail);
  $('asset-form').addEventListener('submit', uploadAsset);
  $('style-form').addEventListener('submit', uploadStyle);
  $('moodboard-form').addEventListener('submit', createMoodboard);
}

// ---- the key and the account ----

async function enter() {
  $('key-error').textContent = '';
  try {
    await refreshAccount();
  } catch (e) {
    $('key-error').textContent = e.status === 401 ? 'The server does not know this key (or it was revoked): check it and paste it again.'
      : (explain(e) || e.message);
    $('key-panel').hidden = false;
    $('app').hidden = true;
    return;
  }
  localStorage.setItem(KEY_STORAGE, key);
  $('api-key').value = '';
  $('key-hint').textContent = 'key …' + key.slice(-4);
  $('key-panel').hidden = true;
  $('app').hidden = false;
  $('account').hidden = false;
  try {
    await Promise.all([loadStyles(), loadMoodboards(), loadAssets(), loadGallery(false)]);
  } catch (e) {
    showError($('form-error'), e);
  }
}

function forgetKey() {
  localStorage.removeItem(KEY_STORAGE);
  key = null;
  if (watcher) watcher.abort();
  $('app').hidden = true;
  $('account').hidden = true;
  $('key-panel').hidden = false;
  $('api-key').focus();
}

async function refreshAccount() {
  const account = await api('GET', '/account');
  $('balance').textContent = dollars(account.available_usd);
  $('balance').title = `balance ${dollars(account.balance_usd)}, of which ${dollars(account.reserved_usd)} reserved by pending jobs`;
}

function dollars(amount) {
  return '$' + Number(amount).toFixed(3).replace(/0$/, '');
}

// ---- the form ----

async function listAll(path) {
  const items = [];
  let cursor = null;
  do {
    const page = await api('GET', path + '?limit=100' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < 1000);
  return items;
}

async function loadStyles() {
  styles = await listAll('/styles');
  const picker = $('style-picker');
  picker.replaceChildren(...styles.map((s) => el('option', {
    value: s.id, textContent: s.title + (s.owner === 'easel' ? ' (built in)' : s.public ? ' (public)' : ''),
  })));
}

function addChosenStyle() {
  const id = $('style-picker').value;
  if (!id || chosenStyles.some((s) => s.id === id)) return;
  const style = styles.find((s) => s.id === id);
  const spec = fields.styles.items.properties.strength;
  const input = el('input', { type: 'range', min: spec.minimum, max: spec.maximum, step: 0.05, value: 1, id: 'style-strength-' + id });
  const value = el('output', { textContent: input.value });
  input.addEventListener('input', () => { value.textContent = input.value; });
  const remove = el('button', { type: 'button', textContent: 'Remove', className: 'link' });
  const error = el('p', { className: 'error', role: 'alert' });
  const row = el('li', { className: 'style-row' },
    el('label', { htmlFor: input.id, textContent: style.title + ' strength ' }, value), input, remove, error);
  row.dataset.styleId = id;
  const chosen = { id, input, error };
  remove.addEventListener('click', () => {
    chosenStyles.splice(chosenStyles.indexOf(chosen), 1);
    row.remove();
    $('add-style').focus();
  });
  chosenStyles.push(chosen);
  $('styles-list').append(row);
}

function addReference(url = '', strength) {
  const spec = fields.image_style_references.items.properties.strength;
  const n = $('refs-list').children.length;
  const urlInput = el('input', { type: 'url', value: url, placeholder: 'an http(s) URL of an image', id: 'ref-url-' + Date.now() + n });
  const strengthInput = el('input', {
    type: 'number', min: spec.minimum, max: spec.maximum, step: 0.05, value: strength ?? spec.default, className: 'narrow',
  });
  const remove = el('button', { type: 'button', textContent: 'Remove', className: 'link' });
  const error = el('p', { className: 'error', role: 'alert' });
  const row = el('li', { className: 'ref-row' },
    el('label', { htmlFor: urlInput.id, textContent: 'Image URL' }), urlInput,
    el('label', { textContent: 'Strength' }, strengthInput), remove, error);
  remove.addEventListener('click', () => {
    row.remove();
    renderPrice();
    $('add-ref').focus();
  });
  urlInput.addEventListener('input', renderPrice);
  $('refs-list').append(row);
  renderPrice();
  if (!url) urlInput.focus();
}

function references() {
  return [...$('refs-list').children].map((row) => {
    const [url, strength] = row.querySelectorAll('input');
    return { url: url.value.trim(), strength: Number(strength.value), error: row.querySelector('.error') };
  }).filter((r) => r.url);
}

async function loadMoodboards() {
  const boards = await listAll('/moodboards');
  const select = $('moodboard'), was = select.value;
  select.replaceChildren(el('option', { value: '', textContent: 'No moodboard' }),
    ...boards.map((b) => el('option', { value: b.id, textContent: b.title })));
  select.value = boards.some((b) => b.id === was) ? was : '';
  renderPrice();
}

function tier() {
  if ($('moodboard').value) return 'moodboards';
  return references().length ? 'style_references' : 'text_to_image';
}

function renderPrice() {
  $('add-ref').disabled = $('refs-list').children.length >= fields.image_style_references.maxItems;
  const now = tier();
  $('price').textContent = dollars(tiers[now]);
  $('tiers').replaceChildren(...Object.keys(TIER_NAMES).map((t) => el('li', {
    className: t === now ? 'active' : '', textContent: `${TIER_NAMES[t]} ${dollars(tiers[t])}`,
  })));
}

/** The request body the form describes, as the API takes it; the API, not the page, says what is wrong with it. */
function body() {
  const b = {
    prompt: $('prompt').value,
    aspect_ratio: $('aspect_ratio').value,
    resolution: fields.resolution.enum[0],
    creativity: $('creativity').value,
    intensity: Number($('intensity').value),
    complexity: Number($('complexity').value),
  };
  const seed = $('seed').value.trim();
  if (seed) b.seed = /^\d+$/.test(seed) ? Number(seed) : seed;
  if (chosenStyles.length) b.styles = chosenStyles.map((s) => ({ id: s.id, strength: Number(s.input.value) }));
  const refs = references();
  if (refs.length) b.image_style_references = refs.map((r) => ({ url: r.url, strength: r.strength }));
  if ($('moodboard').value) b.moodboards = [{ id: $('moodboard').value, strength: Number($('moodboard-strength').value) }];
  return b;
}

/** Fills the form with a job's request, so that a re-run can be changed and run again. */
function fill(request) {
  $('prompt').value = request.prompt;
  $('seed').value = request.seed ?? '';
  $('aspect_ratio').value = request.aspect_ratio;
  $('creativity').value = request.creativity;
  for (const name of ['intensity', 'complexity']) {
    $(name).value = request[name];
    $(name + '-value').textContent = request[name];
  }
  $('styles-list').replaceChildren();
  chosenStyles.length = 0;
  for (const s of request.styles) {
    if (!styles.some((known) => known.id === s.id)) continue;
    $('style-picker').value = s.id;
    addChosenStyle();
    chosenStyles[chosenStyles.length - 1].input.value = s.strength;
  }
  $('refs-list').replaceChildren();
  for (const r of request.image_style_references) addReference(r.url, r.strength);
  const board = request.moodboards[0];
  $('moodboard').value = board ? board.id : '';
  if (board) $('moodboard-strength').value = board.strength;
  renderPrice();
}

function clearErrors() {
  for (const e of document.querySelectorAll('#generate-form .error')) e.textContent = '';
  for (const e of document.querySelectorAll('#generate-form [aria-invalid]')) e.removeAttribute('aria-invalid');
}

/** A 400's message names the fields at fault ("prompt must …; styles[0].strength must …"): each part goes beside its field. */
function showFieldErrors(message) {
  const general = [];
  const refs = references();
  for (const part of message.split('; ')) {
    const m = /^([a-z_]+)(?:\[(\d+)\])?/.exec(part);
    let target = null;
    if (m && m[2] !== undefined && m[1] === 'styles' && chosenStyles[m[2]]) target = chosenStyles[m[2]].error;
    else if (m && m[2] !== undefined && m[1] === 'image_style_references' && refs[m[2]]) target = refs[m[2]].error;
    if (m && !target) target = $('err-' + m[1]);
    if (!target) {
      general.push(part);
      continue;
    }
    target.textContent = (target.textContent ? target.textContent + ' ' : '') + sentence(part);
    const input = m && $(FIELD_INPUTS[m[1]]);
    if (input) input.setAttribute('aria-invalid', 'true');
  }
  if (general.length) $('form-error').textContent = general.map(sentence).join(' ');
  const first = document.querySelector('#generate-form [aria-invalid]');
  if (first) first.focus();
}

/** The API's message as a sentence; its first word stays as it is, because it is often a field's name. */
function sentence(text) {
  return text + (/[.!?]$/.test(text) ? '' : '.');
}

function showError(target, error) {
  const explained = explain(error);
  target.replaceChildren(explained || sentence(error.message));
  if (explained && error.status !== 0) target.append(el('span', { className: 'detail', textContent: ' (' + error.message + ')' }));
}

async function generate(request) {
  clearErrors();
  $('generate').disabled = true;
  try {
    const job = await api('POST', GENERATE, { json: request });
    watch(job);
    addCard(job, true);
    refreshAccount().catch(() => {});
  } catch (e) {
    if (e.status === 400) showFieldErrors(e.message);
    else showError($('form-error'), e);
  } finally {
    $('generate').disabled = false;
  }
}

// ---- the job being followed ----

async function watch(job) {
  if (watcher) watcher.abort();
  const controller = new AbortController();
  watcher = controller;
  const section = $('current');
  section.hidden = false;
  section.dataset.jobId = job.job_id;
  delete section.dataset.previewShown;
  $('status-trail').replaceChildren();
  for (const id of ['preview', 'result', 'download']) $(id).hidden = true;
  $('result-meta').textContent = '';
  render(job);
  section.scrollIntoView({ block: 'nearest' });
  let last = job;
  try {
    await follow(key, `/jobs/${job.job_id}/events`, (name, data) => {
      if (name === 'deleted') {
        $('status-text').textContent = 'This job was deleted.';
        last = { status: 'deleted' };
        return;
      }
      last = data;
      render(data);
    }, controller.signal);
    // the stream ended early (a proxy, the network): ask until the job ends
    while (!TERMINAL.has(last.status) && last.status !== 'deleted' && !controller.signal.aborted) {
      await new Promise((r) => setTimeout(r, 1000));
      last = await api('GET', '/jobs/' + job.job_id, { signal: controller.signal });
      render(last);
    }
  } catch (e) {
    if (e.name !== 'AbortError') showError($('status-text'), e);
  }
}

function render(job) {
  if ($('current').dataset.jobId !== job.job_id) return;
  const trail = $('status-trail');
  if (trail.lastElementChild?.dataset.status !== job.status) {
    trail.append(el('li', { textContent: job.status }));
    trail.lastElementChild.dataset.status = job.status;
  }
  $('current').dataset.status = job.status;
  const progress = $('progress');
  if (job.progress) {
    progress.max = job.progress.steps;
    progress.value = job.progress.step;
  } else if (job.status === 'completed') {
    progress.value = progress.max;
  }
  let text = job.status;
  if (job.progress) text += `: step ${job.progress.step} of ${job.progress.steps}`;
  if (job.status === 'failed') text += `: ${job.error.code}, ${job.error.message}`;
  $('status-text').textContent = text;
  if (job.status === 'intermediate-complete' && job.result?.urls?.length) {
    $('preview').src = job.result.urls[0];
    $('preview').hidden = false;
    $('current').dataset.previewShown = 'true';
  }
  if (job.status === 'completed') {
    $('result').src = job.result.urls[0];
    $('result').hidden = false;
    $('preview').hidden = true;
    const expander = { llm: 'expanded by the language model', builtin: 'expanded by the built-in expander', none: 'as written' };
    $('result-meta').textContent = `Seed ${job.result.seed} · ${job.result.width}×${job.result.height} · ${job.result.prompt}`
      + (job.result.expansion ? ` (${expander[job.result.expansion]})` : '');
    Object.assign($('download'), { href: job.result.urls[0], download: `easel-${job.job_id}.png`, hidden: false });
  }
  $('cancel').hidden = TERMINAL.has(job.status);
  if (TERMINAL.has(job.status)) {
    refreshAccount().catch(() => {});
    updateCard(job);
  }
}

async function cancelOrDelete(id, then) {
  try {
    then(await api('DELETE', '/jobs/' + id));
  } catch (e) {
    showError(detailJob && detailJob.job_id === id ? $('detail-error') : $('status-text'), e);
  }
}

// ---- the gallery ----

async function loadGallery(more) {
  try {
    const page = await api('GET', '/jobs?limit=12' + (more && galleryCursor ? '&cursor=' + encodeURIComponent(galleryCursor) : ''));
    if (!more) $('gallery').replaceChildren();
    for (const job of page.items) addCard(job, false);
    galleryCursor = page.next_cursor;
    $('more').hidden = !galleryCursor;
    $('gallery-error').textContent = '';
  } catch (e) {
    showError($('gallery-error'), e); // the details, where other errors go, may be hidden
  }
}

function card(job) {
  const button = el('button', { type: 'button', className: 'card' });
  button.dataset.jobId = job.job_id;
  button.dataset.status = job.status;
  if (job.status === 'completed') {
    button.append(el('img', { src: job.result.urls[0], alt: '', loading: 'lazy' }));
  } else {
    button.append(el('span', { className: 'placeholder', textContent: job.status }));
  }
  const when = new Date(job.created_at).toLocaleString();
  const about = job.status === 'completed' ? `seed ${job.result.seed} · ${job.result.width}×${job.result.height}` : job.status;
  button.append(el('span', { className: 'caption', textContent: `${about} · ${when}` }));
  if (job.result?.prompt) button.append(el('span', { className: 'prompt', textContent: job.result.prompt }));
  button.setAttribute('aria-label', `Job of ${when}, ${about}`);
  button.addEventListener('click', () => openDetail(job.job_id));
  return el('li', {}, button);
}

function addCard(job, first) {
  const existing = document.querySelector(`#gallery [data-job-id="${job.job_id}"]`);
  if (existing) {
    existing.parentElement.replaceWith(card(job));
    return;
  }
  if (first) $('gallery').prepend(card(job));
  else $('gallery').append(card(job));
}

function updateCard(job) {
  if (document.querySelector(`#gallery [data-job-id="${job.job_id}"]`)) addCard(job, false);
}

async function openDetail(id) {
  $('detail-error').textContent = '';
  try {
    [detailJob, detailRequest] = await Promise.all([api('GET', '/jobs/' + id), api('GET', `/jobs/${id}/request`)]);
  } catch (e) {
    showError($('gallery-error'), e); // the details stay as they were, perhaps hidden
    return;
  }
  const job = detailJob, r = detailRequest;
  const detail = $('detail');
  detail.hidden = false;
  detail.dataset.jobId = id;
  const image = $('detail-image');
  image.hidden = job.status !== 'completed';
  if (job.status === 'completed') image.src = job.result.urls[0];
  const rows = [
    ['Status', job.status + (job.error ? `: ${job.error.code}, ${job.error.message}` : '')],
    ['Prompt', r.prompt],
    ['Seed', String(r.seed)],
    ['Aspect ratio', r.aspect_ratio],
    ['Creativity', r.creativity],
    ['Intensity', String(r.intensity)],
    ['Complexity', String(r.complexity)],
    ['Styles', r.styles.map((s) => `${s.id} ${s.strength}`).join(', ') || 'none'],
    ['Style references', r.image_style_references.map((s) => `${s.url} ${s.strength}`).join(', ') || 'none'],
    ['Moodboard', r.moodboards.map((m) => `${m.id} ${m.strength}`).join(', ') || 'none'],
    ['Created', new Date(job.created_at).toLocaleString()],
  ];
  if (job.result?.prompt) rows.push(['Prompt used', job.result.prompt + (job.result.expansion ? ` (expansion: ${job.result.expansion})` : '')]);
  $('detail-params').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: v })]));
  Object.assign($('detail-download'), { hidden: job.status !== 'completed' });
  if (job.status === 'completed') Object.assign($('detail-download'), { href: job.result.urls[0], download: `easel-${id}.png` });
  $('detail-cancel').hidden = TERMINAL.has(job.status);
  // a job cancelled less than 24 hours ago is kept: a retried cancel must not delete it (API.md, DELETE /jobs/{id})
  const keptUntil = job.status === 'cancelled' ? new Date(job.completed_at).getTime() + 24 * 3600 * 1000 : 0;
  $('detail-delete').hidden = !TERMINAL.has(job.status) || keptUntil > Date.now();
  $('detail-kept').hidden = keptUntil <= Date.now();
  $('detail-kept').textContent = `A cancelled job is kept for 24 hours, so that a retried cancel cannot delete it: it can be deleted from ${new Date(keptUntil).toLocaleString()}.`;
  $('detail-delete').textContent = 'Delete';
  delete $('detail-delete').dataset.armed;
  detail.focus();
}

function closeDetail() {
  $('detail').hidden = true;
  const cardButton = detailJob && document.querySelector(`#gallery [data-job-id="${detailJob.job_id}"]`);
  if (cardButton) cardButton.focus();
}

function rerun() {
  fill(detailRequest);
  generate(detailRequest);
}

/** Deleting removes the image for good: the first press asks, the second deletes. */
async function deleteDetail() {
  const button = $('detail-delete');
  if (!button.dataset.armed) {
    button.dataset.armed = 'true';
    button.textContent = 'Delete for good? Press again';
    return;
  }
  const id = detailJob.job_id;
  await cancelOrDelete(id, () => {
    document.querySelector(`#gallery [data-job-id="${id}"]`)?.parentElement.remove();
    $('detail').hidden = true;
    $('gallery-title').focus();
  });
}

// ---- the library ----

async function loadAssets() {
  const assets = await listAll('/assets');
  $('moodboard-assets').replaceChildren(...assets.map((a) => {
    const box = el('input', { type: 'checkbox', value: a.id, id: 'asset-' + a.id });
    return el('li', {}, box, el('label', { htmlFor: box.id },
      el('img', { src: a.image_url, alt: '', className: 'thumb' }), a.description || `${a.width}×${a.height} image`));
  }));
}

async function submitLibrary(e, messageId, send) {
  e.preventDefault();
  const message = $(messageId);
  message.className = 'message';
  message.textContent = 'Sending…';
  try {
    message.textContent = await send();
    e.target.reset();
  } catch (error) {
    message.className = 'message error';
    showError(message, error);
  }
}

/** A multipart body of the chosen file and the fields that are not blank; refused here when no file is chosen. */
function multipart(fileInput, what, fields) {
  const file = $(fileInput).files[0];
  if (!file) throw new ApiError(400, `choose ${what} first`);
  const form = new FormData();
  form.append('file', file);
  for (const [name, input] of Object.entries(fields)) if ($(input).value.trim()) form.append(name, $(input).value.trim());
  return form;
}

function uploadAsset(e) {
  return submitLibrary(e, 'asset-message', async () => {
    const form = multipart('asset-file', 'an image file', { description: 'asset-description' });
    const asset = await api('POST', '/assets', { form });
    await loadAssets();
    return `Uploaded: ${asset.width}×${asset.height} ${asset.mime_type}. It can now go into a moodboard.`;
  });
}

function uploadStyle(e) {
  return submitLibrary(e, 'style-message', async () => {
    const form = multipart('style-file', 'a .safetensors file', { title: 'style-title', prompt: 'style-prompt' });
    const style = await api('POST', '/styles', { form });
    await loadStyles();
    return `Uploaded style “${style.title}” (${style.lora.format}, rank ${style.lora.rank}): pick it under Styles.`;
  });
}

function createMoodboard(e) {
  return submitLibrary(e, 'moodboard-message', async () => {
    const request = { title: $('moodboard-title').value };
    const ids = [...document.querySelectorAll('#moodboard-assets input:checked')].map((b) => b.value);
    const urls = $('moodboard-urls').value.split('\n').map((u) => u.trim()).filter(Boolean);
    if (ids.length) request.asset_ids = ids;
    if (urls.length) request.image_urls = urls;
    const board = await api('POST', '/moodboards', { json: request });
    await loadMoodboards();
    return `Created moodboard “${board.title}”: pick it under Moodboard.`;
  });
}

start();

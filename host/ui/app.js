// Switchboard admin console. It talks to the admin API and /metrics only,
// on its own origin (the CSP allows nothing else), and writes every value
// it shows as text, never as markup.
'use strict';

const API = '/api/backdoor/llm';
const TOKEN_STORAGE_KEY = 'switchboard.adminToken';

// The admin token: in memory; in localStorage only when "remember" was ticked.
let adminToken = null;
try {
  adminToken = window.localStorage.getItem(TOKEN_STORAGE_KEY);
} catch (e) {
  adminToken = null;
}

const $ = (id) => document.getElementById(id);

class NeedsToken extends Error {}

// One admin call. The token goes in the Authorization header, never in the URL.
async function call(path, body) {
  const headers = {};
  if (adminToken) headers.Authorization = 'Bearer ' + adminToken;
  const init = { method: body === undefined ? 'GET' : 'POST', headers, cache: 'no-store',
                 credentials: 'omit', referrerPolicy: 'no-referrer' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) throw new NeedsToken();
  const text = await response.text();
  if (!response.ok) {
    let message = response.status + ' ' + response.statusText;
    try {
      message = JSON.parse(text).error.message || message;
    } catch (e) { /* not the error shape: keep the status */ }
    throw new Error(message);
  }
  return text;
}

const getJson = async (path) => JSON.parse(await call(path));
const postJson = async (path, body) => JSON.parse(await call(path, body));

function showStatus(message, kind) {
  const status = $('status');
  status.textContent = message;
  status.className = kind || '';
  status.hidden = !message;
}

function askForToken(rejected) {
  $('console').hidden = true;
  $('token-panel').hidden = false;
  showStatus(rejected ? 'The admin token was refused.' : 'This gateway needs its admin token.', 'error');
  $('token-input').focus();
}

// Runs an action; a 401 brings the token form up, other failures a message.
async function guarded(action) {
  try {
    await action();
    return true;
  } catch (e) {
    if (e instanceof NeedsToken) {
      const hadToken = Boolean(adminToken);
      adminToken = null;
      askForToken(hadToken);
    } else {
      showStatus(e.message, 'error');
    }
    return false;
  }
}

// ---- providers ----

function lifecycleText(provider) {
  let text = provider.default_model || '(none)';
  if (provider.default_model_status) text += ' \u2014 ' + provider.default_model_status;
  if (provider.default_model_status && provider.default_model_status !== 'available' &&
      provider.suggested_model)
    text += ' (use ' + provider.suggested_model + ')';
  return text;
}

function renderProviders(list, config) {
  const container = $('providers');
  const template = $('provider-template');
  container.replaceChildren();
  $('active-provider').textContent = list.active_provider || '(none)';
  for (const provider of list.providers) {
    const settings = (config.providers && config.providers[provider.id]) || {};
    const card = template.content.firstElementChild.cloneNode(true);
    card.dataset.provider = provider.id;
    card.querySelector('.provider-name').textContent = provider.name || provider.id;
    card.querySelector('.provider-id').textContent = provider.id;
    const configured = card.querySelector('.configured');
    configured.textContent = provider.configured ? 'configured' : 'not configured';
    configured.classList.add(provider.configured ? 'ok' : 'warn');
    card.querySelector('.active-badge').hidden = !provider.active;
    if (provider.active) card.classList.add('active');
    card.querySelector('.default-model').textContent = lifecycleText(provider);
    card.querySelector('.api-base').textContent = !provider.effective_api_base ? '(none)'
      : provider.effective_api_base + ' (' + (provider.effective_api_base_source || 'default') + ')';
    card.querySelector('.key-hint').textContent = !provider.requires_api_key ? 'not needed'
      : settings.api_key_set ? 'set, ' + (settings.api_key_hint || 'masked') : 'not set';
    card.querySelector('.model').textContent = settings.model || '(none)';

    const form = card.querySelector('form');
    for (const name of ['api_base', 'model']) {
      form.elements[name].value = settings[name] || '';
      form.elements[name].dataset.stored = settings[name] || '';
    }
    form.elements.api_key.placeholder = settings.api_key_set ? 'stored (' + (settings.api_key_hint || 'masked') + ')' : '';
    form.elements.api_key.disabled = !provider.requires_api_key;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      save(provider.id, form);
    });
    card.querySelector('.test').addEventListener('click', () => runTest(provider.id, form, card));
    const activate = card.querySelector('.activate');
    activate.disabled = provider.active;
    activate.addEventListener('click', () => makeActive(provider.id));
    container.append(card);
  }
}

// The form's fields that differ from what is stored: what a save sets and
// what a test tries (over the stored config). A key is sent only when one
// was typed; an emptied field clears the stored value.
function formChanges(id, form) {
  const body = { provider: id };
  const key = form.elements.api_key.value;
  if (key) body.api_key = key;
  for (const name of ['api_base', 'model']) {
    const value = form.elements[name].value.trim();
    if (value !== form.elements[name].dataset.stored) body[name] = value;
  }
  return body;
}

async function save(id, form) {
  const body = formChanges(id, form);
  form.elements.api_key.value = '';  // write-only: the typed key leaves the page now
  if (await guarded(() => postJson(API + '/config', body))) {
    showStatus('Saved ' + id + '; it is now the active provider.', 'ok');
    await refresh();
  }
}

async function makeActive(id) {
  if (await guarded(() => postJson(API + '/config', { provider: id }))) {
    showStatus(id + ' is now the active provider.', 'ok');
    await refresh();
  }
}

function showTestResult(card, result) {
  const box = card.querySelector('.test-result');
  box.replaceChildren();
  box.hidden = false;
  box.className = 'test-result ' + (result.ok ? 'ok' : 'error');
  const line = (label, value) => {
    const p = document.createElement('p');
    const b = document.createElement('b');
    b.textContent = label + ': ';
    p.append(b, String(value));
    p.dataset.field = label;
    box.append(p);
  };
  line('Result', result.ok ? 'ok' : 'failed');
  if (result.model) line('Model', result.model);
  if (result.latency_ms !== undefined) line('Latency', result.latency_ms + ' ms');
  if (result.ok) line('Reply', result.reply);
  if (result.error) {
    line('Type', result.error.type);
    line('Message', result.error.message);
    if (result.error.hint) line('Hint', result.error.hint);
  }
  if (result.warning) line('Warning', result.warning);
}

async function runTest(id, form, card) {
  const box = card.querySelector('.test-result');
  box.hidden = false;
  box.className = 'test-result pending';
  box.textContent = 'Testing ' + id + '\u2026';
  let result = null;
  if (await guarded(async () => { result = await postJson(API + '/test', formChanges(id, form)); }))
    showTestResult(card, result);
  else
    box.hidden = true;
  metrics();
}

// ---- models ----

async function loadModels() {
  const container = $('models');
  container.textContent = 'Loading\u2026';
  await guarded(async () => {
    const doc = await getJson(API + '/models');
    container.replaceChildren();
    for (const entry of doc.providers) {
      const block = document.createElement('div');
      block.className = 'model-list';
      block.dataset.provider = entry.provider;
      const title = document.createElement('h3');
      title.textContent = entry.provider + ' (' + entry.source + ')';
      block.append(title);
      if (entry.live_error) {
        const note = document.createElement('p');
        note.className = 'note';
        note.textContent = 'live list unavailable: ' + entry.live_error;
        block.append(note);
      }
      const ul = document.createElement('ul');
      for (const model of entry.models) {
        const li = document.createElement('li');
        li.textContent = model;
        const notice = entry.lifecycle && entry.lifecycle[model];
        if (notice) li.textContent += ' \u2014 ' + notice.status;
        if (model === entry.default_model) li.classList.add('default');
        ul.append(li);
      }
      block.append(ul);
      container.append(block);
    }
  });
}

// ---- metrics ----

// The sum of every series of `name` in Prometheus text (labels ignored).
function seriesSum(text, name) {
  let total = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) {
      total += value;
      seen = true;
    }
  }
  return seen ? total : null;
}

async function metrics() {
  let text;
  try {
    text = await call('/metrics');
  } catch (e) {
    $('metrics-note').textContent = e instanceof NeedsToken
      ? '/metrics wants its own token (SWITCHBOARD_METRICS_TOKEN); figures unavailable.'
      : 'figures unavailable: ' + e.message;
    return;
  }
  $('metrics-note').textContent = '';
  const show = (id, value) => { $(id).textContent = value === null ? '0' : String(value); };
  show('metric-requests', seriesSum(text, 'switchboard_requests_total'));
  show('metric-errors', seriesSum(text, 'switchboard_errors_total'));
  show('metric-in-flight', seriesSum(text, 'switchboard_requests_in_flight'));
  const sum = seriesSum(text, 'switchboard_upstream_latency_seconds_sum');
  const count = seriesSum(text, 'switchboard_upstream_latency_seconds_count');
  $('metric-latency').textContent = count ? (1000 * sum / count).toFixed(1) + ' ms' : 'no calls yet';
}

// ---- start ----

async function refresh() {
  const ok = await guarded(async () => {
    const [list, config] = await Promise.all([getJson(API + '/providers'), getJson(API + '/config')]);
    renderProviders(list, config);
  });
  if (!ok) return;
  $('token-panel').hidden = true;
  $('console').hidden = false;
  $('forget-token').hidden = !adminToken;
  document.body.dataset.ready = 'true';
  metrics();
}

function start() {
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    adminToken = $('token-input').value;
    $('token-input').value = '';
    try {
      if ($('token-remember').checked) window.localStorage.setItem(TOKEN_STORAGE_KEY, adminToken);
      else window.localStorage.removeItem(TOKEN_STORAGE_KEY);
    } catch (e) { /* storage unavailable: memory only */ }
    showStatus('', '');
    refresh();
  });
  $('forget-token').addEventListener('click', () => {
    adminToken = null;
    try { window.localStorage.removeItem(TOKEN_STORAGE_KEY); } catch (e) { /* nothing stored */ }
    askForToken(false);
  });
  $('models-refresh').addEventListener('click', loadModels);
  refresh();
  window.setInterval(() => { if (!$('console').hidden) metrics(); }, 5000);
}

start();

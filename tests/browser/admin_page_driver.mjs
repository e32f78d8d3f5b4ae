#!/usr/bin/env node
// Drives the daemon's admin page in headless Chromium over the Chrome
// DevTools Protocol (admin_page_test.cpp runs it). No npm package: a small
// WebSocket client (RFC 6455, client side, what CDP needs) over node:net.
//
//   node admin_page_driver.mjs --chromium PATH --url http://127.0.0.1:P/ \
//     --token T --key K --base MOCK_BASE --artifacts DIR --profile DIR
//
// Walks: token prompt -> configure a provider (key, base, model) -> Test
// (ok) -> Test with a missing model (type and hint shown) -> switch the
// active provider. Exits 0 when every check holds; otherwise prints
// "FAIL: ..." and exits 1. Chromium is stopped on every path.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const name of ['chromium', 'url', 'token', 'key', 'base', 'artifacts', 'profile'])
  if (!args[name]) fail('missing --' + name);

function fail(message) {
  throw new Error(message);
}

// ---- WebSocket client ----

class WebSocketClient {
  constructor(socket, rest) {
    this.socket = socket;
    this.buffer = rest;
    this.onmessage = () => {};
    this.fragments = [];
    socket.on('data', (data) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      this.parse();
    });
  }

  static connect(url) {
    const { hostname, port, pathname } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), hostname);
      const key = randomBytes(16).toString('base64');
      let head = Buffer.alloc(0);
      socket.once('error', reject);
      socket.on('connect', () => socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
      const onData = (data) => {
        head = Buffer.concat([head, data]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const response = head.subarray(0, end).toString();
        const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
        if (!/^HTTP\/1\.1 101/.test(response) || !response.includes(accept))
          return reject(new Error('WebSocket handshake refused: ' + response.split('\r\n')[0]));
        resolve(new WebSocketClient(socket, head.subarray(end + 4)));
      };
      socket.on('data', onData);
    });
  }

  send(text) {
    const payload = Buffer.from(text);
    const mask = randomBytes(4);
    let header;
    if (payload.length < 126) {
      header = Buffer.from([0x81, 0x80 | payload.length]);
    } else if (payload.length < 65536) {
      header = Buffer.alloc(4);
      header.writeUInt8(0x81, 0);
      header.writeUInt8(0x80 | 126, 1);
      header.writeUInt16BE(payload.length, 2);
    } else {
      header = Buffer.alloc(10);
      header.writeUInt8(0x81, 0);
      header.writeUInt8(0x80 | 127, 1);
      header.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    for (let i = 0; i < payload.length; ++i) payload[i] ^= mask[i % 4];
    this.socket.write(Buffer.concat([header, mask, payload]));
  }

  parse() {
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      let length = b[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b[1] & 0x80) fail('the server masked a frame');
      if (b.length < offset + length) return;
      const fin = (b[0] & 0x80) !== 0;
      const opcode = b[0] & 0x0f;
      const payload = b.subarray(offset, offset + length);
      this.buffer = b.subarray(offset + length);
      if (opcode === 0x8) { this.socket.end(); return; }
      if (opcode === 0x9) continue;  // pings: Chromium sends none to clients
      if (opcode === 0x1 || opcode === 0x0) {
        this.fragments.push(Buffer.from(payload));
        if (fin) {
          const text = Buffer.concat(this.fragments).toString();
          this.fragments = [];
          this.onmessage(text);
        }
      }
    }
  }

  close() {
    this.socket.destroy();
  }
}

// ---- CDP ----

class Cdp {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = [];
    ws.onmessage = (text) => {
      const message = JSON.parse(text);
      if (message.id && this.pending.has(message.id)) {
        const { resolve, reject, method } = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) reject(new Error(method + ': ' + message.error.message));
        else resolve(message.result);
      } else if (message.method) {
        for (const listener of this.listeners) listener(message);
      }
    };
  }

  send(method, params = {}, sessionId = undefined) {
    const id = this.nextId++;
    const message = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify(message));
    });
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Starts Chromium on loopback with an OS-chosen debugging port; resolves
// with the process and the browser's WebSocket URL.
function startChromium() {
  const flags = [
    '--headless=new', '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
    '--user-data-dir=' + args.profile, '--no-first-run', '--no-default-browser-check',
    '--disable-gpu', '--disable-dev-shm-usage', '--disable-extensions', '--disable-sync',
    '--disable-background-networking', '--disable-component-update', '--disable-default-apps',
    '--metrics-recording-only', '--mute-audio', '--window-size=1100,1400', 'about:blank',
  ];
  // Chromium refuses to run as root with its sandbox on (CI containers run
  // as root); the sandbox stays on for everyone else.
  if (process.getuid && process.getuid() === 0) flags.unshift('--no-sandbox');
  const child = spawn(args.chromium, flags, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error('Chromium gave no DevTools URL in 30 s:\n' + err)), 30000);
    child.on('exit', (code) => reject(new Error('Chromium exited (' + code + ') before listening:\n' + err)));
    child.stderr.on('data', (data) => {
      err += data;
      const match = /DevTools listening on (ws:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(err);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    });
  });
}

// ---- the walk ----

let chromium = null;
let cdp = null;
let session = null;
const requests = [];   // {url, headers}
const responses = [];  // {url, headers}
const problems = [];   // console errors, CSP violations, exceptions

const page = (method, params) => cdp.send(method, params, session);

async function evaluate(expression) {
  const result = await page('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
  if (result.exceptionDetails) fail('page script failed: ' + expression + ': ' + result.exceptionDetails.text +
                                    ' ' + (result.exceptionDetails.exception?.description || ''));
  return result.result.value;
}

// Polls `expression` until it is truthy; an expression that throws (an
// element not there yet) counts as not yet.
async function waitFor(expression, what, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await evaluate(`(() => { try { return (${expression}); } catch (e) { return false; } })()`);
    if (value) return value;
    if (Date.now() > deadline) {
      await screenshot('failure');
      fail('timed out waiting for ' + what + '; page text:\n' + await evaluate('document.body.innerText') +
           (problems.length ? '\nthe page logged:\n  ' + problems.join('\n  ') : ''));
    }
    await sleep(100);
  }
}

async function screenshot(name) {
  const { data } = await page('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
  writeFileSync(join(args.artifacts, name + '.png'), Buffer.from(data, 'base64'));
}

// Types into the element `selector` as a user would: focus, then keystrokes.
async function type(selector, text) {
  await evaluate(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
                           e.focus(); e.select(); return true; })()`);
  await page('Input.dispatchKeyEvent', { type: 'keyDown', key: 'Backspace', code: 'Backspace', windowsVirtualKeyCode: 8 });
  await page('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Backspace', code: 'Backspace', windowsVirtualKeyCode: 8 });
  if (text) await page('Input.insertText', { text });
}

async function click(selector) {
  const ok = await evaluate(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
                                      if (!e || e.disabled) return false; e.click(); return true; })()`);
  if (!ok) fail('cannot click ' + selector);
}

const card = (id) => `#providers article[data-provider="${id}"]`;
const resultField = (id, field) =>
  `document.querySelector('${card(id)} .test-result [data-field="${field}"]')?.textContent || ''`;

async function walk() {
  const started = await startChromium();
  chromium = started.child;
  cdp = new Cdp(await WebSocketClient.connect(started.url));
  cdp.listeners.push((m) => {
    if (m.method === 'Network.requestWillBeSent')
      requests.push({ url: m.params.request.url, headers: m.params.request.headers });
    else if (m.method === 'Network.responseReceived')
      responses.push({ url: m.params.response.url, headers: m.params.response.headers });
    // The 401 that brings the token prompt up is expected; so is the
    // browser's own favicon probe (the daemon has none: a 404).
    else if (m.method === 'Log.entryAdded' && ['error', 'warning'].includes(m.params.entry.level) &&
             !/status of 401/.test(m.params.entry.text) && !/\/favicon\.ico$/.test(m.params.entry.url || ''))
      problems.push('log: ' + m.params.entry.text);
    else if (m.method === 'Runtime.exceptionThrown')
      problems.push('exception: ' + m.params.exceptionDetails.text + ' ' +
                    (m.params.exceptionDetails.exception?.description || ''));
    else if (m.method === 'Runtime.consoleAPICalled' && m.params.type === 'error')
      problems.push('console: ' + m.params.args.map((a) => a.value ?? a.description).join(' '));
  });
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
  ({ sessionId: session } = await cdp.send('Target.attachToTarget', { targetId, flatten: true }));
  for (const domain of ['Network', 'Page', 'Runtime', 'Log']) await page(domain + '.enable');

  // The token prompt: the API answered 401.
  await page('Page.navigate', { url: args.url });
  await waitFor(`location.href === ${JSON.stringify(args.url)} && document.readyState === 'complete'`, 'the page');
  await waitFor(`!document.getElementById('token-panel').hidden`, 'the token prompt');
  await screenshot('01-token-prompt');
  await type('#token-input', args.token);
  await click('#token-form button[type=submit]');
  await waitFor(`document.body.dataset.ready === 'true'`, 'the console after the token');
  await waitFor(`document.querySelectorAll('#providers article').length >= 2`, 'two provider cards');
  await screenshot('02-console');

  // Configure openai: key, base at the mock, model; saving makes it active.
  await type(`${card('openai')} input[name=api_key]`, args.key);
  await type(`${card('openai')} input[name=api_base]`, args.base);
  await type(`${card('openai')} input[name=model]`, 'gpt-4o-mini');
  await click(`${card('openai')} button.save`);
  const hint = '...' + args.key.slice(-4);
  await waitFor(`document.querySelector('${card('openai')} .key-hint')?.textContent.includes(${JSON.stringify(hint)})`,
                'the masked key hint after saving');
  await waitFor(`document.getElementById('active-provider').textContent === 'openai'`, 'openai active after saving');
  const facts = await evaluate(`document.querySelector('${card('openai')}').innerText`);
  if (!facts.includes(args.base)) fail('the card does not show the effective API base: ' + facts);
  if (!facts.includes('gpt-4o-mini')) fail('the card does not show the model: ' + facts);
  if (!/\bconfigured\b/.test(facts) || /not configured/.test(facts)) fail('openai not shown configured: ' + facts);
  await screenshot('03-configured');
  const keyVisible = await evaluate(`document.documentElement.outerHTML.includes(${JSON.stringify(args.key)}) ||
      [...document.querySelectorAll('input')].some((i) => i.value.includes(${JSON.stringify(args.key)})) ||
      document.body.innerText.includes(${JSON.stringify(args.key)})`);
  if (keyVisible) fail('the API key is in the page after saving');

  // Test: success.
  await click(`${card('openai')} button.test`);
  await waitFor(`document.querySelector('${card('openai')} .test-result.ok, ${card('openai')} .test-result.error')`,
                'the test result');
  const okResult = await evaluate(resultField('openai', 'Result'));
  const reply = await evaluate(resultField('openai', 'Reply'));
  if (!okResult.endsWith('ok') || !reply.endsWith('pong'))
    fail('the test did not show success: ' + await evaluate(`document.querySelector('${card('openai')} .test-result').innerText`));
  await screenshot('04-test-ok');

  // Test, failing: a model the vendor does not know; the type and hint show.
  await type(`${card('openai')} input[name=model]`, 'missing-model');
  await click(`${card('openai')} button.test`);
  await waitFor(`document.querySelector('${card('openai')} .test-result.error')`, 'the failed test result');
  const type_ = await evaluate(resultField('openai', 'Type'));
  const hintText = await evaluate(resultField('openai', 'Hint'));
  if (!type_.endsWith('model_not_found')) fail('failed test type: ' + type_);
  if (hintText.length <= 'Hint: '.length) fail('the failed test shows no hint');
  await screenshot('05-test-failed');

  // Switch the active provider to custom.
  await click(`${card('custom')} button.activate`);
  await waitFor(`document.getElementById('active-provider').textContent === 'custom' &&
                 document.querySelector('${card('custom')}').classList.contains('active') &&
                 !document.querySelector('${card('custom')} .active-badge').hidden &&
                 !document.querySelector('${card('openai')}').classList.contains('active')`,
                'custom shown active');
  const config = await (await fetch(new URL('/api/backdoor/llm/config', args.url),
                                    { headers: { Authorization: 'Bearer ' + args.token } })).json();
  if (config.provider !== 'custom') fail('GET /config says the active provider is ' + config.provider);
  // The saved model, not the one only tried.
  if (config.providers?.openai?.model !== 'gpt-4o-mini') fail('openai model is ' + config.providers?.openai?.model);

  // Models and live figures.
  await click('#models-refresh');
  await waitFor(`document.querySelector('#models .model-list[data-provider="openai"]')`, 'the model lists');
  await evaluate('metrics().then(() => true)');
  const requestCount = Number(await evaluate(`document.getElementById('metric-requests').textContent`));
  if (!(requestCount > 0)) fail('live figures show no requests');
  await screenshot('06-switched');

  // What crossed the wire.
  const secrets = [args.token, encodeURIComponent(args.token), args.key, encodeURIComponent(args.key)];
  for (const r of requests) {
    if (secrets.some((s) => r.url.includes(s))) fail('a request carries a secret in its URL: ' + r.url.split('?')[0]);
    const apiCall = new URL(r.url).pathname.startsWith('/api/backdoor/');
    const auth = Object.entries(r.headers).find(([k]) => k.toLowerCase() === 'authorization');
    if (apiCall && auth && auth[1] !== 'Bearer ' + args.token) fail('unexpected Authorization on ' + r.url);
  }
  if (!requests.some((r) => new URL(r.url).pathname.startsWith('/api/backdoor/') &&
                            Object.keys(r.headers).some((k) => k.toLowerCase() === 'authorization')))
    fail('no admin call carried the token as a bearer header');
  const documentResponse = responses.find((r) => r.url === args.url);
  if (!documentResponse) fail('no response seen for the page itself');
  const csp = Object.entries(documentResponse.headers).find(([k]) => k.toLowerCase() === 'content-security-policy');
  if (!csp || !csp[1].includes("default-src 'none'")) fail('the page came without its CSP');
  if (await evaluate('window.localStorage.length') !== 0) fail('the token was stored without "remember"');
  if (problems.length) fail('the page logged problems:\n  ' + problems.join('\n  '));
  console.log(`ok: ${requests.length} requests seen, ${requestCount} counted by /metrics`);
}

async function stopChromium() {
  if (!chromium || chromium.exitCode !== null) return;
  const exited = new Promise((resolve) => chromium.once('exit', resolve));
  try {
    if (cdp) await Promise.race([cdp.send('Browser.close'), sleep(3000)]);
  } catch (e) { /* closing anyway */ }
  await Promise.race([exited, sleep(5000)]);
  if (chromium.exitCode === null) chromium.kill('SIGKILL');
}

let status = 0;
try {
  await walk();
} catch (e) {
  console.log('FAIL: ' + e.message);
  status = 1;
}
await stopChromium();
cdp?.ws.close();
process.exit(status);

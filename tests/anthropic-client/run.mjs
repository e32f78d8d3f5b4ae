// Drives the daemon's POST /v1/messages with the official @anthropic-ai/sdk
// client (and, in --mode vercel, the Vercel AI SDK's @ai-sdk/anthropic) and
// prints ONE line of JSON describing what the client saw; the C++ driver
// (tests/integration/anthropic_client_test.cpp) starts the mock vendor and the
// daemon and asserts on that line. Exits 2 on bad usage, 3 when a client
// package is missing, 1 on any unexpected failure (the message says which
// step failed and why), 0 otherwise.
//
//   node run.mjs --base http://127.0.0.1:PORT --key CLIENT_KEY --provider ID
//                --model MODEL --mode text|tools|stream-error|vercel [--timeout-ms N]
//
//   text    messages.create and messages.stream (text), and the errors for a
//           wrong x-api-key (401), <id>/missing-model (404) and a request
//           without max_tokens (400); count_tokens (the anthropic provider's
//           answer, passed through; 501 from any other); the key sent as
//           Authorization: Bearer instead of x-api-key
//   tools   messages.create with a tool, and messages.stream with a tool and
//           thinking (the final message the stream helper accumulates)
//   stream-error  messages.stream of a stream the vendor breaks off with an
//           error: the text before it and the error the client raises
//   vercel  streamText with @ai-sdk/anthropic and one tool (no execute): the
//           tool call, finish reason and usage the SDK reports
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

function fail(code, message) {
  process.stderr.write(`run.mjs: ${message}\n`);
  process.exit(code);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      base: { type: 'string' },
      key: { type: 'string' },
      provider: { type: 'string' },
      model: { type: 'string' },
      mode: { type: 'string', default: 'text' },
      'timeout-ms': { type: 'string', default: '20000' },
    },
    strict: true,
  }));
} catch (e) {
  fail(2, `bad arguments: ${e.message}`);
}
for (const k of ['base', 'key', 'provider', 'model'])
  if (!args[k]) fail(2, `--${k} is required`);
if (!['text', 'tools', 'stream-error', 'vercel'].includes(args.mode)) fail(2, `unknown --mode ${args.mode}`);

let Anthropic;
try {
  ({ default: Anthropic } = await import('@anthropic-ai/sdk'));
} catch (e) {
  fail(3, `cannot load '@anthropic-ai/sdk' (${e.code ?? e.message}); run: npm ci --prefix tests/anthropic-client --no-audit --no-fund`);
}

const timeout = Number(args['timeout-ms']);
const client = new Anthropic({ baseURL: args.base, apiKey: args.key, maxRetries: 0, timeout });
const model = `${args.provider}/${args.model}`;
const messages = [{ role: 'user', content: 'Say hello.' }];
const tools = [
  {
    name: 'get_weather',
    description: 'Current weather for a location',
    input_schema: {
      type: 'object',
      properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['location'],
    },
  },
];

async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    const detail = e instanceof Anthropic.APIError
      ? `${e.constructor.name} status=${e.status} body=${JSON.stringify(e.error)}`
      : (e && e.stack) || String(e);
    fail(1, `step '${name}' failed: ${detail}`);
  }
}

async function expectError(fn) {
  try {
    const r = await fn();
    return { raised: false, result: JSON.stringify(r).slice(0, 500) };
  } catch (e) {
    if (!(e instanceof Anthropic.APIError)) return { raised: true, api_error: false, class: e?.constructor?.name, message: String(e) };
    const classes = ['BadRequestError', 'AuthenticationError', 'PermissionDeniedError', 'NotFoundError',
      'RateLimitError', 'InternalServerError'];
    return {
      raised: true,
      api_error: true,
      class: classes.find((c) => e instanceof Anthropic[c]) ?? e.constructor.name,
      status: e.status ?? null,
      type: e.error?.type ?? null,
      error_type: e.error?.error?.type ?? null,
      message: e.error?.error?.message ?? e.message,
    };
  }
}

// What a message says: its text, thinking, tool calls, stop reason and usage.
function describe(m) {
  const blocks = m.content ?? [];
  return {
    id: m.id,
    type: m.type,
    role: m.role,
    model: m.model,
    block_types: blocks.map((b) => b.type),
    text: blocks.filter((b) => b.type === 'text').map((b) => b.text).join(''),
    thinking: blocks.filter((b) => b.type === 'thinking').map((b) => b.thinking).join(''),
    signatures: blocks.filter((b) => b.type === 'thinking').map((b) => b.signature),
    tool_calls: blocks.filter((b) => b.type === 'tool_use')
      .map((b) => ({ id: b.id, type: 'function', name: b.name, arguments: JSON.stringify(b.input) })),
    stop_reason: m.stop_reason,
    usage: m.usage,
  };
}

let versions = {};
for (const p of ['@anthropic-ai/sdk', 'ai', '@ai-sdk/anthropic']) {
  try {
    versions[p] = JSON.parse(readFileSync(new URL(`./node_modules/${p}/package.json`, import.meta.url))).version;
  } catch { versions[p] = null; }
}
const out = { provider: args.provider, model, mode: args.mode, versions };

if (args.mode === 'text') {
  out.plain = await step('messages.create', async () => {
    const { data, response } = await client.messages.create({ model, max_tokens: 256, messages }).withResponse();
    return { ...describe(data), provider_header: response.headers.get('x-switchboard-provider') };
  });
  out.stream = await step('messages.stream', async () => {
    const stream = client.messages.stream({ model, max_tokens: 256, messages, system: 'Be brief.' });
    const events = [];
    let deltas = '';
    stream.on('streamEvent', (e) => events.push(e.type));
    stream.on('text', (t) => { deltas += t; });
    const final = await stream.finalMessage();
    return { ...describe(final), events, deltas };
  });
  out.bearer = await step('messages.create with Authorization: Bearer', async () => {
    const bearer = new Anthropic({ baseURL: args.base, apiKey: null, authToken: args.key, maxRetries: 0, timeout });
    return describe(await bearer.messages.create({ model, max_tokens: 256, messages }));
  });
  const wrong = new Anthropic({ baseURL: args.base, apiKey: `${args.key}-wrong`, maxRetries: 0, timeout });
  out.errors = {
    bad_key: await expectError(() => wrong.messages.create({ model, max_tokens: 16, messages })),
    missing_model: await expectError(() => client.messages.create({ model: `${args.provider}/missing-model`, max_tokens: 16, messages })),
    no_max_tokens: await expectError(() => client.messages.create({ model, messages })),
    count_tokens: await expectError(() => client.messages.countTokens({ model, messages })),
  };
} else if (args.mode === 'tools') {
  const ask = [{ role: 'user', content: 'What is the weather in San Francisco?' }];
  out.plain = await step('messages.create with tools', async () =>
    describe(await client.messages.create({ model, max_tokens: 4096, messages: ask, tools })));
  out.stream = await step('messages.stream with tools and thinking', async () => {
    const stream = client.messages.stream({
      model, max_tokens: 4096, messages: ask, tools, thinking: { type: 'enabled', budget_tokens: 2048 },
    });
    const jsonDeltas = [];
    stream.on('inputJson', (partial) => jsonDeltas.push(partial));
    const final = await stream.finalMessage();
    return { ...describe(final), input_json_deltas: jsonDeltas.length };
  });
} else if (args.mode === 'stream-error') {
  const stream = client.messages.stream({ model, max_tokens: 64, messages });
  let text = '';
  stream.on('text', (t) => { text += t; });
  try {
    await stream.finalMessage();
    out.stream_error = { raised: false, text };
  } catch (e) {
    out.stream_error = {
      raised: true,
      text,
      class: e?.constructor?.name ?? null,
      error_type: e?.error?.error?.type ?? null,
      message: e?.error?.error?.message ?? String(e?.message ?? e),
    };
  }
} else {
  let streamText, jsonSchema, tool, createAnthropic;
  try {
    ({ streamText, jsonSchema, tool } = await import('ai'));
    ({ createAnthropic } = await import('@ai-sdk/anthropic'));
  } catch (e) {
    fail(3, `cannot load 'ai' / '@ai-sdk/anthropic' (${e.code ?? e.message}); run: npm ci --prefix tests/anthropic-client --no-audit --no-fund`);
  }
  out.vercel = await step('streamText', async () => {
    const anthropic = createAnthropic({ baseURL: `${args.base}/v1`, apiKey: args.key });
    const result = streamText({
      model: anthropic(model),
      prompt: 'What is the weather in San Francisco?',
      maxOutputTokens: 512,
      maxRetries: 0,
      tools: {
        get_weather: tool({
          description: 'Current weather for a location',
          inputSchema: jsonSchema(tools[0].input_schema),
        }),
      },
    });
    let text = '';
    const errors = [];
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') text += part.text ?? part.delta ?? '';
      if (part.type === 'error') errors.push(String(part.error?.message ?? part.error));
    }
    const calls = await result.toolCalls;
    return {
      text,
      errors,
      finish_reason: await result.finishReason,
      usage: await result.usage,
      tool_calls: calls.map((c) => ({ id: c.toolCallId, type: 'function', name: c.toolName, arguments: JSON.stringify(c.input) })),
    };
  });
}

process.stdout.write(`${JSON.stringify(out)}\n`);

// Drives the daemon's OpenAI-compatible API with the official `openai` npm
// client and prints ONE line of JSON describing what the client saw; the C++
// driver (tests/integration/openai_client_test.cpp) starts the mocks and the
// daemon and asserts on that line. Exits 2 on bad usage, 3 when the client
// package is missing, 1 on any unexpected failure (the message says which
// step failed and why), 0 otherwise.
//
//   node run.mjs --base http://127.0.0.1:PORT/v1 --provider ID --model MODEL
//                --mode chat|tools|badkey [--tool-stream] [--timeout-ms N]
//
//   chat    plain chat, streaming chat (stream_options.include_usage), the
//           models list, and the error classes for <id>/missing-model (404),
//           <id>/ratelimited-model (429) and nope/x (400)
//   tools   a plain tool-call completion (and, with --tool-stream, a streamed
//           one accumulated by the client's ChatCompletionStream helper)
//   badkey  a chat completion the vendor rejects (the daemon was started with
//           a bad key): 401 AuthenticationError
//   embeddings  embeddings.create for --inputs N texts ("text <i>") as
//           "float", as "base64" (decoded here from little-endian float32),
//           and with the client's default (it asks for base64 and decodes
//           itself); and <id>/missing-model (404)
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
      provider: { type: 'string' },
      model: { type: 'string' },
      mode: { type: 'string', default: 'chat' },
      'tool-stream': { type: 'boolean', default: false },
      'timeout-ms': { type: 'string', default: '20000' },
      inputs: { type: 'string', default: '3' },
    },
    strict: true,
  }));
} catch (e) {
  fail(2, `bad arguments: ${e.message}`);
}
for (const k of ['base', 'provider', 'model'])
  if (!args[k]) fail(2, `--${k} is required`);
if (!['chat', 'tools', 'badkey', 'embeddings'].includes(args.mode)) fail(2, `unknown --mode ${args.mode}`);

let OpenAI;
try {
  ({ default: OpenAI } = await import('openai'));
} catch (e) {
  fail(3, `cannot load the 'openai' package (${e.code ?? e.message}); run: npm ci --prefix tests/openai-client --no-audit --no-fund`);
}

const client = new OpenAI({
  baseURL: args.base,
  apiKey: 'sk-client-side-unused',
  maxRetries: 0, // 429/5xx must reach the test, not be retried
  timeout: Number(args['timeout-ms']),
});
const model = `${args.provider}/${args.model}`;
const messages = [{ role: 'user', content: 'Say hello.' }];
const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a location',
      parameters: {
        type: 'object',
        properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
        required: ['location'],
      },
    },
  },
];

// Runs one step; an exception the step did not expect aborts the script
// with the step's name.
async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    const detail = e instanceof OpenAI.APIError
      ? `${e.constructor.name} status=${e.status} message=${e.message} body=${JSON.stringify(e.error)}` +
        (e.cause ? ` cause=${e.cause.stack ?? e.cause}` : '')
      : (e && e.stack) || String(e);
    fail(1, `step '${name}' failed: ${detail}`);
  }
}

// What an error the client raised looks like.
function describeError(e) {
  if (!(e instanceof OpenAI.APIError)) return { api_error: false, class: e?.constructor?.name ?? typeof e, message: String(e) };
  const classes = ['BadRequestError', 'AuthenticationError', 'PermissionDeniedError', 'NotFoundError',
    'ConflictError', 'UnprocessableEntityError', 'RateLimitError', 'InternalServerError'];
  return {
    api_error: true,
    class: classes.find((c) => e instanceof OpenAI[c]) ?? e.constructor.name,
    status: e.status ?? null,
    type: e.type ?? null,
    code: e.code ?? null,
    param: e.param ?? null,
    message: e.error?.message ?? e.message,
    provider_header: e.headers?.get?.('x-switchboard-provider') ?? null,
  };
}

async function expectError(name, fn) {
  try {
    const r = await fn();
    return { raised: false, result: JSON.stringify(r).slice(0, 500), name };
  } catch (e) {
    return { raised: true, ...describeError(e) };
  }
}

function toolCallsOf(message) {
  return (message?.tool_calls ?? []).map((tc) => {
    let parsed = null;
    let parse_error = null;
    try {
      parsed = JSON.parse(tc.function?.arguments ?? '');
    } catch (e) {
      parse_error = e.message;
    }
    return {
      id: tc.id ?? null,
      type: tc.type ?? null,
      name: tc.function?.name ?? null,
      arguments: tc.function?.arguments ?? null,
      arguments_json: parsed,
      arguments_parse_error: parse_error,
    };
  });
}

let clientVersion = null;
try {
  clientVersion = JSON.parse(readFileSync(new URL('./node_modules/openai/package.json', import.meta.url))).version;
} catch { /* reported as null */ }
const out = { provider: args.provider, model, mode: args.mode, client_version: clientVersion };

if (args.mode === 'chat') {
  out.plain = await step('plain chat', async () => {
    const { data: c, response } = await client.chat.completions.create({ model, messages }).withResponse();
    return {
      object: c.object,
      id: c.id,
      model: c.model,
      content: c.choices?.[0]?.message?.content ?? null,
      role: c.choices?.[0]?.message?.role ?? null,
      finish_reason: c.choices?.[0]?.finish_reason ?? null,
      choices: c.choices?.length ?? 0,
      usage: c.usage ?? null,
      provider_header: response.headers.get('x-switchboard-provider'),
    };
  });

  out.stream = await step('streaming chat', async () => {
    const stream = await client.chat.completions.create({
      model, messages, stream: true, stream_options: { include_usage: true },
    });
    const s = { chunks: 0, content: '', finish_reasons: [], usage: null, usage_chunks: 0,
      usage_chunk_choices: null, objects: [], ids: [], role: null, after_usage: 0 };
    for await (const chunk of stream) {
      s.chunks += 1;
      if (!s.objects.includes(chunk.object)) s.objects.push(chunk.object);
      if (!s.ids.includes(chunk.id)) s.ids.push(chunk.id);
      if (s.usage_chunks > 0) s.after_usage += 1;
      for (const choice of chunk.choices ?? []) {
        if (choice.delta?.role) s.role = choice.delta.role;
        if (typeof choice.delta?.content === 'string') s.content += choice.delta.content;
        if (choice.finish_reason) s.finish_reasons.push(choice.finish_reason);
      }
      if (chunk.usage) {
        s.usage_chunks += 1;
        s.usage = chunk.usage;
        s.usage_chunk_choices = chunk.choices?.length ?? null;
      }
    }
    return s;
  });

  out.models = await step('models list', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    return ids;
  });

  out.errors = {
    missing_model: await expectError('missing model', () =>
      client.chat.completions.create({ model: `${args.provider}/missing-model`, messages })),
    rate_limited: await expectError('rate limited', () =>
      client.chat.completions.create({ model: `${args.provider}/ratelimited-model`, messages })),
    unknown_provider: await expectError('unknown provider', () =>
      client.chat.completions.create({ model: 'nope/x', messages })),
    missing_model_stream: await expectError('missing model (stream)', async () => {
      const stream = await client.chat.completions.create({
        model: `${args.provider}/missing-model`, messages, stream: true });
      for await (const _ of stream) { /* drain */ }
      return 'stream completed';
    }),
  };
} else if (args.mode === 'tools') {
  out.plain = await step('plain tool call', async () => {
    const c = await client.chat.completions.create({ model, messages, tools, tool_choice: 'auto' });
    return {
      finish_reason: c.choices?.[0]?.finish_reason ?? null,
      content: c.choices?.[0]?.message?.content ?? null,
      tool_calls: toolCallsOf(c.choices?.[0]?.message),
    };
  });
  if (args['tool-stream']) {
    out.stream = await step('streaming tool call', async () => {
      const runner = client.chat.completions.stream({
        model, messages, tools, tool_choice: 'auto', stream_options: { include_usage: true },
      });
      let chunks = 0;
      let usage = null;
      let finish_reason = null;
      for await (const chunk of runner) {
        chunks += 1;
        if (chunk.usage) usage = chunk.usage;
        for (const choice of chunk.choices ?? []) if (choice.finish_reason) finish_reason = choice.finish_reason;
      }
      const final = await runner.finalChatCompletion();
      return {
        chunks,
        usage,
        finish_reason,
        final_finish_reason: final.choices?.[0]?.finish_reason ?? null,
        content: final.choices?.[0]?.message?.content ?? null,
        tool_calls: toolCallsOf(final.choices?.[0]?.message),
      };
    });
  }
} else if (args.mode === 'embeddings') {
  const input = Array.from({ length: Number(args.inputs) }, (_, i) => `text ${i}`);
  const floatsOfBase64 = (text) => {
    const bytes = Buffer.from(text, 'base64');
    const floats = [];
    for (let i = 0; i + 4 <= bytes.length; i += 4) floats.push(bytes.readFloatLE(i));
    return floats;
  };
  const vectorsOf = (r, decode) => ({
    object: r.object,
    model: r.model,
    usage: r.usage,
    indexes: r.data.map((d) => d.index),
    vectors: r.data.map((d) => (decode ? floatsOfBase64(d.embedding) : d.embedding)),
  });
  out.float = await step('embeddings (float)', async () =>
    vectorsOf(await client.embeddings.create({ model, input, encoding_format: 'float' }), false));
  out.base64 = await step('embeddings (base64)', async () =>
    vectorsOf(await client.embeddings.create({ model, input, encoding_format: 'base64' }), true));
  out.client_default = await step('embeddings (client default)', async () =>
    vectorsOf(await client.embeddings.create({ model, input }), false));
  out.errors = {
    missing_model: await expectError('missing model', () =>
      client.embeddings.create({ model: `${args.provider}/missing-model`, input: 'x' })),
  };
} else {
  out.errors = {
    bad_key: await expectError('bad key', () => client.chat.completions.create({ model, messages })),
    bad_key_stream: await expectError('bad key (stream)', async () => {
      const stream = await client.chat.completions.create({ model, messages, stream: true });
      for await (const _ of stream) { /* drain */ }
      return 'stream completed';
    }),
  };
}

process.stdout.write(JSON.stringify(out) + '\n');

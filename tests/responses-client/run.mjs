// Drives the daemon's POST /v1/responses with real clients and prints ONE
// line of JSON describing what each saw; the C++ driver
// (tests/integration/responses_client_test.cpp) starts the mock vendor and
// the daemon and asserts on that line. Exits 2 on bad usage, 3 when a client
// package is missing, 1 on any unexpected failure (the message says which
// step failed and why), 0 otherwise.
//
//   node run.mjs --base http://127.0.0.1:PORT/v1 --model PROVIDER/MODEL
//                --mode text|tools|ai [--tool-name NAME] [--timeout-ms N]
//
//   text   openai: responses.create and responses.stream of a plain answer,
//          and the 400 for previous_response_id
//   tools  openai: responses.create and responses.stream with a function tool
//   ai     the Vercel AI SDK (`ai` + @ai-sdk/openai's responses model):
//          streamText with a function tool, no execute (named --tool-name:
//          the name the mock vendor's fixture calls, so the SDK knows it)
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
      model: { type: 'string' },
      mode: { type: 'string', default: 'text' },
      'tool-name': { type: 'string', default: 'get_weather' },
      'timeout-ms': { type: 'string', default: '20000' },
    },
    strict: true,
  }));
} catch (e) {
  fail(2, `bad arguments: ${e.message}`);
}
for (const k of ['base', 'model']) if (!args[k]) fail(2, `--${k} is required`);
if (!['text', 'tools', 'ai'].includes(args.mode)) fail(2, `unknown --mode ${args.mode}`);

const install = 'run: npm ci --prefix tests/responses-client --no-audit --no-fund';
async function load(name) {
  try {
    return await import(name);
  } catch (e) {
    fail(3, `cannot load the '${name}' package (${e.code ?? e.message}); ${install}`);
  }
}

const timeout = Number(args['timeout-ms']);
const model = args.model;
const weatherSchema = {
  type: 'object',
  properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
  required: ['location'],
};

async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    fail(1, `${name} failed: ${e?.constructor?.name ?? 'Error'}: ${e?.message ?? e}`);
  }
}

// A response object as the test compares it: status, text, calls, usage.
function summary(r) {
  return {
    id: r.id,
    object: r.object,
    status: r.status,
    model: r.model,
    store: r.store,
    output_text: r.output_text,
    output_types: (r.output ?? []).map((o) => o.type),
    reasoning: (r.output ?? [])
      .filter((o) => o.type === 'reasoning')
      .map((o) => (o.summary ?? []).map((s) => s.text).join('')),
    function_calls: (r.output ?? [])
      .filter((o) => o.type === 'function_call')
      .map((o) => ({ id: o.id, call_id: o.call_id, name: o.name, arguments: o.arguments, status: o.status })),
    usage: r.usage,
  };
}

// Events in order, with what the test checks of each.
function eventDigest(events) {
  const types = [];
  for (const e of events) if (types[types.length - 1] !== e.type) types.push(e.type);
  const seqs = events.map((e) => e.sequence_number);
  return {
    types,
    count: events.length,
    sequence_rising: seqs.every((s, i) => s === i),
    text_deltas: events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join(''),
    argument_deltas: events
      .filter((e) => e.type === 'response.function_call_arguments.delta')
      .map((e) => e.delta)
      .join(''),
    reasoning_deltas: events
      .filter((e) => e.type === 'response.reasoning_summary_text.delta')
      .map((e) => e.delta)
      .join(''),
  };
}

const out = { mode: args.mode };

if (args.mode === 'text' || args.mode === 'tools') {
  const { default: OpenAI } = await load('openai');
  const client = new OpenAI({ baseURL: args.base, apiKey: 'sk-client-side-unused', maxRetries: 0, timeout });
  const request =
    args.mode === 'tools'
      ? {
          model,
          instructions: 'Use the tools.',
          input: [{ role: 'user', content: 'What is the weather in San Francisco?' }],
          tools: [
            {
              type: 'function',
              name: 'get_weather',
              description: 'Current weather for a location',
              parameters: weatherSchema,
              strict: false,
            },
          ],
          tool_choice: 'auto',
          metadata: { suite: 'responses-client' },
        }
      : { model, input: 'Say hello.', max_output_tokens: 200, metadata: { suite: 'responses-client' } };

  out.plain = await step('responses.create', async () => summary(await client.responses.create(request)));
  out.stream = await step('responses.stream', async () => {
    const stream = client.responses.stream(request);
    const events = [];
    for await (const event of stream) events.push(event);
    const final = await stream.finalResponse();
    return { ...summary(final), events: eventDigest(events), metadata: final.metadata };
  });
  if (args.mode === 'text') {
    out.stateful = await step('previous_response_id', async () => {
      try {
        await client.responses.create({ model, input: 'again', previous_response_id: 'resp_123' });
        return { raised: false };
      } catch (e) {
        return { raised: true, class: e?.constructor?.name, status: e?.status, param: e?.param, code: e?.code, type: e?.type };
      }
    });
  }
} else {
  const { streamText, tool, jsonSchema } = await load('ai');
  const { createOpenAI } = await load('@ai-sdk/openai');
  const provider = createOpenAI({ baseURL: args.base, apiKey: 'sk-client-side-unused' });
  out.ai = await step('streamText', async () => {
    const errors = [];
    const parts = [];
    const result = streamText({
      model: provider.responses(model),
      prompt: 'What is the weather in San Francisco?',
      tools: { [args['tool-name']]: tool({ description: 'Current weather for a location', inputSchema: jsonSchema(weatherSchema) }) },
      maxRetries: 0,
      abortSignal: AbortSignal.timeout(timeout),
      onError: ({ error }) => errors.push(String(error?.message ?? error)),
    });
    for await (const part of result.fullStream) {
      if (parts[parts.length - 1] !== part.type) parts.push(part.type);
      if (part.type === 'error') errors.push(String(part.error?.message ?? part.error));
    }
    const calls = await result.toolCalls;
    const usage = await result.usage;
    return {
      text: await result.text,
      reasoning: await result.reasoningText,
      finish_reason: await result.finishReason,
      tool_calls: calls.map((c) => ({ id: c.toolCallId, name: c.toolName, input: c.input })),
      usage: { input: usage.inputTokens, output: usage.outputTokens, total: usage.totalTokens },
      parts,
      errors,
    };
  });
}

process.stdout.write(JSON.stringify(out) + '\n');

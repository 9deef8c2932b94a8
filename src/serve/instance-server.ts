import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  BadRequestError,
  BodyTooLargeError,
  HASH_BLOCK_TOKENS,
  parseRequestBody,
  PROMETHEUS_CONTENT_TYPE,
  readBody,
  sendError,
  sendJson,
  SSE_DONE,
  SSE_HEADERS,
  sseData,
  type ApiKind,
} from '../llm-http/index.js';
import type { ServedRequest } from '../serving/index.js';
import { CompletionBody } from './completion-body.js';
import type { ServedInstance, StreamListener } from './served-instance.js';
import { vllmMetricsText } from './vllm-metrics.js';
import type { WallClock } from './wall-clock.js';

export interface InstanceServerOptions {
  served: ServedInstance;
  clock: WallClock;
  modelName: string;
  /** Unique request ids across the fleet. */
  nextId(): number;
  /** Wall-clock seconds since the epoch, for the `created` field. */
  epochSeconds(): number;
}

/** The bootstrap room of a PD half: SGLang's body field, or inside vLLM-style kv_transfer_params. */
function roomOf(body: Record<string, unknown>): number | undefined {
  const room = body.bootstrap_room ?? (body.kv_transfer_params as Record<string, unknown> | undefined)?.bootstrap_room;
  return typeof room === 'number' && Number.isFinite(room) ? room : undefined;
}

/** One simulated instance behind an OpenAI-compatible HTTP server. */
export function createInstanceServer(opts: InstanceServerOptions): Server {
  const { served, clock, modelName } = opts;
  return createServer((req, res) => {
    handle(req, res).catch((err) => sendError(res, 500, String((err as Error)?.message ?? err)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') {
      res.writeHead(200).end();
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: [{ id: modelName, object: 'model', created: 0, owned_by: 'routesim', max_model_len: served.spec.maxModelLen }],
      });
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      clock.catchUp();
      const text = vllmMetricsText(served, modelName);
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const kind: ApiKind | undefined = path === '/v1/completions' ? 'completions' : path === '/v1/chat/completions' ? 'chat' : undefined;
    if (!kind) {
      sendError(res, 404, `no route ${req.method} ${path}`);
      return;
    }
    if (req.method !== 'POST') {
      sendError(res, 405, `${path} takes POST`);
      return;
    }
    let body: Record<string, unknown>;
    let parsed;
    try {
      body = JSON.parse(await readBody(req));
      parsed = parseRequestBody(kind, body);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendError(res, 413, err.message);
      if (err instanceof BadRequestError || err instanceof SyntaxError) return sendError(res, 400, err.message);
      throw err;
    }
    if (parsed.model !== undefined && parsed.model !== modelName) {
      sendError(res, 404, `The model \`${parsed.model}\` does not exist.`);
      return;
    }
    const room = roomOf(body);
    const role = served.spec.role;
    const prefillOnly = role === 'prefill' && room !== undefined;
    const id = opts.nextId();
    const sreq: ServedRequest = {
      id,
      promptTokens: parsed.promptTokens,
      outputTokens: prefillOnly ? 1 : parsed.maxTokens,
      prefixHashes: parsed.prefixHashes,
      hashBlockTokens: HASH_BLOCK_TOKENS,
    };
    const error = served.admissionError(sreq);
    if (error) {
      sendError(res, 400, error);
      return;
    }
    const out = new CompletionBody(kind, `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${id}`, modelName, Math.floor(opts.epochSeconds()));
    const stream = parsed.stream && !prefillOnly;
    let tokens = 0;
    let finished = false;
    const listener: StreamListener = {
      onTokens(n) {
        tokens += n;
        if (!stream) return;
        let text = '';
        for (let i = 0; i < n; i++) text += sseData(out.tokenChunk());
        res.write(text);
      },
      onDone() {
        finished = true;
        if (stream) {
          let text = sseData(out.finishChunk());
          if (parsed.includeUsage) text += sseData(out.usageChunk(parsed.promptTokens, tokens));
          res.end(text + SSE_DONE);
        } else sendJson(res, 200, out.full(tokens, parsed.promptTokens));
      },
      onPrefillDone() {
        // The prefill half answers with its one token and where its KV waits (vLLM's P/D proxy
        // passes kv_transfer_params on to the decode request).
        finished = true;
        sendJson(res, 200, out.full(1, parsed.promptTokens, { kv_transfer_params: { do_remote_prefill: true, bootstrap_room: room } }));
      },
    };
    if (stream) {
      res.writeHead(200, SSE_HEADERS);
      if (kind === 'chat') res.write(sseData(out.roleChunk()));
    }
    clock.catchUp();
    const active =
      prefillOnly ? served.submitPrefill(sreq, room!, listener)
      : role === 'decode' && room !== undefined ? served.submitDecode(sreq, room, listener)
      : served.submit(sreq, listener);
    clock.arm();
    res.on('close', () => {
      if (!finished) served.cancel(active);
    });
  }
}

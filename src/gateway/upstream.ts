import { request, type Agent, type ClientRequest } from 'node:http';
import { CompletionStreamReader, usageCompletionTokens } from '../llm-http/index.js';
import type { Flight } from './flight.js';
import type { LiveEndpoint } from './live-endpoint.js';

export interface ProxyHooks {
  headers: Record<string, string>;
  onFirstToken(): void;
  onEnd(status: number): void;
  /** Failed; `retryable` when nothing has reached the client yet. */
  onFail(reason: string, retryable: boolean): void;
}

export interface UpstreamOptions {
  agent: Agent;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Gateway time, seconds. */
  clock(): number;
  /** A connection failure, a timeout or a 5xx: the endpoint leaves rotation. */
  markUnhealthy(endpoint: LiveEndpoint, reason: string): void;
}

/** Requests to the engines: a streamed forward of the client's request, and the JSON prefill call of PD. */
export class Upstream {
  constructor(private readonly o: UpstreamOptions) {}

  /** POSTs `body` to the endpoint and streams the answer to the client, measuring its tokens. */
  stream(f: Flight, ep: LiveEndpoint, body: string, hooks: ProxyHooks): void {
    const up = request(`${ep.spec.url}${f.path}`, {
      method: 'POST',
      agent: this.o.agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: this.o.idleTimeoutMs,
    });
    f.upstream.push(up);
    let done = false;
    const fail = (reason: string, unhealthy: boolean) => {
      if (done) return;
      done = true;
      if (unhealthy) this.o.markUnhealthy(ep, reason);
      hooks.onFail(reason, !f.answered);
    };
    watchConnect(up, this.o.connectTimeoutMs);
    up.on('timeout', () => up.destroy(new Error(`no data for ${this.o.idleTimeoutMs} ms`)));
    up.on('error', (err) => fail(f.clientGone ? 'client went away' : `${ep.id}: ${err.message}`, !f.clientGone && !staleSocket(up, err)));
    // A stream cut without an error event (e.g. the client went away and the upstream was destroyed).
    up.on('close', () => fail(f.clientGone ? 'client went away' : `${ep.id}: connection closed`, !f.clientGone));
    up.on('response', (r) => {
      const status = r.statusCode ?? 502;
      if (status >= 500) {
        r.resume();
        fail(`${ep.id} answered HTTP ${status}`, true);
        return;
      }
      if (f.clientGone) {
        up.destroy();
        return;
      }
      f.answered = true;
      const ctype = String(r.headers['content-type'] ?? 'application/json');
      f.res.writeHead(status, { 'content-type': ctype, ...(ctype.startsWith('text/event-stream') && { 'cache-control': 'no-cache' }), ...hooks.headers });
      const sse = ctype.startsWith('text/event-stream');
      let whole = '';
      const parser = sse
        ? new CompletionStreamReader((n) => {
            const t = this.o.clock();
            if (f.tokens === 0) {
              f.firstTokenAt = t;
              hooks.onFirstToken();
            } else f.itls.push(t - f.lastTokenAt);
            f.lastTokenAt = t;
            f.tokens += n;
          })
        : undefined;
      r.setEncoding('utf8');
      r.on('data', (c: string) => {
        if (parser) {
          parser.push(c);
          if (parser.usageTokens !== undefined) f.usageTokens = parser.usageTokens;
        } else if (whole.length < 1 << 20) whole += c;
        f.res.write(c);
      });
      r.on('end', () => {
        if (done) return;
        done = true;
        if (!sse) {
          try {
            f.usageTokens = usageCompletionTokens(JSON.parse(whole));
          } catch {
            // not JSON: no usage
          }
          if (status === 200) {
            f.firstTokenAt = this.o.clock();
            hooks.onFirstToken();
          }
        }
        f.res.end();
        hooks.onEnd(status);
      });
      r.on('error', (err) => fail(f.clientGone ? 'client went away' : `${ep.id}: ${err.message}`, !f.clientGone));
      r.on('close', () => fail(f.clientGone ? 'client went away' : `${ep.id}: stream cut`, !f.clientGone));
    });
    up.end(body);
  }

  /** A non-streamed POST whose JSON answer is returned (the prefill half of a PD request). */
  postJson(f: Flight, ep: LiveEndpoint, body: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const up = request(`${ep.spec.url}${f.path}`, {
        method: 'POST',
        agent: this.o.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: this.o.idleTimeoutMs,
      });
      f.upstream.push(up);
      watchConnect(up, this.o.connectTimeoutMs);
      up.on('timeout', () => up.destroy(new Error(`no data for ${this.o.idleTimeoutMs} ms`)));
      up.on('error', (err) => {
        if (!f.clientGone && !staleSocket(up, err)) this.o.markUnhealthy(ep, `${ep.id}: ${err.message}`);
        reject(err);
      });
      up.on('response', (r) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => {
          const status = r.statusCode ?? 502;
          if (status >= 500) this.o.markUnhealthy(ep, `${ep.id} answered HTTP ${status}`);
          if (status !== 200) return reject(new Error(`HTTP ${status}: ${text.slice(0, 200)}`));
          try {
            resolve(JSON.parse(text));
          } catch {
            resolve(undefined);
          }
        });
      });
      up.end(body);
    });
  }
}

/**
 * A kept-alive socket the server had just closed: the request never reached the server, which
 * says nothing about its health (Node's documented keep-alive race; the request is retried).
 */
export function staleSocket(req: ClientRequest, err: Error): boolean {
  return req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET';
}

/** A connection that is not up within `ms` is cut (a reused keep-alive socket is already up). */
function watchConnect(req: ClientRequest, ms: number): void {
  req.on('socket', (s) => {
    if (!s.connecting) return;
    const timer = setTimeout(() => req.destroy(new Error(`connect timeout after ${ms} ms`)), ms);
    s.once('connect', () => clearTimeout(timer));
    s.once('close', () => clearTimeout(timer));
  });
}

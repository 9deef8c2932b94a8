import type { ClientRequest, ServerResponse } from 'node:http';
import type { ApiKind, ParsedRequest } from '../llm-http/index.js';
import type { RequestView } from '../routing/index.js';

/** A request between arrival and its last byte. */
export class Flight {
  view: RequestView;
  retries = 0;
  clientGone = false;
  /** The client has been answered (headers sent or an error written). */
  answered = false;
  upstream: ClientRequest[] = [];
  dispatchedAt = NaN;
  firstTokenAt = NaN;
  lastTokenAt = NaN;
  tokens = 0;
  usageTokens: number | undefined;
  readonly itls: number[] = [];
  prefillDone = false;
  completed = false;
  /** Answered 504 after waiting too long in the router queue (its later dispatch is released at once). */
  timedOut = false;
  constructor(
    view: RequestView,
    readonly kind: ApiKind,
    readonly path: string,
    readonly body: Record<string, unknown>,
    /** The body as the client sent it (forwarded unchanged to a unified endpoint). */
    readonly rawBody: string,
    readonly parsed: ParsedRequest,
    readonly res: ServerResponse,
    readonly strategy: string,
  ) {
    this.view = view;
  }
}

/**
 * Linq, through the official `@linqapp/sdk`, with our own retry policy instead of the SDK's.
 *
 * The SDK's defaults do not fit us: it retries every 409 (Linq's 1006 and 2013 are permanent) and waits 60 s per
 * attempt, far past API Gateway's 30 s. So the SDK makes single attempts (`maxRetries: 0`), and this module decides:
 * 429 waits for `Retry-After`; 408, 409/2009 (the chat is still being created), 5xx and network errors back off,
 * capped and jittered; `x-should-retry` overrides either way, as the SDK itself obeys it; every other refusal is final.
 * All of it inside one deadline, so an HTTP caller gets an answer before API Gateway gives up.
 *
 * Every answer's `X-Trace-ID` is kept (errors included): a webhook may carry it, tying the event to the exact call.
 * Linq's answers are validated here: nothing unchecked from Linq reaches the domain.
 */
import * as v from "valibot";
import LinqAPIV3, { APIConnectionError, APIConnectionTimeoutError, APIError } from "@linqapp/sdk";
import { LinqRefusal, LinqUnavailable, LinqCode, type LinqTry } from "../domain/errors.ts";
import type { ChatUpdateRequest } from "../domain/operation.ts";
import type { LinqAnswer, LinqApi, LinqChat, LinqHandle, Metrics } from "../domain/ports.ts";
import { LinqChatAnswer, LinqRemovalAnswer, LinqUpdateAnswer } from "../schemas/linq.ts";
import { FIRST_ISSUE } from "../schemas/refusal.ts";
import { TRACE_ID } from "../schemas/requests.ts";

export interface RetryPolicy {
  /** Total time for one operation, every attempt and wait included. */
  deadlineMs: number;
  /** Upper bound of a single attempt. */
  attemptTimeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface LinqClientOptions {
  apiKey: string;
  /** Without `/v3`, as the SDK takes it. */
  baseURL: string;
  policy: RetryPolicy;
  /** Each attempt's latency, the retries and Linq's refusals, by call. */
  metrics: Metrics;
  /** Injected for tests: the clock's passing and the jitter. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

type LinqCall = "updateChat" | "removeParticipant" | "getChat";

type Attempt<T> = (timeoutMs: number) => Promise<{ data: T; response: Response }>;

function traceIdOf(headers: { get(name: string): string | null } | undefined): string | undefined {
  const value = headers?.get("x-trace-id") ?? undefined;
  return value !== undefined && TRACE_ID.test(value) ? value : undefined;
}

export class LinqClient implements LinqApi {
  readonly #sdk: LinqAPIV3;
  readonly #policy: RetryPolicy;
  readonly #metrics: Metrics;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;

  constructor(options: LinqClientOptions) {
    this.#sdk = new LinqAPIV3({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0 });
    this.#policy = options.policy;
    this.#metrics = options.metrics;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  async updateChat(chatId: string, request: ChatUpdateRequest): Promise<LinqAnswer<Record<string, unknown>>> {
    const { data, traceId, tries } = await this.#withRetries(
      "updateChat",
      (timeout) => this.#sdk.chats.update(chatId, request, { timeout }).withResponse(),
      false,
    );
    const answer = readAnswer(LinqUpdateAnswer, data, traceId);
    const body = { chat_id: answer.chat_id ?? chatId, status: answer.status ?? "pending" };
    return { body, tries, ...(traceId === undefined ? {} : { traceId }) };
  }

  async removeParticipant(chatId: string, handle: string): Promise<LinqAnswer<Record<string, unknown>>> {
    const { data, traceId, tries } = await this.#withRetries(
      "removeParticipant",
      (timeout) => this.#sdk.chats.participants.remove(chatId, { handle }, { timeout }).withResponse(),
      true,
    );
    const answer = readAnswer(LinqRemovalAnswer, data, traceId);
    const bodyTraceId = answer.trace_id ?? traceId;
    const body = {
      message: answer.message ?? "Participant removal queued",
      status: answer.status ?? "accepted",
      ...(bodyTraceId === undefined ? {} : { trace_id: bodyTraceId }),
    };
    return { body, tries, ...(traceId === undefined ? {} : { traceId }) };
  }

  async getChat(chatId: string): Promise<LinqChat> {
    const { data, traceId } = await this.#withRetries(
      "getChat",
      (timeout) => this.#sdk.chats.retrieve(chatId, { timeout }).withResponse(),
      false,
    );
    const chat = readAnswer(LinqChatAnswer, data, traceId);
    return {
      id: chat.id,
      display_name: chat.display_name,
      group_chat_icon: chat.group_chat_icon,
      updated_at: chat.updated_at,
      handles: chat.handles.map((handle): LinqHandle => ({
        handle: handle.handle,
        status: handle.status,
        joined_at: handle.joined_at,
      })),
    };
  }

  /**
   * `ambiguousRetryRefusal`: a removal retried after an attempt whose fate is unknown may be refused only because the
   * first attempt worked (the participant is gone). Such a refusal proves nothing, so it becomes "unknown" and the
   * reconciler reads the chat to decide.
   */
  async #withRetries<T>(
    call: LinqCall,
    attempt: Attempt<T>,
    ambiguousRetryRefusal: boolean,
  ): Promise<{ data: T; traceId?: string; tries: LinqTry[] }> {
    const deadline = this.#now() + this.#policy.deadlineMs;
    // Every try, with what became of it: a failed one may have been done by Linq all the same.
    const tries: LinqTry[] = [];
    let ambiguous = false;
    let last: LinqUnavailable | undefined;
    for (let n = 1; n <= this.#policy.maxAttempts; n++) {
      const remaining = deadline - this.#now();
      if (remaining <= 0) break;
      if (n > 1) this.#metrics.record("LinqRetries", 1, { call });
      const started = this.#now();
      const latency = () => this.#metrics.record("LinqCallLatency", this.#now() - started, { call });
      try {
        const { data, response } = await attempt(Math.min(this.#policy.attemptTimeoutMs, remaining));
        latency();
        const traceId = traceIdOf(response.headers);
        tries.push({ fate: "accepted", ...(traceId === undefined ? {} : { traceId }), status: response.status });
        return { data, ...(traceId === undefined ? {} : { traceId }), tries };
      } catch (error) {
        latency();
        const code = refusalCode(error);
        if (code !== undefined) this.#metrics.record("LinqRefusals", 1, { call, code: String(code) });
        const verdict = classify(error);
        const traceId = error instanceof APIError ? traceIdOf(error.headers) : undefined;
        const status = error instanceof APIError ? error.status : undefined;
        const trace = traceId === undefined ? {} : { traceId };
        const fate =
          verdict.kind === "refused" || verdict.kind === "misconfigured" || verdict.notDone ? "refused" : "unknown";
        tries.push({ fate, ...trace, ...(status === undefined ? {} : { status }) });
        if (verdict.kind === "refused") {
          const refusal =
            ambiguous && ambiguousRetryRefusal
              ? new LinqUnavailable("unavailable", { cause: error, ...trace })
              : verdict.refusal;
          refusal.tries = tries;
          throw refusal;
        }
        if (verdict.kind === "misconfigured" || verdict.kind === "garbled") {
          const unavailable = new LinqUnavailable("unavailable", { cause: error, ...trace });
          unavailable.tries = tries;
          throw unavailable;
        }
        ambiguous ||= fate === "unknown";
        last = new LinqUnavailable(verdict.kind === "timeout" ? "timeout" : "unavailable", { cause: error, ...trace });
        // No attempt follows the last one, so nothing to wait for: the caller gets its answer now.
        if (n === this.#policy.maxAttempts) break;
        const wait = verdict.retryAfterMs ?? this.#backoff(n);
        if (this.#now() + wait >= deadline) break;
        await this.#sleep(wait);
      }
    }
    const failed = last ?? new LinqUnavailable("timeout");
    failed.tries = tries;
    throw failed;
  }

  /** Full jitter over an exponential, capped: spreads retries of many callers hitting the same Linq hiccup. */
  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#policy.maxDelayMs, this.#policy.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(this.#random() * ceiling);
  }
}

type Verdict =
  | { kind: "refused"; refusal: LinqRefusal }
  | { kind: "misconfigured"; retryAfterMs?: undefined; notDone?: undefined }
  /** An answer we cannot read, or one not to repeat: Linq may have done it; no retry. */
  | { kind: "garbled"; retryAfterMs?: undefined; notDone?: undefined }
  | { kind: "timeout"; retryAfterMs?: undefined; notDone?: undefined }
  /** `notDone`: Linq says it did not do it (429, 409/2009), only that it might later. */
  | { kind: "transient"; retryAfterMs?: number; notDone?: true };

function classify(error: unknown): Verdict {
  if (error instanceof APIConnectionTimeoutError) return { kind: "timeout" };
  if (error instanceof APIConnectionError) return { kind: "transient" };
  // Anything else the SDK throws (a 2xx whose body does not parse, a 3xx): Linq answered, but not so we can read what
  // it did. Its fate is unknown, and calling again could do it twice.
  if (!(error instanceof APIError) || error.status === undefined || error.status < 400) return { kind: "garbled" };
  const status = error.status;
  const body = objectOf(objectOf(error.error).error);
  const code = Number.isInteger(body.code) ? (body.code as number) : fallbackCode(status);
  const message =
    typeof body.message === "string" && body.message.length > 0 ? body.message : `Linq answered ${status}`;
  const refusal = new LinqRefusal(status, code, message, traceIdOf(error.headers));
  // Linq's own 401 means *our* Linq key is wrong: the caller's token was fine, so they must not read it as theirs,
  // and retrying cannot help. A 403 (2005) refuses one resource, not the key: Linq's answer to pass on.
  if (status === 401) return { kind: "misconfigured" };
  const told = error.headers?.get("x-should-retry");
  // Linq failing (5xx) may have done the work even when it says not to retry: unknown, never a refusal.
  if (told === "false") return status >= 500 ? { kind: "garbled" } : { kind: "refused", refusal };
  const retryAfterMs = retryAfter(error);
  const transient =
    told === "true" ||
    status === 408 ||
    status === 429 ||
    status >= 500 ||
    (status === 409 && code === LinqCode.chatBeingCreated);
  if (!transient) return { kind: "refused", refusal };
  const notDone = status === 429 || status === 409 ? { notDone: true as const } : {};
  return retryAfterMs === undefined
    ? { kind: "transient", ...notDone }
    : { kind: "transient", retryAfterMs, ...notDone };
}

/** Linq's code when it answered 4xx: a refusal, for good or (429, 409/2009) for now. */
function refusalCode(error: unknown): number | undefined {
  if (!(error instanceof APIError) || error.status === undefined || error.status < 400 || error.status >= 500) {
    return undefined;
  }
  const code = objectOf(objectOf(error.error).error).code;
  return Number.isInteger(code) ? (code as number) : fallbackCode(error.status);
}

function retryAfter(error: APIError): number | undefined {
  const header = error.headers?.get("retry-after");
  if (header === null || header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function fallbackCode(status: number): number {
  if (status === 404) return LinqCode.notFound;
  if (status === 409) return LinqCode.chatUnavailable;
  return LinqCode.invalidBody;
}

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * A 2xx answer read through its schema. One we cannot read means Linq did something we cannot tell: its fate is
 * unknown, so the operation stays pending and the reconciler reads the chat.
 */
function readAnswer<S extends v.GenericSchema>(
  schema: S,
  data: unknown,
  traceId: string | undefined,
): v.InferOutput<S> {
  const result = v.safeParse(schema, data, FIRST_ISSUE);
  if (result.success) return result.output;
  throw new LinqUnavailable("unavailable", {
    cause: new Error(`Linq answered ${result.issues[0].message}`),
    ...(traceId === undefined ? {} : { traceId }),
  });
}

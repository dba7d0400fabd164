/**
 * Builds an HTTP Lambda handler: the middlewares in their one order around a route function that turns a request into
 * an Answer. Functions stay thin: they name their route's parsing and the domain call, nothing else, and log nothing:
 * the request's one log line is written here.
 */
import middy from "@middy/core";
import httpJsonBodyParser from "@middy/http-json-body-parser";
import type { Answer } from "../domain/ports.ts";
import type { Verification } from "../adapters/webhook-verifier.ts";
import { LinqCode, ServiceError } from "../domain/errors.ts";
import { metrics, observability } from "../app/observability.ts";
import { logKeys, type LogFields } from "../log.ts";
import {
  bearerAuth,
  bodyLimit,
  errorFunnel,
  logFields,
  rawBody,
  requestLog,
  toResult,
  type HttpEvent,
  type HttpResult,
} from "./middleware.ts";

export const MAX_BODY_BYTES = 16 * 1024;

export interface HttpFunctionOptions {
  /** The service tokens any of which a caller may present. */
  tokens: readonly string[];
  /** Parse a JSON body (the two operations); the read routes take none. */
  jsonBody: boolean;
}

/** The event as the route sees it: `body` is parsed JSON when `jsonBody` is set. */
export type RouteEvent = Omit<HttpEvent, "body"> & { body?: unknown };

/** A route's Answer, and what its request's log line should say beyond the answer's `trace_id` (ids, outcomes). */
export type RouteAnswer = Answer & { logFields?: LogFields };

export function httpFunction(
  options: HttpFunctionOptions,
  route: (event: RouteEvent) => Promise<RouteAnswer>,
): middy.MiddyfiedHandler<HttpEvent, HttpResult> {
  const handler = middy<HttpEvent, HttpResult>()
    .use(observability<HttpEvent, HttpResult>())
    .use(requestLog())
    .use(errorFunnel())
    .use(bearerAuth(options.tokens))
    .use(bodyLimit(MAX_BODY_BYTES));
  if (options.jsonBody) handler.use(httpJsonBodyParser());
  return handler.handler(async (event) => answer(event, await route(event as RouteEvent)));
}

/** Linq's webhook bodies carry message events too; this bounds them well above any event this service reads. */
export const MAX_WEBHOOK_BYTES = 256 * 1024;

export type Verify = (raw: Buffer, headers: Record<string, string | undefined>) => Verification;

/** A delivery whose signature verified: its id, its body as signed, and the body parsed (absent when not JSON). */
export interface VerifiedDelivery {
  deliveryId: string;
  raw: Buffer;
  payload?: unknown;
}

/**
 * Builds the webhook handler: no bearer token but Linq's signature, checked on the raw bytes before anything parses
 * them. The route gets the body the signature covers, parsed, and the verified delivery id, never an unverified header.
 */
export function webhookFunction(
  verify: Verify,
  route: (delivery: VerifiedDelivery) => Promise<RouteAnswer>,
): middy.MiddyfiedHandler<HttpEvent, HttpResult> {
  return middy<HttpEvent, HttpResult>()
    .use(observability<HttpEvent, HttpResult>())
    .use(requestLog())
    .use(errorFunnel())
    .use(bodyLimit(MAX_WEBHOOK_BYTES))
    .handler(async (event) => {
      const raw = rawBody(event);
      const verdict = verify(raw, event.headers ?? {});
      if (!verdict.ok) {
        metrics.record("WebhookRefused", 1, {});
        logFields(event, { refused: verdict.reason });
        throw new ServiceError(401, LinqCode.unauthorized, "Invalid webhook signature");
      }
      metrics.record("WebhookVerified", 1, {});
      logFields(event, { deliveryId: verdict.deliveryId });
      const delivery: VerifiedDelivery =
        "unreadable" in verdict
          ? { deliveryId: verdict.deliveryId, raw }
          : { deliveryId: verdict.deliveryId, raw, payload: verdict.payload };
      return answer(event, await route(delivery));
    });
}

/** An answer naming an operation (its ids in the body) names it on the request's log line too. */
function answer(event: HttpEvent, routed: RouteAnswer): HttpResult {
  const { chat_id, trace_id } = (routed.body ?? {}) as { chat_id?: unknown; trace_id?: unknown };
  logKeys({
    ...(typeof chat_id === "string" ? { chat_id } : {}),
    ...(typeof trace_id === "string" ? { trace_id } : {}),
  });
  if (routed.logFields !== undefined) logFields(event, routed.logFields);
  return toResult(routed);
}

/**
 * Builds an HTTP Lambda handler: the middlewares in their one order around a route function that turns a request into
 * an Answer. Functions stay thin: they name their route's parsing and the domain call, nothing else.
 */
import middy from "@middy/core";
import httpJsonBodyParser from "@middy/http-json-body-parser";
import type { Answer } from "../domain/ports.ts";
import type { Verification } from "../adapters/webhook-verifier.ts";
import { badRequest, LinqCode, ServiceError } from "../domain/errors.ts";
import { log } from "../log.ts";
import {
  bearerAuth,
  bodyLimit,
  errorFunnel,
  rawBody,
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

export function httpFunction(
  options: HttpFunctionOptions,
  route: (event: RouteEvent) => Promise<Answer>,
): middy.MiddyfiedHandler<HttpEvent, HttpResult> {
  const handler = middy<HttpEvent, HttpResult>()
    .use(errorFunnel())
    .use(bearerAuth(options.tokens))
    .use(bodyLimit(MAX_BODY_BYTES));
  if (options.jsonBody) handler.use(httpJsonBodyParser());
  return handler.handler(async (event) => toResult(await route(event as RouteEvent)));
}

/** Linq's webhook bodies carry message events too; this bounds them well above any event this service reads. */
export const MAX_WEBHOOK_BYTES = 256 * 1024;

export type Verify = (raw: Buffer, headers: Record<string, string | undefined>) => Verification;

/**
 * Builds the webhook handler: no bearer token but Linq's signature, checked on the raw bytes before anything parses
 * them. The route gets the body the signature covers, parsed, and the verified delivery id, never an unverified header.
 */
export function webhookFunction(
  verify: Verify,
  route: (payload: unknown, deliveryId: string) => Promise<Answer>,
): middy.MiddyfiedHandler<HttpEvent, HttpResult> {
  return middy<HttpEvent, HttpResult>()
    .use(errorFunnel())
    .use(bodyLimit(MAX_WEBHOOK_BYTES))
    .handler(async (event) => {
      const verdict = verify(rawBody(event), event.headers ?? {});
      if (!verdict.ok) {
        log.warn("webhook refused", { reason: verdict.reason });
        throw new ServiceError(401, LinqCode.unauthorized, "Invalid webhook signature");
      }
      // Signed but unreadable: it will never parse, so a 4xx tells Linq not to retry it.
      if ("unreadable" in verdict) throw badRequest(LinqCode.invalidBody, "Webhook body is not valid JSON");
      return toResult(await route(verdict.payload, verdict.deliveryId));
    });
}

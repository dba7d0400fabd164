/**
 * The composition root is split by adapter (this folder): each function module imports only the builders it uses, so
 * its bundle holds only the clients it needs (a read function has no Linq SDK, no EventBridge or SQS client). Every
 * builder is memoized, so a process (a Lambda container, or `npm start` hosting every handler) holds one of each.
 */
import { randomUUID } from "node:crypto";
import type { Env } from "../config.ts";
import type { Clock, Ids } from "../domain/ports.ts";

/** The one clock and the one id source. */
export const systemClock: Clock = { now: () => new Date() };
export const randomIds: Ids = { operationId: () => randomUUID() };

export function memo<T>(build: (env: Env) => T): (env?: Env) => T {
  let built: T | undefined;
  return (env = process.env) => (built ??= build(env));
}

/**
 * An AWS SDK client without its logger middleware. We give the SDK no logger, yet that middleware runs every request
 * and every answer through the schema's sensitive-data filter before handing them to its no-op logger: a whole record
 * in, a whole query out, on every call, for nothing.
 */
export function unlogged<C extends { middlewareStack: { remove(name: string): boolean } }>(client: C): C {
  client.middlewareStack.remove("loggerMiddleware");
  return client;
}

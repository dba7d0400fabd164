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

/**
 * The one mapping from a schema's issues to the answer Linq would give. Every message a schema can fail with is
 * written with its Linq code (`refusal(1005, "chatId must be a UUID")`), so the code and the text a caller reads sit
 * beside the rule they explain, and this module only splits them again: the first issue is the answer, as Linq answers
 * one problem at a time.
 */
import * as v from "valibot";
import { badRequest, LinqCode, type ServiceError } from "../domain/errors.ts";

type Code = (typeof LinqCode)[keyof typeof LinqCode];

/** Any schema whose output is T: what the domain names when it reads through one, without importing valibot. */
export type Schema<T> = v.GenericSchema<unknown, T>;

/** Between the code and the text: a control character no message contains. */
const SEPARATOR = "\u001f";

/** A schema message carrying the Linq code it is answered with. */
export function refusal(code: Code, message: string): string {
  return `${code}${SEPARATOR}${message}`;
}

/** The answer to an issue. An issue without a code would be a schema written without one: a plain 1003. */
export function refusalOf(issue: { message: string }): ServiceError {
  const at = issue.message.indexOf(SEPARATOR);
  if (at < 0) return badRequest(LinqCode.invalidBody, issue.message);
  return badRequest(Number(issue.message.slice(0, at)), issue.message.slice(at + 1));
}

/** The first problem only, as Linq reports one: later fields are not even looked at. */
export const FIRST_ISSUE = { abortEarly: true } as const;

/** The schema's output, or the ServiceError Linq would have answered. */
export function parseOrRefuse<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input, FIRST_ISSUE);
  if (result.success) return result.output;
  throw refusalOf(result.issues[0]);
}

/** The schema's output, or undefined: for what is read leniently (Linq's own answers and events). */
export function parseOrUndefined<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> | undefined {
  const result = v.safeParse(schema, input, FIRST_ISSUE);
  return result.success ? result.output : undefined;
}

/** The schema's output, or the message of its first issue: for Linq's events, whose problems are reasons, not answers. */
export function parseOrReason<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
): { ok: true; value: v.InferOutput<S> } | { ok: false; reason: string } {
  const result = v.safeParse(schema, input, FIRST_ISSUE);
  return result.success ? { ok: true, value: result.output } : { ok: false, reason: result.issues[0].message };
}

import { invalidBody, invalidValue, missingField, notFound } from "./errors.ts";

/** Request checks shared by the routes, each failing with the code Linq uses for it. */

export type JsonObject = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A body that is not JSON, or JSON but not an object, is 1003. */
export function jsonObject(raw: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidBody();
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalidBody();
  return parsed as JsonObject;
}

export function requireUuid(value: string, name: string): string {
  if (!UUID.test(value)) throw invalidValue(`${name} must be a UUID`);
  return value;
}

/** Present but not a non-empty string is 1005. */
export function optionalString(body: JsonObject, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length === 0) throw invalidValue(`${field} must be a non-empty string`);
  return value;
}

/** Absent (or null) is 1001. */
export function requiredString(body: JsonObject, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined) throw missingField(field);
  return value;
}

export function requiredArray(body: JsonObject, field: string): unknown[] {
  const value = body[field];
  if (value === undefined || value === null) throw missingField(field);
  if (!Array.isArray(value)) throw invalidValue(`${field} must be an array`);
  if (value.length === 0) throw missingField(field);
  return value;
}

export function isHttpsUrl(value: string): boolean {
  return URL.canParse(value) && new URL(value).protocol === "https:";
}

export function found<T>(value: T | undefined): T {
  if (value === undefined) throw notFound();
  return value;
}

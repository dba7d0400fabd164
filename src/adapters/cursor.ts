/**
 * Cursors for paged reads: the last key of a page, as base64url JSON of its values in a fixed order. A cursor is ours
 * only if it decodes to exactly that shape with values DynamoDB will take; anything else is the caller's mistake.
 */
import { InvalidCursor } from "../domain/errors.ts";

const MAX_PART = 512;

export function encodeCursor(key: Record<string, unknown>, names: readonly string[]): string {
  return Buffer.from(JSON.stringify(names.map((name) => key[name]))).toString("base64url");
}

export function decodeCursor<N extends string>(cursor: string, names: readonly N[]): Record<N, string> {
  if (cursor.length === 0 || cursor.length > 4 * MAX_PART * names.length) throw new InvalidCursor();
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursor();
  }
  if (
    !Array.isArray(values) ||
    values.length !== names.length ||
    !values.every((value) => typeof value === "string" && value.length > 0 && value.length <= MAX_PART)
  ) {
    throw new InvalidCursor();
  }
  return Object.fromEntries(names.map((name, i) => [name, values[i] as string])) as Record<N, string>;
}

/**
 * The part of EventBridge's event-pattern grammar that the project's rules use (`requestPattern` in
 * src/definitions/events.ts): top-level fields, each with a list of allowed exact string values. Fields are ANDed, a
 * field's values ORed, and an array in the event matches when one of its elements does, as on EventBridge. Anything
 * else is refused by `patternProblem`, so a rule that starts using more of the grammar fails loudly here instead of
 * silently matching nothing.
 */

export type EventPattern = { readonly [field: string]: readonly string[] };

/** True when `event` (a whole EventBridge event) matches `pattern`, which `patternProblem` accepted. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  const fields = typeof event === "object" && event !== null ? (event as Record<string, unknown>) : {};
  return Object.entries(pattern).every(([name, allowed]) => {
    const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
    return [value].flat().some((candidate) => typeof candidate === "string" && allowed.includes(candidate));
  });
}

/** Why the local bus cannot route by `pattern`, or undefined when it can. */
export function patternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== "object" || pattern === null || Array.isArray(pattern)) return "pattern must be a JSON object";
  const fields = Object.entries(pattern);
  if (fields.length === 0) return "pattern must name at least one field";
  for (const [name, values] of fields) {
    if (!Array.isArray(values) || values.length === 0 || !values.every((value) => typeof value === "string")) {
      return (
        `${name} must be an array of exact string values, got ${JSON.stringify(values)} ` +
        "(the local bus supports only that part of EventBridge's pattern grammar)"
      );
    }
  }
  return undefined;
}

/**
 * EventBridge event patterns, as the service (its open-source engine, aws/event-ruler) evaluates them: a pattern names
 * fields; a field's array lists alternatives (OR), fields are ANDed; arrays in the event are "crushed", so a field
 * matches when any of its elements does, and sibling fields must hold inside the same array element.
 */

export type StringOrIgnoreCase = string | { readonly "equals-ignore-case": string };

export type ContentFilter =
  | { readonly prefix: StringOrIgnoreCase }
  | { readonly suffix: StringOrIgnoreCase }
  | { readonly "equals-ignore-case": string }
  | { readonly wildcard: string }
  | { readonly exists: boolean }
  | { readonly numeric: readonly (string | number)[] }
  | {
      readonly "anything-but":
        | string
        | number
        | readonly string[]
        | readonly number[]
        | { readonly prefix: string }
        | { readonly suffix: string }
        | { readonly "equals-ignore-case": string | readonly string[] }
        | { readonly wildcard: string | readonly string[] };
    };

export type ValueMatcher = string | number | boolean | null | ContentFilter;

export type EventPattern = {
  readonly [field: string]: readonly ValueMatcher[] | EventPattern | readonly EventPattern[];
};

/** True when `event` (any parsed JSON value, normally a whole EventBridge event) matches `pattern`. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: EventPattern, value: unknown): boolean {
  if (Array.isArray(value)) {
    // An empty array flattens to nothing, i.e. every field below it is absent.
    return value.length === 0
      ? matchObject(pattern, undefined)
      : value.some((element) => matchObject(pattern, element));
  }
  const fields = isObject(value) ? value : {};
  return Object.entries(pattern).every(([name, rule]) => {
    if (isOrClause(name, rule)) return rule.some((alternative) => matchObject(alternative, value));
    const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
    return Array.isArray(rule)
      ? matchField(rule as readonly ValueMatcher[], field)
      : matchObject(rule as EventPattern, field);
  });
}

const OPERATORS = ["prefix", "suffix", "equals-ignore-case", "wildcard", "exists", "numeric", "anything-but", "cidr"];

/** Like event-ruler, `$or` is only the OR primitive when it holds patterns; otherwise it is an ordinary field name. */
function isOrClause(name: string, rule: unknown): rule is readonly EventPattern[] {
  return (
    name === "$or" &&
    Array.isArray(rule) &&
    rule.length > 0 &&
    rule.every(
      (alternative) => isObject(alternative) && !Object.keys(alternative).some((key) => OPERATORS.includes(key)),
    )
  );
}

function matchField(matchers: readonly ValueMatcher[], field: unknown): boolean {
  const leaves = leafValues(field);
  return matchers.some((matcher) => {
    if (isObject(matcher) && "exists" in matcher) return matcher.exists === leaves.length > 0;
    return leaves.some((leaf) => matchValue(matcher, leaf));
  });
}

/** Only leaves count: an object in the event is an intermediate node, so `exists` does not see it. */
function leafValues(field: unknown): unknown[] {
  if (field === undefined || isObject(field)) return [];
  if (Array.isArray(field)) return field.flatMap(leafValues);
  return [field];
}

function matchValue(matcher: ValueMatcher, leaf: unknown): boolean {
  if (!isObject(matcher)) return leaf === matcher;
  if ("prefix" in matcher) return matchAffix(matcher.prefix, leaf, (value, affix) => value.startsWith(affix));
  if ("suffix" in matcher) return matchAffix(matcher.suffix, leaf, (value, affix) => value.endsWith(affix));
  if ("equals-ignore-case" in matcher)
    return typeof leaf === "string" && sameIgnoringCase(leaf, matcher["equals-ignore-case"]);
  if ("wildcard" in matcher) return typeof leaf === "string" && wildcardRegExp(matcher.wildcard).test(leaf);
  if ("numeric" in matcher) return typeof leaf === "number" && matchNumeric(matcher.numeric, leaf);
  if ("anything-but" in matcher) return !matchExcluded(matcher["anything-but"], leaf);
  return false;
}

function matchAffix(
  affix: StringOrIgnoreCase,
  leaf: unknown,
  test: (value: string, affix: string) => boolean,
): boolean {
  if (typeof leaf !== "string") return false;
  return typeof affix === "string"
    ? test(leaf, affix)
    : test(leaf.toLowerCase(), affix["equals-ignore-case"].toLowerCase());
}

type Excluded = Extract<ContentFilter, { readonly "anything-but": unknown }>["anything-but"];

function matchExcluded(excluded: Excluded, leaf: unknown): boolean {
  if (Array.isArray(excluded)) return (excluded as readonly unknown[]).includes(leaf);
  if (!isObject(excluded)) return leaf === excluded;
  if ("prefix" in excluded) return typeof leaf === "string" && leaf.startsWith(excluded.prefix);
  if ("suffix" in excluded) return typeof leaf === "string" && leaf.endsWith(excluded.suffix);
  if ("equals-ignore-case" in excluded) {
    const values = [excluded["equals-ignore-case"]].flat();
    return typeof leaf === "string" && values.some((value) => sameIgnoringCase(leaf, value));
  }
  if ("wildcard" in excluded) {
    const values = [excluded.wildcard].flat();
    return typeof leaf === "string" && values.some((value) => wildcardRegExp(value).test(leaf));
  }
  return false;
}

function sameIgnoringCase(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

const COMPARISONS: Record<string, (value: number, bound: number) => boolean> = {
  "=": (value, bound) => value === bound,
  "<": (value, bound) => value < bound,
  "<=": (value, bound) => value <= bound,
  ">": (value, bound) => value > bound,
  ">=": (value, bound) => value >= bound,
};

function matchNumeric(conditions: readonly (string | number)[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const compare = COMPARISONS[String(conditions[i])];
    const bound = conditions[i + 1];
    if (!compare || typeof bound !== "number" || !compare(value, bound)) return false;
  }
  return true;
}

const wildcards = new Map<string, RegExp>();

/** `*` is any run of characters; `\*` and `\\` are a literal star and backslash. */
function wildcardRegExp(wildcard: string): RegExp {
  let regExp = wildcards.get(wildcard);
  if (!regExp) {
    const source = wildcard.replace(/\\[*\\]|\*|[.+?^${}()|[\]\\/]/g, (token) =>
      token === "*" ? ".*" : token.length === 2 ? `\\${token[1]}` : `\\${token}`,
    );
    regExp = new RegExp(`^${source}$`, "s");
    wildcards.set(wildcard, regExp);
  }
  return regExp;
}

/**
 * Why a pattern would be refused by EventBridge's PutRule, or undefined when it is valid. A malformed pattern would
 * otherwise silently match nothing locally, which is the very mistake a local run should surface.
 */
export function patternProblem(pattern: unknown, path = ""): string | undefined {
  if (!isObject(pattern)) return `${path || "pattern"} must be a JSON object`;
  for (const [name, rule] of Object.entries(pattern)) {
    const at = path ? `${path}.${name}` : name;
    if (isOrClause(name, rule)) {
      if (rule.length < 2) return `${at} needs at least two alternatives`;
      for (const [index, alternative] of rule.entries()) {
        const problem = patternProblem(alternative, `${at}[${index}]`);
        if (problem) return problem;
      }
    } else if (Array.isArray(rule)) {
      if (rule.length === 0) return `${at} must not be an empty array`;
      for (const matcher of rule) {
        const problem = matcherProblem(matcher);
        if (problem) return `${at}: ${problem}`;
      }
    } else if (isObject(rule)) {
      const problem = patternProblem(rule, at);
      if (problem) return problem;
    } else {
      return `${at} must be an array of values or a nested pattern, not ${JSON.stringify(rule)}`;
    }
  }
  return undefined;
}

function matcherProblem(matcher: unknown): string | undefined {
  if (matcher === null || ["string", "number", "boolean"].includes(typeof matcher)) return undefined;
  if (!isObject(matcher)) return `unsupported value ${JSON.stringify(matcher)}`;
  const keys = Object.keys(matcher);
  const [operator] = keys;
  if (keys.length !== 1 || operator === undefined)
    return `a filter has exactly one operator: ${JSON.stringify(matcher)}`;
  const operand = matcher[operator];
  switch (operator) {
    case "prefix":
    case "suffix":
      return isString(operand) || (isObject(operand) && onlyKey(operand, "equals-ignore-case", isString))
        ? undefined
        : `${operator} takes a string or {"equals-ignore-case": string}`;
    case "equals-ignore-case":
      return isString(operand) ? undefined : `${operator} takes a string`;
    case "wildcard":
      return isString(operand) ? wildcardProblem(operand) : "wildcard takes a string";
    case "exists":
      return typeof operand === "boolean" ? undefined : "exists takes true or false";
    case "numeric":
      return numericProblem(operand);
    case "anything-but":
      return anythingButProblem(operand);
    default:
      return `unsupported operator ${operator}`;
  }
}

function numericProblem(operand: unknown): string | undefined {
  const usage = `numeric takes ["=", n] or up to one lower (">", ">=") and one upper ("<", "<=") bound`;
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) return usage;
  let lower: number | undefined;
  let upper: number | undefined;
  for (let i = 0; i < operand.length; i += 2) {
    const [operator, bound] = [operand[i], operand[i + 1]];
    if (typeof bound !== "number" || !Number.isFinite(bound)) return usage;
    if (operator === "=" && operand.length === 2) continue;
    if ((operator === ">" || operator === ">=") && lower === undefined) lower = bound;
    else if ((operator === "<" || operator === "<=") && upper === undefined) upper = bound;
    else return usage;
  }
  return lower !== undefined && upper !== undefined && lower >= upper ? "numeric range is empty" : undefined;
}

function anythingButProblem(operand: unknown): string | undefined {
  if (isString(operand) || typeof operand === "number") return undefined;
  if (Array.isArray(operand)) {
    return operand.length > 0 && (operand.every(isString) || operand.every((value) => typeof value === "number"))
      ? undefined
      : "anything-but takes a non-empty list of only strings or only numbers";
  }
  if (isObject(operand)) {
    if (onlyKey(operand, "prefix", isString) || onlyKey(operand, "suffix", isString)) return undefined;
    const stringOrList = (value: unknown) => isString(value) || (Array.isArray(value) && value.every(isString));
    if (onlyKey(operand, "equals-ignore-case", stringOrList)) return undefined;
    if (onlyKey(operand, "wildcard", stringOrList)) return [operand.wildcard].flat().map(wildcardProblem).find(Boolean);
  }
  return "anything-but takes a value, a list, or {prefix|suffix|equals-ignore-case|wildcard}";
}

function wildcardProblem(wildcard: unknown): string | undefined {
  if (!isString(wildcard)) return "wildcard takes a string";
  if (wildcard.includes("**")) return "wildcard must not have consecutive *";
  return /\\(?![*\\])/.test(wildcard.replace(/\\\\/g, "")) ? "wildcard may only escape * and \\" : undefined;
}

function onlyKey(value: Record<string, unknown>, key: string, valid: (operand: unknown) => boolean): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === key && valid(value[key]);
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Named generators for the service's inputs, each "valid or not". A `Judged` value says whether the service's rules
 * (the README's and src/domain/validation.ts's, read as a spec) accept it, decided by how it was built, so a property can
 * expect a 2xx for a request made only of valid parts and a refusal as soon as one part is invalid. `undefined` means
 * the part is absent (no header, no path parameter, no field).
 */
import fc from "fast-check";

export interface Judged<T> {
  value: T;
  valid: boolean;
}

export function valid<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<Judged<T>> {
  return arbitrary.map((value) => ({ value, valid: true }));
}

export function invalid<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<Judged<T>> {
  return arbitrary.map((value) => ({ value, valid: false }));
}

/** Valid about half the time, so requests with every part valid are common enough to be checked too. */
export function validOrNot<T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<Judged<T>> {
  return fc.oneof({ arbitrary: valid(good), weight: 3 }, { arbitrary: invalid(bad), weight: 1 });
}

// ---- text of any kind ----

/** Any text: ASCII, any code point (lone surrogates included), whole graphemes (emoji, accents). */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
);

/** Property names that have tripped JavaScript code before, and names near the service's own fields. */
export const trickyKey: fc.Arbitrary<string> = fc.constantFrom(
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "",
  " ",
  "displayName",
  "DISPLAY_NAME",
  "display_name ",
  "chat_id",
  "trace_id",
  "status",
  "error",
  "success",
);

/** An object key: mostly tricky ones, sometimes any text. */
export const anyKey: fc.Arbitrary<string> = fc.oneof(trickyKey, anyText);

/** Any JSON value, keys tricky or not, a few levels deep. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 53),
    anyText,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.array(fc.tuple(anyKey, tie("value")), { maxLength: 4 }).map(ownObject),
  ),
})).value;

/**
 * An object whose keys are all its own, `__proto__` included, as JSON.parse makes it: a key assigned with `obj[key] =`
 * would set the prototype instead, and JSON.stringify would drop it.
 */
export function ownObject(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

/** A JSON value that is not an object: what a body, a detail or an envelope must not be. */
export const notAnObject: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  anyText,
  fc.array(anyJson, { maxLength: 3 }),
);

// ---- ids ----

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID, in lower, upper or mixed case. */
export const aUuid: fc.Arbitrary<string> = fc
  .tuple(fc.uuid(), fc.constantFrom("lower", "upper", "mixed"))
  .map(([uuid, style]) =>
    style === "lower"
      ? uuid
      : style === "upper"
        ? uuid.toUpperCase()
        : [...uuid].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join(""),
  );

/** Almost a UUID, or nothing like one. */
export const notAUuid: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant(""),
  fc.uuid().map((u) => u.slice(0, -1)),
  fc.uuid().map((u) => `${u}0`),
  fc.uuid().map((u) => `{${u}}`),
  fc.uuid().map((u) => u.replaceAll("-", "")),
  fc.uuid().map((u) => `g${u.slice(1)}`),
  fc.uuid().map((u) => ` ${u}`),
  fc.uuid().map((u) => `${u}\n`),
  fc.uuid().map((u) => `${u}/operations`),
  anyText.filter((text) => !UUID.test(text)),
);

/** A chat id as it comes in a path parameter or a detail, valid or not. */
export const aChatId: fc.Arbitrary<Judged<string | undefined>> = validOrNot(aUuid, notAUuid);

const TRACE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
const TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A trace id as the read routes take it: ours, Linq's, or anything else. */
export const aTraceId: fc.Arbitrary<Judged<string | undefined>> = validOrNot(
  fc.oneof(
    fc.uuid(),
    fc.string({ unit: fc.constantFrom(...TRACE_CHARS), minLength: 1, maxLength: 128 }),
    fc.constantFrom("ours-1", "ours-2", "linq-1", "linq-2", "."),
  ),
  fc.oneof(
    fc.constant(undefined),
    fc.constant(""),
    fc.string({ unit: fc.constantFrom(...TRACE_CHARS), minLength: 129, maxLength: 200 }),
    fc.constantFrom("../../etc/passwd", "a b", "trace/1", "trace%2F1", "tráce", "trace\n"),
    anyText.filter((text) => !TRACE_ID.test(text)),
  ),
);

// ---- the operations' fields ----

const CONTROL = /[\u0000-\u001f\u007f]/;
/** Whitespace String.prototype.trim removes, Unicode's included. */
const padding = fc.string({ unit: fc.constantFrom(" ", "\t", "\n", "\u00a0", "\u3000", "\ufeff"), maxLength: 3 });
const padded = (core: fc.Arbitrary<string>) => fc.tuple(padding, core, padding).map(([a, b, c]) => a + b + c);

/** A JSON value that is not a string, for fields that must be strings. */
const notAString: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.array(anyText, { maxLength: 2 }),
  fc.dictionary(anyKey, anyText, { maxKeys: 2 }),
);

/** 1 to 255 characters once trimmed, no control character: any script, emoji, spaces inside. */
const goodDisplayName = padded(
  fc
    .string({ unit: "grapheme", minLength: 1, maxLength: 255 })
    .map((name) => name.trim())
    .filter((name) => name.length >= 1 && name.length <= 255 && !CONTROL.test(name)),
);

export const aDisplayName: fc.Arbitrary<Judged<unknown>> = validOrNot(
  goodDisplayName,
  fc.oneof(
    notAString,
    padding,
    fc.string({ unit: "grapheme-ascii", minLength: 256, maxLength: 300 }).filter((name) => name.trim().length > 255),
    fc
      .tuple(goodDisplayName, fc.integer({ min: 0, max: 0x20 }), goodDisplayName)
      .map(([a, code, b]) => `${a.trim()}${String.fromCharCode(code === 0x20 ? 0x7f : code)}${b.trim()}`),
  ),
);

const goodIconUrl = padded(
  fc
    .webUrl({ validSchemes: ["https"], withQueryParameters: true, withFragments: true })
    .filter((url) => url.length <= 2048),
);

export const anIconUrl: fc.Arbitrary<Judged<unknown>> = validOrNot(
  goodIconUrl,
  fc.oneof(
    notAString,
    fc.webUrl({ validSchemes: ["http", "ftp", "file", "data"] }),
    fc.constantFrom("javascript:alert(1)", "https//example.com/a.png", "example.com/a.png", "", " ", "https://"),
    fc.webUrl({ validSchemes: ["https"] }).map((url) => `${url}${"a".repeat(2049)}`),
    anyText.filter((text) => !URL.canParse(text.trim())),
  ),
);

/** What the service should send Linq for a valid field: the text trimmed. */
export function trimmed(value: unknown): unknown {
  return typeof value === "string" ? value.trim() : value;
}

const phoneSeparator = fc.constantFrom("", "", "", " ", "-", ".", "(", ")");

/** An E.164 number (`+` then 7 to 15 digits, not starting with 0), maybe written with separators. */
const goodPhone = fc
  .tuple(fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 6, maxLength: 14 }))
  .chain(([first, rest]) => {
    const digits = `${first}${rest.join("")}`;
    return fc
      .array(phoneSeparator, { minLength: digits.length, maxLength: digits.length })
      .map((separators) => ({ written: `+${[...digits].map((d, i) => `${separators[i]}${d}`).join("")}`, digits }));
  });

export interface GoodHandle {
  written: string;
  /** What Linq must be sent: a phone without its separators, an email as written (trimmed). */
  sent: string;
}

const goodHandle: fc.Arbitrary<GoodHandle> = fc.oneof(
  fc
    .tuple(padding, goodPhone)
    .map(([pad, phone]) => ({ written: `${pad}${phone.written}${pad}`, sent: `+${phone.digits}` })),
  fc.tuple(padding, fc.emailAddress(), fc.boolean()).map(([pad, email, upper]) => {
    const written = upper ? email.toUpperCase() : email;
    return { written: `${pad}${written}${pad}`, sent: written };
  }),
);

/** A participant's handle: a phone or an email, valid or not; `sent` is set for a valid one. */
export const aHandle: fc.Arbitrary<Judged<unknown> & { sent?: string }> = fc.oneof(
  { arbitrary: goodHandle.map(({ written, sent }) => ({ value: written, valid: true, sent })), weight: 3 },
  {
    arbitrary: invalid(
      fc.oneof(
        notAString,
        fc.constant(""),
        padding.filter((text) => text.length > 0),
        fc.constantFrom("+0123456789", "+12345", "+1234567890123456", "15551234567", "+1555abc4567", "++15551234567"),
        fc.constantFrom(
          "carol@",
          "@example.com",
          "carol@example",
          "carol @example.com",
          "a@b@c.de",
          "carol@exa mple.com",
        ),
        fc.integer({ min: 0, max: 999_999 }).map((n) => `+1${n}`.slice(0, 7)),
      ),
    ),
    weight: 1,
  },
);

/** A field none of the bodies has, tricky names first. */
export const anUnknownField: fc.Arbitrary<[string, unknown]> = fc.tuple(
  anyKey.filter((key) => !["display_name", "group_chat_icon", "handle"].includes(key)),
  anyJson,
);

// ---- headers ----

export const SERVICE_TOKENS = ["token-current", "token-rotated-in"] as const;

/** `Authorization`: a configured token as a bearer (any case of "Bearer", any spacing), or not. */
export const anAuthorization: fc.Arbitrary<Judged<string | undefined>> = validOrNot(
  fc
    .tuple(
      fc.constantFrom("Bearer", "bearer", "BEARER", "bEaReR"),
      fc.constantFrom(" ", "  ", "\t", " \t "),
      fc.constantFrom(...SERVICE_TOKENS),
      fc.constantFrom("", " ", "  ", "\t"),
    )
    .map((parts) => parts.join("")),
  fc.oneof(
    fc.constant(undefined),
    fc.constantFrom("", "Bearer", "Bearer ", "Bearer  ", "token-current", "Basic token-current"),
    fc.constantFrom(...SERVICE_TOKENS).map((token) => `Bearer ${token}x`),
    fc.constantFrom(...SERVICE_TOKENS).map((token) => `Bearer ${token.slice(1)}`),
    fc.constantFrom(...SERVICE_TOKENS).map((token) => `Bearer ${token} extra`),
    fc.constantFrom(...SERVICE_TOKENS).map((token) => `Bearer ${token.toUpperCase()}`),
    fc.constantFrom(...SERVICE_TOKENS).map((token) => `Bearer${token}`),
    anyText
      .map((text) => `Bearer ${text}`)
      .filter((header) => !/^Bearer\s+(token-current|token-rotated-in)\s*$/i.test(header)),
    anyText.filter((header) => !/^Bearer\s+(token-current|token-rotated-in)\s*$/i.test(header)),
  ),
);

const JSON_CONTENT_TYPE = /^application\/([a-z0-9.+-]+\+)?json(;|$)/i;

/** `Content-Type` of a body the operations read: JSON (with parameters, any case, `+json`) or not. */
export const aContentType: fc.Arbitrary<Judged<string | undefined>> = validOrNot(
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    "APPLICATION/JSON",
    "application/vnd.linq+json",
    "application/merge-patch+json; x=y",
  ),
  fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(
      "",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/jsonx",
      " application/json",
      "json",
      "application/xml",
    ),
    anyText.filter((text) => !JSON_CONTENT_TYPE.test(text)),
  ),
);

/** `Idempotency-Key`: absent, or 1 to 255 characters; or empty, or too long. */
export const anIdempotencyKey: fc.Arbitrary<Judged<string | undefined>> = validOrNot(
  fc.oneof(fc.constant(undefined), fc.string({ minLength: 1, maxLength: 255 }), fc.uuid()),
  fc.oneof(fc.constant(""), fc.string({ minLength: 256, maxLength: 300 })),
);

/** The headers the service reads: `otherHeaders` never sets them. */
const READ_HEADERS = [
  "authorization",
  "content-type",
  "idempotency-key",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
];

/** Headers a request may carry besides the ones a route reads: they must change nothing. */
export const otherHeaders: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc
    .oneof(
      fc.constantFrom("x-forwarded-for", "user-agent", "accept", "x-trace-id", "cookie", "content-length", "host"),
      fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz-"), minLength: 1, maxLength: 12 }),
    )
    .filter((name) => !READ_HEADERS.includes(name) && !name.startsWith("x-webhook-")),
  anyText,
  { maxKeys: 3 },
);

/** Query parameters nobody asked for. */
export const otherQuery: fc.Arbitrary<Record<string, string> | undefined> = fc.option(
  fc.dictionary(anyText, anyText, { maxKeys: 3 }),
  { nil: undefined },
);

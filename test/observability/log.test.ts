/**
 * The log as it is written: Powertools' JSON lines with the Lambda context and the operation's ids, handles masked
 * wherever they appear, credentials never, and `LOG_FORMAT=text` for a person at a terminal.
 */
import { vi } from "vitest";

// Before the logger is imported: it reads its level once, and every invocation returns to it.
vi.hoisted(() => {
  process.env.LOG_LEVEL = "info";
});

import { afterEach, describe, expect, it } from "vitest";
import { lambdaFunction } from "../../src/app/observability.ts";
import { LinqRefusal } from "../../src/domain/errors.ts";
import { log, logKeys, maskHandles, redact } from "../../src/log.ts";
import { context } from "../http/events.ts";
import { captureOutput } from "../support/log-lines.ts";

const output = captureOutput();

describe("maskHandles", () => {
  it.each([
    ["+15551230000", "+15•••00"],
    ["+1 (555) 123-0000", "+15•••00"],
    ["+(1) 555-123-0000", "+15•••00"],
    ["+4420794609", "+44•••09"],
    ["+447700900123", "+44•••23"],
    ["+861381234567890", "+861•••890"],
    ["15551230000", "15•••00"],
    ["(555) 123-0000", "55•••00"],
    ["1 555 123 0000", "15•••00"],
    ["alice@example.com", "a•••@example.com"],
    ["Carol.Smith@Mail.Example.COM", "C•••@Mail.Example.COM"],
    ["josé@example.com", "j•••@example.com"],
    ["a@exämple.com", "a•••@exämple.com"],
    ["ñandú@correo.es", "ñ•••@correo.es"],
  ])("masks %s as %s", (handle, masked) => {
    expect(maskHandles(handle)).toBe(masked);
  });

  it("masks every handle inside a text and leaves the rest", () => {
    expect(
      maskHandles('removing +15550000004 and bob@example.com from chat 550e8400-e29b-41d4, "15551230000" refused'),
    ).toBe('removing +15•••04 and b•••@example.com from chat 550e8400-e29b-41d4, "15•••00" refused');
  });

  it("hides most of a short number", () => {
    expect(maskHandles("+1234567")).toBe("+1•••7");
  });

  it.each([
    ["a UUID", "chat 3f0c9b1e-0000-4000-8000-000000000000 settled"],
    ["a UUID of digits only", "trace 12345678-1234-4234-8234-123456789012"],
    ["an X-Ray trace id", "Root=1-67891234-123456789012345678901234;Sampled=1"],
    ["an ISO timestamp", "at 2026-11-22T13:24:35.123Z"],
    ["an ISO timestamp with an offset", "at 2026-03-01T12:00:00.000+00:00"],
    ["a date and time with a space", "at 2026-11-22 13:24:35"],
    ["durations and counts", "took 1234 ms, 2000 chats, 504 after 3 tries"],
    ["an address", "from 192.168.100.200"],
  ])("leaves %s alone", (_, text) => {
    expect(maskHandles(text)).toBe(text);
  });
});

describe("redact", () => {
  it("drops fields named like credentials, whatever they hold", () => {
    for (const key of ["authorization", "apiKey", "api_key", "webhookSecret", "token", "password", "signature"]) {
      expect(redact(key, "value")).toBe("[redacted]");
    }
    expect(redact("route", "PUT /v3/chats/{chatId}")).toBe("PUT /v3/chats/{chatId}");
  });

  it("masks strings and leaves numbers as numbers", () => {
    expect(redact("note", "for 15551230000")).toBe("for 15•••00");
    expect(redact("startedAt", 1_763_820_000_000)).toBe(1_763_820_000_000);
  });
});

describe("log lines", () => {
  afterEach(() => {
    delete process.env.LOG_FORMAT;
  });

  it("carry the Lambda context and the operation's ids, which end with the invocation", async () => {
    const handler = lambdaFunction(async (event: { chat: string }) => {
      logKeys({ chat_id: event.chat, trace_id: `trace-of-${event.chat}` });
      log.info("working");
    });
    await handler({ chat: "chat-a" }, context());
    await handler({ chat: "chat-b" }, context());
    const lines = output.lines();
    expect(lines).toEqual([
      expect.objectContaining({ message: "working", chat_id: "chat-a", trace_id: "trace-of-chat-a" }),
      expect.objectContaining({ message: "working", chat_id: "chat-b", trace_id: "trace-of-chat-b" }),
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({
        function_name: "http-test",
        function_request_id: expect.any(String),
        cold_start: expect.any(Boolean),
      });
    }
    log.info("between invocations");
    expect(output.lines().at(-1)).not.toHaveProperty("chat_id");
  });

  it("mask a handle quoted by an error, its cause and its stack", () => {
    const refusal = new LinqRefusal(409, 2013, "Removing +15551230000 would leave fewer than 3 participants");
    const failure = new Error("could not remove carol@example.com", { cause: refusal });
    log.error("removal failed", failure, { authorization: "Bearer svc-token", note: "for +15551230000" });
    const text = output.text();
    expect(text).not.toContain("15551230000");
    expect(text).not.toContain("carol@");
    expect(text).not.toContain("svc-token");
    expect(output.lines()[0]).toMatchObject({
      level: "ERROR",
      message: "removal failed",
      authorization: "[redacted]",
      note: "for +15•••00",
      error: {
        name: "Error",
        message: "could not remove c•••@example.com",
        cause: { name: "LinqRefusal", message: "Removing +15•••00 would leave fewer than 3 participants" },
      },
    });
  });

  it("read as text with LOG_FORMAT=text: time, level, function, message, the fields that vary", async () => {
    process.env.LOG_FORMAT = "text";
    const handler = lambdaFunction(async () => {
      logKeys({ chat_id: "chat-a", trace_id: "trace-1" });
      log.warn("Linq unavailable", { status: 504, handle: "+15550000004" });
    });
    await handler({}, context());
    expect(output.text()).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN  http-test: Linq unavailable chat_id=chat-a trace_id=trace-1 status=504 handle=\+15•••04\n$/,
    );
  });
});

/**
 * JSON bodies as httpFunction wires them: middy's JSON body parser behind the token and the size limit, its errors
 * answered by the funnel in Linq's words.
 */
import { describe, expect, it, vi } from "vitest";
import type { Answer } from "../../src/domain/ports.ts";
import { httpFunction, type RouteEvent } from "../../src/http/http-function.ts";
import { authorised, context, httpEvent, TOKENS } from "./events.ts";

function jsonFunction(jsonBody = true) {
  const bodies: unknown[] = [];
  const route = vi.fn(async (event: RouteEvent): Promise<Answer> => {
    bodies.push(event.body);
    return { status: 200, body: { ok: true } };
  });
  return { route, bodies, handler: httpFunction({ tokens: TOKENS, jsonBody }, route) };
}

function envelope(status: number, message: string) {
  return JSON.stringify({ error: { status, code: 1003, message }, success: false });
}

describe("a JSON body", () => {
  it("reaches the route parsed", async () => {
    const { bodies, handler } = jsonFunction();
    const result = await handler(httpEvent({ headers: authorised(), body: '{"display_name":"Team 🎉"}' }), context());
    expect(result).toEqual({
      statusCode: 200,
      headers: { "content-type": "application/json" },
      body: '{"ok":true}',
    });
    expect(bodies).toEqual([{ display_name: "Team 🎉" }]);
  });

  it("is read with a charset parameter on its content type", async () => {
    const { bodies, handler } = jsonFunction();
    const headers = authorised(TOKENS[0], { "content-type": "application/json; charset=utf-8" });
    await handler(httpEvent({ headers, body: '{"handle":"+15550100001"}' }), context());
    expect(bodies).toEqual([{ handle: "+15550100001" }]);
  });

  it("is decoded first when API Gateway base64-encoded it", async () => {
    const { bodies, handler } = jsonFunction();
    await handler(httpEvent({ headers: authorised(), body: '{"display_name":"Équipe"}', base64: true }), context());
    expect(bodies).toEqual([{ display_name: "Équipe" }]);
  });

  it.each([
    ["no content type", {}],
    ["text/plain", { "content-type": "text/plain" }],
    ["form data", { "content-type": "application/x-www-form-urlencoded" }],
  ])("with %s is refused with 415 and code 1003", async (_name, contentType) => {
    const { route, handler } = jsonFunction();
    const headers: Record<string, string> = { authorization: `Bearer ${TOKENS[0]}`, ...contentType };
    const result = await handler(httpEvent({ headers, body: "{}" }), context());
    expect(result).toMatchObject({ statusCode: 415, body: envelope(415, "Content-Type must be application/json") });
    expect(route).not.toHaveBeenCalled();
  });

  it.each([
    ["not JSON", "{display_name: Team}"],
    ["cut short", '{"display_name":"Te'],
    ["a prototype key", '{"__proto__":{"admin":true}}'],
    ["a constructor prototype key", '{"constructor":{"prototype":{"admin":true}}}'],
  ])("that is %s is refused with 400 and code 1003", async (_name, body) => {
    const { route, handler } = jsonFunction();
    const result = await handler(httpEvent({ headers: authorised(), body }), context());
    expect(result).toEqual({
      statusCode: 400,
      headers: { "content-type": "application/json", "x-should-retry": "false" },
      body: envelope(400, "Request body is not valid JSON"),
    });
    expect(route).not.toHaveBeenCalled();
  });

  it("missing altogether is refused with 400 and code 1003", async () => {
    const { handler } = jsonFunction();
    const result = await handler(httpEvent({ headers: authorised() }), context());
    expect(result).toMatchObject({ statusCode: 400, body: envelope(400, "Request body is not valid JSON") });
  });
});

describe("a route that takes no JSON body", () => {
  it("gets the body untouched, whatever its content type", async () => {
    const { bodies, handler } = jsonFunction(false);
    const headers = { authorization: `Bearer ${TOKENS[0]}`, "content-type": "text/plain" };
    const result = await handler(httpEvent({ headers, body: "not json" }), context());
    expect(result).toMatchObject({ statusCode: 200 });
    expect(bodies).toEqual(["not json"]);
  });

  it("answers without a body or a content type", async () => {
    const { handler } = jsonFunction(false);
    const result = await handler(httpEvent({ headers: { authorization: `Bearer ${TOKENS[0]}` } }), context());
    expect(result).toMatchObject({ statusCode: 200 });
  });
});

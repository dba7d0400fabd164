/** The service token check alone, through middy: what it lets reach the handler and what it refuses. */
import middy from "@middy/core";
import { describe, expect, it, vi } from "vitest";
import { bearerAuth, type HttpEvent, type HttpResult } from "../../src/http/middleware.ts";
import { context, httpEvent, TOKENS } from "./events.ts";

const UNAUTHORIZED = {
  name: "ServiceError",
  status: 401,
  code: 2004,
  message: "Unauthorized - missing or invalid authentication token",
};

function guarded(tokens: readonly string[] = TOKENS) {
  const handler = vi.fn(async (): Promise<HttpResult> => ({ statusCode: 204 }));
  return { handler, invoke: middy<HttpEvent, HttpResult>().use(bearerAuth(tokens)).handler(handler) };
}

function withAuthorization(value?: string): HttpEvent {
  return httpEvent({ headers: value === undefined ? {} : { authorization: value } });
}

describe("bearerAuth", () => {
  it.each(TOKENS)(
    "lets a caller presenting %s through: every configured token is valid during a rotation",
    async (t) => {
      const { handler, invoke } = guarded();
      expect(await invoke(withAuthorization(`Bearer ${t}`), context())).toEqual({ statusCode: 204 });
      expect(handler).toHaveBeenCalledTimes(1);
    },
  );

  it.each([
    ["lowercase bearer (the scheme is case-insensitive)", `bearer ${TOKENS[0]}`],
    ["upper-case BEARER", `BEARER ${TOKENS[1]}`],
    ["several spaces after the scheme", `Bearer    ${TOKENS[0]}`],
    ["a tab after the scheme", `Bearer\t${TOKENS[0]}`],
    ["trailing spaces", `Bearer ${TOKENS[0]}   `],
  ])("accepts %s", async (_name, header) => {
    const { handler, invoke } = guarded();
    await invoke(withAuthorization(header), context());
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it.each([
    ["no Authorization header", undefined],
    ["an empty header", ""],
    ["a wrong token", "Bearer token-retired-long-ago"],
    ["a token's prefix", `Bearer ${TOKENS[0].slice(0, -1)}`],
    ["a token with more after it", `Bearer ${TOKENS[0]}x`],
    ["the scheme without a token", "Bearer "],
    ["the token without the scheme", TOKENS[0]],
    ["the scheme glued to the token", `Bearer${TOKENS[0]}`],
    ["another scheme", `Basic ${TOKENS[0]}`],
    ["two tokens", `Bearer ${TOKENS[0]} ${TOKENS[1]}`],
    ["spaces before the scheme", `  Bearer ${TOKENS[0]}`],
  ])("refuses %s with 401, before the handler", async (_name, header) => {
    const { handler, invoke } = guarded();
    await expect(invoke(withAuthorization(header), context())).rejects.toMatchObject(UNAUTHORIZED);
    expect(handler).not.toHaveBeenCalled();
  });

  it("reads only the lower-cased header name, as API Gateway's payload 2.0 gives it", async () => {
    const { invoke } = guarded();
    const event = httpEvent({ headers: { Authorization: `Bearer ${TOKENS[0]}` } });
    await expect(invoke(event, context())).rejects.toMatchObject(UNAUTHORIZED);
  });

  it("admits nobody when no token is configured", async () => {
    const { handler, invoke } = guarded([]);
    await expect(invoke(withAuthorization("Bearer anything"), context())).rejects.toMatchObject(UNAUTHORIZED);
    expect(handler).not.toHaveBeenCalled();
  });

  it("compares every configured token whichever matches: a rotated-out token stops working once removed", async () => {
    const { invoke } = guarded([TOKENS[1]]);
    await expect(invoke(withAuthorization(`Bearer ${TOKENS[0]}`), context())).rejects.toMatchObject(UNAUTHORIZED);
  });
});

/** The body size limit alone, through middy: measured in bytes, on base64 bodies too, before anything decodes them. */
import middy from "@middy/core";
import { describe, expect, it, vi } from "vitest";
import { bodyLimit, type HttpEvent, type HttpResult } from "../../src/http/middleware.ts";
import { context, httpEvent } from "./events.ts";

const MAX = 64;

function limited() {
  const seen: (string | undefined)[] = [];
  const handler = vi.fn(async (event: HttpEvent): Promise<HttpResult> => {
    seen.push(event.body);
    return { statusCode: 204 };
  });
  return { handler, seen, invoke: middy<HttpEvent, HttpResult>().use(bodyLimit(MAX)).handler(handler) };
}

const TOO_LARGE = {
  name: "ServiceError",
  status: 413,
  code: 1003,
  message: `Request body must be at most ${MAX} bytes`,
};

describe("bodyLimit", () => {
  it("lets a request without a body through", async () => {
    const { handler, invoke } = limited();
    await invoke(httpEvent(), context());
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it.each([
    ["text", false],
    ["base64", true],
  ])("lets a %s body of exactly the limit through, untouched", async (_name, base64) => {
    const { seen, invoke } = limited();
    const event = httpEvent({ body: "x".repeat(MAX), base64 });
    await invoke(event, context());
    expect(seen).toEqual([event.body]);
  });

  it.each([
    ["text", false],
    ["base64", true],
  ])("refuses a %s body one byte over the limit with 413, before the handler", async (_name, base64) => {
    const { handler, invoke } = limited();
    await expect(invoke(httpEvent({ body: "x".repeat(MAX + 1), base64 }), context())).rejects.toMatchObject(TOO_LARGE);
    expect(handler).not.toHaveBeenCalled();
  });

  it("counts bytes, not characters", async () => {
    const { invoke } = limited();
    const body = "é".repeat(MAX / 2 + 1);
    expect(body.length).toBeLessThan(MAX);
    await expect(invoke(httpEvent({ body }), context())).rejects.toMatchObject(TOO_LARGE);
  });

  it("counts a base64 body's decoded bytes, whatever its padding", async () => {
    for (let size = MAX - 3; size <= MAX + 3; size++) {
      const { handler, invoke } = limited();
      const event = httpEvent({ body: "y".repeat(size), base64: true });
      const invoked = invoke(event, context());
      if (size <= MAX) await invoked;
      else await expect(invoked, `${size} bytes`).rejects.toMatchObject(TOO_LARGE);
      expect(handler, `${size} bytes`).toHaveBeenCalledTimes(size <= MAX ? 1 : 0);
    }
  });
});

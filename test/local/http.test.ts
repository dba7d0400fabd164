import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { bearerToken, close, listen, readBody } from "../../local/http.ts";

describe("local/http.ts", () => {
  it("parses a bearer token, whatever the scheme's case, and nothing else", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer  abc ")).toBe("abc");
    for (const header of [undefined, "", "Bearer", "Bearer a b", "Basic abc"])
      expect(bearerToken(header)).toBe(undefined);
  });

  it("listens on a free port, refuses a taken one, reads bodies up to a limit and closes with clients attached", async () => {
    const server = createServer((request, response) => {
      void readBody(request, 5).then((body) => response.end(body === undefined ? "too large" : `got ${body}`));
    });
    const url = await listen(server, 0);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(listen(createServer(), Number(new URL(url).port))).rejects.toThrow(/EADDRINUSE/);
    const post = (body: string) => fetch(url, { method: "POST", body }).then((response) => response.text());
    expect(await post("12345")).toBe("got 12345");
    expect(await post("123456")).toBe("too large");
    await close(server);
    await expect(fetch(url)).rejects.toThrow();
  });
});

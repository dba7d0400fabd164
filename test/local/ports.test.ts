import { describe, expect, it } from "vitest";
import { portFromEnv } from "../../local/http.ts";

describe("the local run's ports", () => {
  it("come from the environment, with the contract's defaults, and a bad one is refused by name", () => {
    expect(portFromEnv({}, "LOCAL_BUS_PORT", 3002)).toBe(3002);
    expect(portFromEnv({ LOCAL_BUS_PORT: "" }, "LOCAL_BUS_PORT", 3002)).toBe(3002);
    expect(portFromEnv({ LOCAL_BUS_PORT: "4002" }, "LOCAL_BUS_PORT", 3002)).toBe(4002);
    expect(() => portFromEnv({ LOCAL_BUS_PORT: "http" }, "LOCAL_BUS_PORT", 3002)).toThrow(/LOCAL_BUS_PORT/);
    expect(() => portFromEnv({ PORT: "70000" }, "PORT", 3000)).toThrow(/PORT/);
  });
});

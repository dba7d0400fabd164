import { describe, expect, it } from "vitest";

describe("toolchain", () => {
  it("runs on Node 24, the Lambda nodejs24.x runtime, even where the machine has an older Node", () => {
    expect(process.versions.node.split(".")[0]).toBe("24");
  });
});

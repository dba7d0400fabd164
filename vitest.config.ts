import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Refusals and failures still show; the info line every request writes would drown the test report.
    env: { LOG_LEVEL: "warn" },
    // DynamoDB Local is a JVM: integration suites start one per file, so give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

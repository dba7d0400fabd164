import { configDefaults, defineConfig } from "vitest/config";

/**
 * Where a test lives says which project runs it. Integration: the whole local stack (e2e), the Lambda entry points, and
 * the DynamoDB adapters, all against DynamoDB Local (a JVM). Unit: every other test under test/, no Java needed.
 */
const integration = [
  "test/e2e/**/*.test.ts",
  "test/functions/**/*.test.ts",
  "test/adapters/dynamo-*.test.ts",
  // One contract for the in-memory and the DynamoDB store: it needs DynamoDB Local for the latter.
  "test/adapters/*.contract.test.ts",
];

export default defineConfig({
  test: {
    // Refusals and failures still show; the info line every request writes would drown the test report, and so would
    // the EMF metric lines (test/support/log-lines.ts turns them on where a test reads them).
    env: { LOG_LEVEL: "warn", POWERTOOLS_METRICS_DISABLED: "true" },
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...integration],
        },
      },
      {
        test: {
          name: "integration",
          include: integration,
          // Only this project starts DynamoDB Local, so `--project unit` runs where there is no Java.
          globalSetup: ["test/support/global-setup.ts"],
          // DynamoDB Local is a JVM shared by every file here: give them room on a 2-core machine.
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});

/**
 * Every Lambda entry point loads with exactly the environment `stacks/` gives it (from its access flags), and nothing
 * more: a handler that reads a variable its function is not given would otherwise fail at its first cold start in AWS,
 * while `npm start`, which sets every variable, hides it.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { LOCAL_WEBHOOK_SECRET } from "../../local/sandbox/index.ts";
import {
  environmentNames,
  functions,
  type EnvironmentName,
  type FunctionDefinition,
} from "../../src/definitions/functions.ts";

/** Values of the right shape; nothing is called at load, so nothing needs to exist. */
const SAMPLE: Record<EnvironmentName, string> = {
  OPERATIONS_TABLE: "linq-chat-ops-prod-OperationsTable",
  LEDGER_TABLE: "linq-chat-ops-prod-LedgerTable",
  EVENT_BUS_NAME: "linq-chat-ops-prod-BusBus",
  LINQ_API_V3_API_KEY: "linq-key",
  LINQ_WEBHOOK_SECRET: LOCAL_WEBHOOK_SECRET,
  // The secret's placeholder: empty, the deprecated scheme refused.
  LINQ_LEGACY_WEBHOOK_SECRET: "",
  API_TOKEN: "token-a,token-b",
  REQUEST_DLQ_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/RequestDeadLetters",
};

const original = process.env;
afterEach(() => {
  process.env = original;
});

describe("each function's entry point", () => {
  it.each((functions as readonly FunctionDefinition[]).map((definition) => [definition.name, definition] as const))(
    "%s loads with only the environment its access flags give it",
    async (_name, definition) => {
      vi.resetModules();
      // What Lambda itself sets, plus the function's own variables.
      process.env = {
        AWS_REGION: "us-east-1",
        LOG_LEVEL: "silent",
        ...Object.fromEntries(environmentNames(definition).map((name) => [name, SAMPLE[name]])),
      };
      const dot = definition.handler.lastIndexOf(".");
      const file = new URL(`../../${definition.handler.slice(0, dot)}.ts`, import.meta.url).href;
      const module = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
      expect(module[definition.handler.slice(dot + 1)]).toBeTypeOf("function");
    },
  );
});

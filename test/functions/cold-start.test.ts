/**
 * Every Lambda entry point loads with exactly the environment `stacks/` gives it and the secrets it links (both from its
 * access flags), and nothing more: a handler that reads a variable or a secret its function is not given would
 * otherwise fail at its first cold start in AWS, while `npm start`, which provides everything, hides it.
 *
 * Each one loads in a fresh `node`, as in a new Lambda container: SST's `Resource` reads its links once per process.
 */
import { execFile } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { LOCAL_WEBHOOK_SECRET } from "../../local/sandbox/index.ts";
import { linkedSecretsEnvironment } from "../../src/config.ts";
import {
  environmentNames,
  functions,
  secretNames,
  type EnvironmentName,
  type FunctionDefinition,
  type SecretName,
} from "../../src/definitions/functions.ts";

/** Values of the right shape; nothing is called at load, so nothing needs to exist. */
const SAMPLE: Record<EnvironmentName, string> = {
  OPERATIONS_TABLE: "linq-chat-ops-prod-OperationsTable",
  LEDGER_TABLE: "linq-chat-ops-prod-LedgerTable",
  EVENT_BUS_NAME: "linq-chat-ops-prod-BusBus",
  REQUEST_DLQ_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/RequestDeadLetters",
};

const SECRETS: Record<SecretName, string> = {
  LinqApiKey: "linq-key",
  LinqWebhookSecret: LOCAL_WEBHOOK_SECRET,
  // The secret's placeholder: empty, the deprecated scheme refused.
  LinqLegacyWebhookSecret: "",
  ServiceTokens: "token-a,token-b",
};

/** Imports the handler in a new process with exactly `env`; answers the type of its export. */
async function load(definition: FunctionDefinition, env: Record<string, string>, cwd?: string): Promise<string> {
  const dot = definition.handler.lastIndexOf(".");
  const file = new URL(`../../${definition.handler.slice(0, dot)}.ts`, import.meta.url).href;
  const script = `const m = await import(${JSON.stringify(file)}); console.log(typeof m[${JSON.stringify(definition.handler.slice(dot + 1))}]);`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
    env,
    ...(cwd === undefined ? {} : { cwd }),
  });
  return stdout.trim();
}

/** What Lambda itself sets, plus the function's own variables and linked secrets. */
function environmentOf(definition: FunctionDefinition): Record<string, string> {
  return {
    AWS_REGION: "us-east-1",
    LOG_LEVEL: "silent",
    ...Object.fromEntries(environmentNames(definition).map((name) => [name, SAMPLE[name]])),
    ...linkedSecretsEnvironment(Object.fromEntries(secretNames(definition).map((name) => [name, SECRETS[name]]))),
  };
}

const definitions = (functions as readonly FunctionDefinition[]).map(
  (definition) => [definition.name, definition] as const,
);

describe("each function's entry point", () => {
  it.concurrent.each(definitions)(
    "%s loads with only the environment and the secrets its access flags give it",
    async (_name, definition) => {
      expect(await load(definition, environmentOf(definition))).toBe("function");
    },
  );

  it.concurrent.each(definitions.filter(([, definition]) => secretNames(definition).length > 0))(
    "%s refuses to start without its secrets, naming the one missing",
    async (_name, definition) => {
      const { [`SST_RESOURCE_${secretNames(definition)[0]}`]: _missing, ...env } = environmentOf(definition);
      await expect(load(definition, env)).rejects.toThrow(`the secret ${secretNames(definition)[0]} is not linked`);
    },
  );

  it("reads its secrets where SST puts them in Lambda: encrypted in the bundle, with the key in SST_KEY", async () => {
    const definition = definitions.find(([name]) => name === "LinqWebhook")![1];
    // As SST writes `resource.enc`: the links' JSON, AES-256-GCM under a fresh key, zero nonce, the tag at the end.
    const key = randomBytes(32);
    const cipher = createCipheriv("aes-256-gcm", key, Buffer.alloc(12, 0));
    const links = Object.fromEntries(
      secretNames(definition).map((name) => [name, { type: "sst.sst.Secret", value: SECRETS[name] }]),
    );
    const sealed = Buffer.concat([cipher.update(JSON.stringify(links)), cipher.final(), cipher.getAuthTag()]);
    const bundle = await mkdtemp(join(tmpdir(), "linq-chat-ops-bundle-"));
    try {
      await writeFile(join(bundle, "resource.enc"), sealed);
      const {
        [`SST_RESOURCE_LinqWebhookSecret`]: _a,
        [`SST_RESOURCE_LinqLegacyWebhookSecret`]: _b,
        ...env
      } = environmentOf(definition);
      const lambda = {
        ...env,
        SST_RESOURCE_App: JSON.stringify({ name: "linq-chat-ops", stage: "prod" }),
        SST_KEY: key.toString("base64"),
        SST_KEY_FILE: "resource.enc",
      };
      expect(await load(definition, lambda, bundle)).toBe("function");
      // The same file under another key is refused at load, not read as empty secrets.
      await expect(
        load(definition, { ...lambda, SST_KEY: randomBytes(32).toString("base64") }, bundle),
      ).rejects.toThrow();
    } finally {
      await rm(bundle, { recursive: true, force: true });
    }
  });
});

/**
 * Secrets are read through SST's `Resource`, the same call in Lambda and here: outside Lambda it finds the links in
 * `SST_RESOURCE_<name>` variables, which `linkedSecretsEnvironment` writes as SST does. `Resource` reads them once per
 * process, at its first use, so this file links its secrets before anything reads one.
 */
import { describe, expect, it } from "vitest";
import {
  linkedSecretsEnvironment,
  LINQ_BASE_URL,
  readLinqConfig,
  readServiceTokens,
  readWebhookSecrets,
} from "../src/config.ts";

Object.assign(
  process.env,
  linkedSecretsEnvironment({
    LinqApiKey: " linq-key ",
    LinqWebhookSecret: "whsec_old, whsec_new",
    LinqLegacyWebhookSecret: "",
    ServiceTokens: "token-a,,token-b ",
  }),
);

describe("linked secrets", () => {
  it("are written where SST's Resource reads a linked secret: the link's JSON in SST_RESOURCE_<name>", () => {
    expect(linkedSecretsEnvironment({ ServiceTokens: "t" })).toEqual({
      SST_RESOURCE_ServiceTokens: '{"type":"sst.sst.Secret","value":"t"}',
    });
  });

  it("give the service tokens as a list, so a rotation can accept two", () => {
    expect(readServiceTokens()).toEqual(["token-a", "token-b"]);
  });

  it("give the webhook secrets as a list, and an empty legacy secret refuses the deprecated scheme", () => {
    expect(readWebhookSecrets()).toEqual({ secrets: ["whsec_old", "whsec_new"], legacySecrets: [] });
  });

  it("give Linq's key, while its base URL stays a plain setting", () => {
    expect(readLinqConfig({})).toEqual({ apiKey: "linq-key", baseURL: LINQ_BASE_URL });
    expect(readLinqConfig({ LINQ_API_V3_BASE_URL: "http://127.0.0.1:3001/" }).baseURL).toBe("http://127.0.0.1:3001");
  });

  it("are never read from the old plain variables", () => {
    expect(readLinqConfig({ LINQ_API_V3_API_KEY: "plain" }).apiKey).toBe("linq-key");
  });
});

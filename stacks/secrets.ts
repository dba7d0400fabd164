import type { SecretName } from "../src/definitions/functions.ts";

/**
 * The secrets by their SST names, which are also the names code reads them by (`Resource.<name>`, src/config.ts):
 * - `LinqApiKey`;
 * - `LinqWebhookSecret`: one or more Standard Webhooks secrets, comma-separated, so a rotation can accept both;
 * - `ServiceTokens`: comma-separated bearer tokens, so a caller's token can be rotated without downtime;
 * - `LinqLegacyWebhookSecret`: secrets of Linq's deprecated `X-Webhook-Signature` scheme; empty (the scheme refused)
 *   unless an account needs it.
 */
export type Secrets = Readonly<Record<SecretName, sst.Secret>>;

/**
 * No placeholders: a stage must not come up with a guessable token or webhook secret. Set each one per stage with
 * `sst secret set <Name> <value> --stage <stage>` before the first deploy. The one exception is the deprecated scheme's
 * secret, whose empty placeholder means "refuse that scheme", the safe default.
 */
export function createSecrets(): Secrets {
  return {
    LinqApiKey: new sst.Secret("LinqApiKey"),
    LinqWebhookSecret: new sst.Secret("LinqWebhookSecret"),
    ServiceTokens: new sst.Secret("ServiceTokens"),
    LinqLegacyWebhookSecret: new sst.Secret("LinqLegacyWebhookSecret", ""),
  };
}

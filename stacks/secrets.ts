export interface Secrets {
  readonly linqApiKey: sst.Secret;
  /** One or more Standard Webhooks secrets, comma-separated, so a rotation can accept the old and the new at once. */
  readonly linqWebhookSecret: sst.Secret;
  /** Comma-separated bearer tokens, so a caller's token can be rotated without downtime. */
  readonly serviceTokens: sst.Secret;
  /** Secrets of Linq's deprecated `X-Webhook-Signature` scheme; empty (the scheme refused) unless an account needs it. */
  readonly linqLegacyWebhookSecret: sst.Secret;
}

/**
 * No placeholders: a stage must not come up with a guessable token or webhook secret. Set each one per stage with
 * `sst secret set <Name> <value> --stage <stage>` before the first deploy. The one exception is the deprecated scheme's
 * secret, whose empty placeholder means "refuse that scheme", the safe default.
 */
export function createSecrets(): Secrets {
  return {
    linqApiKey: new sst.Secret("LinqApiKey"),
    linqWebhookSecret: new sst.Secret("LinqWebhookSecret"),
    serviceTokens: new sst.Secret("ServiceTokens"),
    linqLegacyWebhookSecret: new sst.Secret("LinqLegacyWebhookSecret", ""),
  };
}

/** Linq's webhook signature verifier, built once from the configured secrets (a malformed one fails at cold start). */
import { WebhookVerifier } from "../adapters/webhook-verifier.ts";
import { readWebhookSecrets } from "../config.ts";
import { memo, systemClock } from "./system.ts";

export const webhookVerifier = memo(() => new WebhookVerifier({ ...readWebhookSecrets(), clock: systemClock }));

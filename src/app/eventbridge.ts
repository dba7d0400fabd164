/** The outcome publisher. The SDK finds its region and endpoint itself (`AWS_ENDPOINT_URL_EVENTBRIDGE`). */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { EventBridgePublisher } from "../adapters/eventbridge-publisher.ts";
import { readEventBusName } from "../config.ts";
import { memo, unlogged } from "./system.ts";

export const outcomePublisher = memo(
  (env) => new EventBridgePublisher(unlogged(new EventBridgeClient({})), readEventBusName(env)),
);

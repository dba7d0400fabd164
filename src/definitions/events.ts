/**
 * The event vocabulary on the project's bus, defined once for `stacks/`, the local bus and the code that publishes.
 */

/** `source` of every event this service puts on the bus. Request events may come from any source. */
export const SERVICE_EVENT_SOURCE = "linq-chat-ops";

export const REQUEST_DETAIL_TYPES = ["chat.update.requested", "participant.remove.requested"] as const;
export type RequestDetailType = (typeof REQUEST_DETAIL_TYPES)[number];

export const OUTCOME_DETAIL_TYPES = ["operation.succeeded", "operation.failed"] as const;
export type OutcomeDetailType = (typeof OUTCOME_DETAIL_TYPES)[number];

/**
 * `schema_version` of every outcome event's detail (the operation record plus this field). Adding a field keeps it;
 * it changes only when a field changes meaning or goes away, so consumers can tell which reading of the detail applies.
 */
export const OUTCOME_SCHEMA_VERSION = 1;

/**
 * The EventBridge rule pattern that routes a request detail-type to its subscriber. Our own outcome events carry other
 * detail-types, so a subscriber never hears the service talking to itself.
 */
export function requestPattern(detailType: RequestDetailType): { "detail-type": string[] } {
  return { "detail-type": [detailType] };
}

/**
 * How a request event reaches its subscriber: Lambda's asynchronous invocation retries a transient failure this many
 * times, then the event goes to the dead-letter queue with the reason. The local bus follows the same numbers.
 */
export const REQUEST_DELIVERY = {
  maximumRetryAttempts: 2,
  maximumEventAgeSeconds: 3600,
} as const;

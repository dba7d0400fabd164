/**
 * Who listens on the bus. Locally the subscribers are the same functions `stacks/` subscribes, under the same
 * patterns, so a route that works here is the route deployed.
 */
import { requestPattern } from "../../src/definitions/events.ts";
import { functions, type FunctionName } from "../../src/definitions/functions.ts";
import type { Target } from "./delivery.ts";
import type { EventPattern } from "./pattern.ts";
import type { BusEvent } from "./put-events.ts";

export interface Subscription extends Target {
  pattern: EventPattern;
}

/**
 * One subscription per function that `src/definitions/functions.ts` subscribes to a detail-type, named after it and
 * matched by `requestPattern`; `invoke` runs that function's handler.
 */
export function functionSubscriptions(
  invoke: (functionName: FunctionName, event: BusEvent) => Promise<void>,
): Subscription[] {
  return functions.flatMap((definition) =>
    "subscribesTo" in definition
      ? [
          {
            name: definition.name,
            pattern: requestPattern(definition.subscribesTo),
            deliver: (event: BusEvent) => invoke(definition.name, event),
          },
        ]
      : [],
  );
}

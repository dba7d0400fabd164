import { operationsDeps } from "../src/app/operations.ts";
import { HTTP_TIMEOUT_SECONDS } from "../src/definitions/functions.ts";
import { removeParticipant } from "../src/domain/operations-service.ts";
import { parseParticipantRemove } from "../src/domain/validation.ts";
import { operationFunction } from "../src/http/operation-function.ts";

export const handler = operationFunction(
  operationsDeps(HTTP_TIMEOUT_SECONDS),
  parseParticipantRemove,
  removeParticipant,
);

/** The dead-letter queue for request events. The SDK finds its endpoint itself (`AWS_ENDPOINT_URL_SQS`). */
import { SQSClient } from "@aws-sdk/client-sqs";
import { SqsRejectedRequests } from "../adapters/sqs-rejected-requests.ts";
import { readDeadLetterQueueUrl } from "../config.ts";
import { memo, unlogged } from "./system.ts";

export const rejectedRequests = memo(
  (env) => new SqsRejectedRequests(unlogged(new SQSClient({})), readDeadLetterQueueUrl(env)),
);

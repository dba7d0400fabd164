/**
 * Malformed request events go to the dead-letter queue with the reason, straight away: retrying them cannot help, and
 * Lambda's own retries would only delay the same verdict. Transient failures reach the same queue through Lambda's
 * on-failure destination once its retries run out.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { RejectedRequests } from "../domain/ports.ts";

export class SqsRejectedRequests implements RejectedRequests {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(client: SQSClient, queueUrl: string) {
    this.#client = client;
    this.#queueUrl = queueUrl;
  }

  async reject(event: unknown, reason: string): Promise<void> {
    await this.#client.send(
      new SendMessageCommand({
        QueueUrl: this.#queueUrl,
        MessageBody: JSON.stringify({ reason, event }),
        MessageAttributes: { reason: { DataType: "String", StringValue: reason.slice(0, 1024) } },
      }),
    );
  }
}

/**
 * A dead-letter queue read by an operator: every message received once (each hidden for `visibilitySeconds`, then
 * visible again unless deleted), and deleted only by the caller, once what it asked for is done.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import type { QueuedMessage } from "../domain/dead-letters.ts";

export interface ReceivedMessage extends QueuedMessage {
  receiptHandle: string;
}

export class SqsDeadLetterQueue {
  readonly #client: SQSClient;
  readonly url: string;

  constructor(client: SQSClient, url: string) {
    this.#client = client;
    this.url = url;
  }

  /** Every message the queue holds now; a receive that brings nothing new ends it. */
  async receiveAll(visibilitySeconds: number): Promise<ReceivedMessage[]> {
    const seen = new Map<string, ReceivedMessage>();
    for (;;) {
      const { Messages = [] } = await this.#client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.url,
          MaxNumberOfMessages: 10,
          // Long polling asks every SQS server, so a short queue is not read as empty by chance.
          WaitTimeSeconds: 1,
          VisibilityTimeout: visibilitySeconds,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["SentTimestamp"],
        }),
      );
      const fresh = Messages.filter((message) => message.MessageId !== undefined && !seen.has(message.MessageId));
      if (fresh.length === 0) return [...seen.values()];
      for (const message of fresh) seen.set(message.MessageId!, received(message));
    }
  }

  async delete(message: ReceivedMessage): Promise<void> {
    await this.#client.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: message.receiptHandle }));
  }
}

function received(message: Message): ReceivedMessage {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined) attributes[name] = value.StringValue;
  }
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    id: message.MessageId!,
    body: message.Body ?? "",
    attributes,
    receiptHandle: message.ReceiptHandle ?? "",
    ...(Number.isFinite(sent) ? { sentAt: new Date(sent).toISOString() } : {}),
  };
}

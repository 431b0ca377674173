import type { ResultAsync } from 'neverthrow';

export interface TextMessage {
  /** E.164 phone number. */
  readonly to: string;
  readonly body: string;
  readonly organizationId: string;
  readonly requestId: string;
  /** The same key must never deliver the same text twice. */
  readonly idempotencyKey: string;
}

export type MessageErrorKind = 'invalid_recipient' | 'opted_out' | 'unavailable' | 'failed';

export interface MessageError {
  readonly kind: MessageErrorKind;
  readonly retryable: boolean;
  readonly message: string;
  readonly cause?: unknown;
}

/** Sends text messages (the call-center channel). Hosts plug in their SMS provider. */
export interface MessageSenderPort {
  sendText(message: TextMessage): ResultAsync<{ readonly messageId: string }, MessageError>;
}

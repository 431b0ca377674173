import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { ClockPort } from '../ports/clock.port';
import type { IdGeneratorPort } from '../ports/id-generator.port';
import type { LogFields, LoggerPort } from '../ports/logger.port';
import type { MessageError, MessageSenderPort, TextMessage } from '../ports/message-sender.port';

/** A clock that only moves when a test moves it. */
export class ManualClock implements ClockPort {
  #now: Date;

  constructor(start: Date | string) {
    this.#now = new Date(start);
  }

  now(): Date {
    return new Date(this.#now);
  }

  set(at: Date | string): void {
    this.#now = new Date(at);
  }

  advance(ms: number): void {
    this.#now = new Date(this.#now.getTime() + ms);
  }
}

/** Ids that read well in test output: `req_0001`, `req_0002`, ... per prefix. */
export class SequentialIds implements IdGeneratorPort {
  readonly #counters = new Map<string, number>();

  next(prefix: string): string {
    const count = (this.#counters.get(prefix) ?? 0) + 1;
    this.#counters.set(prefix, count);
    return `${prefix}_${String(count).padStart(4, '0')}`;
  }
}

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields;
}

/** Keeps every log line, for tests that check what a host would be told. */
export class RecordingLogger implements LoggerPort {
  readonly lines: LogLine[] = [];

  debug(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'debug', message, fields });
  }

  info(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'info', message, fields });
  }

  warn(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'warn', message, fields });
  }

  error(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'error', message, fields });
  }

  warnings(): LogLine[] {
    return this.lines.filter((line) => line.level === 'warn');
  }
}

/** A message sender that keeps what it sends, once per idempotency key. */
export class RecordingMessageSender implements MessageSenderPort {
  readonly sent: TextMessage[] = [];
  readonly #failures: MessageError[] = [];

  failNext(error: MessageError): void {
    this.#failures.push(error);
  }

  sendText(message: TextMessage): ResultAsync<{ readonly messageId: string }, MessageError> {
    const failure = this.#failures.shift();
    if (failure) {
      return errAsync(failure);
    }

    const earlier = this.sent.findIndex((sent) => sent.idempotencyKey === message.idempotencyKey);
    if (earlier === -1) {
      this.sent.push(message);
    }

    return okAsync({ messageId: `msg_${earlier === -1 ? this.sent.length : earlier + 1}` });
  }
}

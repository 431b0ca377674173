import { err, ok, type Result } from 'neverthrow';
import type { z } from 'zod';
import type { Actor } from '../domain/audit';
import { DomainError } from '../domain/errors';
import { type AuditEntryId, asId } from '../domain/ids';
import type { PaymentRequest, PaymentRequestStatus } from '../domain/payment-request';
import type { TransitionContext } from '../domain/status-machine';
import type { ClockPort } from '../ports/clock.port';
import type { IdGeneratorPort } from '../ports/id-generator.port';
import type { LoggerPort } from '../ports/logger.port';
import type { MessageSenderPort } from '../ports/message-sender.port';
import type { PaymentGatewayPort } from '../ports/payment-gateway.port';
import type { StoragePort } from '../ports/storage.port';

/** A status change that has been committed, for hosts that want to react (notify staff...). */
export interface StatusChange {
  readonly organizationId: string;
  readonly requestId: string;
  readonly from: PaymentRequestStatus | null;
  readonly to: PaymentRequestStatus;
  readonly actor: Actor;
  readonly at: Date;
}

export interface MemberPaymentsOptions {
  /** How long a batch worker owns a request it is sending before another may take over. */
  readonly leaseMs: number;
  /** Drafts claimed per unit of work. */
  readonly pageSize: number;
  /** Requests a batch worker sends at the same time. */
  readonly concurrency: number;
  /** Local hours between which texts may go out: [start, end). */
  readonly textWindow: { readonly startHour: number; readonly endHour: number };
  /** How often a unit of work that lost an optimistic race is tried again. */
  readonly conflictRetries: number;
}

export const DEFAULT_OPTIONS: MemberPaymentsOptions = {
  leaseMs: 5 * 60 * 1000,
  pageSize: 50,
  concurrency: 8,
  textWindow: { startHour: 8, endHour: 21 },
  conflictRetries: 5,
};

/** Everything a use case may touch: the ports, and nothing else. */
export interface Context {
  readonly storage: StoragePort;
  readonly gateway: PaymentGatewayPort;
  readonly messages: MessageSenderPort | null;
  readonly clock: ClockPort;
  readonly ids: IdGeneratorPort;
  readonly logger: LoggerPort;
  readonly options: MemberPaymentsOptions;
  readonly onStatusChange: (change: StatusChange) => void;
}

/** Validates input with a zod schema; the error names every field that is wrong. */
export function validate<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  what: string,
): Result<z.output<Schema>, DomainError> {
  const parsed = schema.safeParse(input);
  if (parsed.success) {
    return ok(parsed.data);
  }

  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(input)';
    return `${path}: ${issue.message}`;
  });
  return err(
    new DomainError('INPUT.INVALID', `Invalid ${what}: ${problems.join('; ')}`, {
      fields: parsed.error.issues.map((issue) => issue.path.join('.')),
    }),
  );
}

export function newAuditId(context: Context): AuditEntryId {
  return asId(context.ids.next('aud'));
}

export function transitionContext(
  context: Context,
  actor: Actor,
  reason: string,
  extra: Partial<Omit<TransitionContext, 'auditId' | 'at' | 'actor' | 'reason'>> = {},
): TransitionContext {
  return { auditId: newAuditId(context), at: context.clock.now(), actor, reason, ...extra };
}

/** Tells the host about committed status changes; a throwing listener never breaks the flow. */
export function announce(
  context: Context,
  before: PaymentRequest | null,
  after: PaymentRequest,
  actor: Actor,
): void {
  if (before?.status === after.status) {
    return;
  }

  try {
    context.onStatusChange({
      organizationId: after.organizationId,
      requestId: after.id,
      from: before?.status ?? null,
      to: after.status,
      actor,
      at: after.updatedAt,
    });
  } catch (error) {
    context.logger.warn('status change listener threw', {
      requestId: after.id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** True for the storage error that means "someone else wrote first; read again and retry". */
export function isConflict(error: DomainError): boolean {
  return error.code === 'STORAGE.CONFLICT';
}

import {
  type Actor,
  type AuditEntry,
  asId,
  type Currency,
  money,
  PAYMENT_REQUEST_STATUSES,
  type PaymentRequest,
  type RequestRefund,
} from '@memberpay/core';
import { z } from 'zod';
import type { RowReader } from '../row-reader';
import { REFUND_PURPOSES, REFUND_STATUSES } from './known-values';

/**
 * The nested values kept as jsonb, written and read back here. Instants are ISO strings and
 * amounts integer minor units in the row's currency.
 */

const instant = z.iso.datetime().transform((text) => new Date(text));

const storedRefunds = z.array(
  z.object({
    key: z.string(),
    gatewayRefundId: z.string().nullable(),
    amountMinor: z.int().nullable(),
    purpose: z.enum(REFUND_PURPOSES),
    status: z.enum(REFUND_STATUSES),
    failureReason: z.string().nullable(),
    requestedAt: instant,
  }),
);

const storedLifecycle = z.partialRecord(z.enum(PAYMENT_REQUEST_STATUSES), instant);

const storedActor = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('staff'), userId: z.string() }),
  z.object({ kind: z.literal('batch'), runId: z.string().nullable() }),
  z.object({ kind: z.literal('gateway_event'), eventId: z.string(), eventType: z.string() }),
  z.object({
    kind: z.literal('remittance'),
    remittanceId: z.string(),
    claimPaymentKey: z.string(),
  }),
  z.object({ kind: z.literal('system'), process: z.string() }),
]);

const storedDetails = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.null()]),
);

export function refundsJson(refunds: readonly RequestRefund[]): string {
  return JSON.stringify(
    refunds.map((refund) => ({
      key: refund.key,
      gatewayRefundId: refund.gatewayRefundId,
      amountMinor: refund.amount?.minor ?? null,
      purpose: refund.purpose,
      status: refund.status,
      failureReason: refund.failureReason,
      requestedAt: refund.requestedAt.toISOString(),
    })),
  );
}

export function readRefunds(read: RowReader, column: string, currency: Currency): RequestRefund[] {
  return parse(read, column, storedRefunds).map(({ amountMinor, ...refund }) => ({
    ...refund,
    amount: amountMinor === null ? null : money(amountMinor, currency),
  }));
}

export function lifecycleJson(lifecycle: PaymentRequest['lifecycle']): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(lifecycle).flatMap(([status, at]) => (at ? [[status, at.toISOString()]] : [])),
    ),
  );
}

export function readLifecycle(read: RowReader, column: string): PaymentRequest['lifecycle'] {
  return parse(read, column, storedLifecycle);
}

export function readActor(read: RowReader, column: string): Actor {
  const actor = parse(read, column, storedActor);
  switch (actor.kind) {
    case 'batch':
      return { kind: 'batch', runId: actor.runId === null ? null : asId(actor.runId) };
    case 'remittance':
      return { ...actor, remittanceId: asId(actor.remittanceId) };
    default:
      return actor;
  }
}

export function readDetails(read: RowReader, column: string): AuditEntry['details'] {
  return parse(read, column, storedDetails);
}

function parse<Output>(read: RowReader, column: string, schema: z.ZodType<Output>): Output {
  const parsed = schema.safeParse(read.json(column));
  if (!parsed.success) {
    throw read.unreadable(column, 'what memberpay writes there', parsed.error);
  }

  return parsed.data;
}

import type {
  AuditEntryId,
  BatchRunId,
  OrganizationId,
  PaymentRequestId,
  RemittanceId,
} from './ids';
import type { PaymentRequestStatus } from './payment-request';

/** Who or what caused a change. Ids only: never a member's name or contact details. */
export type Actor =
  | { readonly kind: 'staff'; readonly userId: string }
  | { readonly kind: 'batch'; readonly runId: BatchRunId | null }
  | { readonly kind: 'gateway_event'; readonly eventId: string; readonly eventType: string }
  | {
      readonly kind: 'remittance';
      readonly remittanceId: RemittanceId;
      readonly claimPaymentKey: string;
    }
  | { readonly kind: 'system'; readonly process: string };

export type AuditAction =
  | 'created'
  | 'edited'
  | 'status_changed'
  | 'held'
  | 'released'
  | 'invoice_linked'
  | 'text_sent'
  | 'text_failed'
  | 'payment_recorded'
  | 'refund_requested'
  | 'refund_recorded'
  | 'deleted'
  | 'note';

/** One line of a request's history. Storage assigns `sequence`, which orders the entries. */
export interface AuditEntry {
  readonly id: AuditEntryId;
  readonly organizationId: OrganizationId;
  readonly requestId: PaymentRequestId;
  readonly sequence: number;
  readonly at: Date;
  readonly actor: Actor;
  readonly action: AuditAction;
  readonly from: PaymentRequestStatus | null;
  readonly to: PaymentRequestStatus | null;
  readonly reason: string;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

export function describeActor(actor: Actor): string {
  switch (actor.kind) {
    case 'staff':
      return `staff ${actor.userId}`;
    case 'batch':
      return actor.runId ? `batch ${actor.runId}` : 'batch (by hand)';
    case 'gateway_event':
      return `gateway event ${actor.eventId} (${actor.eventType})`;
    case 'remittance':
      return `remittance ${actor.remittanceId}`;
    case 'system':
      return `system (${actor.process})`;
  }
}

/** An audit entry before storage has given it its place in the order. */
export type NewAuditEntry = Omit<AuditEntry, 'sequence'>;

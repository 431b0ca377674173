import type {
  AuditAction,
  ClaimPaymentOutcome,
  HoldCode,
  PayoutAccountState,
  RefundPurpose,
  RequestRefund,
  TextDelivery,
} from '@memberpay/core';

/**
 * Lists every member of a string union: leaving one out does not compile, so a value core adds
 * is noticed here. The schema's check constraints hold the same lists, and the tests walk them.
 */
function everyOf<Union extends string>() {
  return <const List extends readonly Union[]>(
    list: List & ([Exclude<Union, List[number]>] extends [never] ? unknown : never),
  ): List => list;
}

export const PAYOUT_STATES = everyOf<PayoutAccountState>()([
  'none',
  'onboarding',
  'restricted',
  'active',
  'disabled',
]);

export const HOLD_CODES = everyOf<HoldCode>()([
  'member_payments_off',
  'payout_account_not_ready',
  'no_delivery_channel',
  'needs_review',
  'below_minimum_charge',
]);

export const TEXT_STATUSES = everyOf<TextDelivery['status']>()(['waiting', 'sent', 'failed']);

export const REFUND_PURPOSES = everyOf<RefundPurpose>()(['cancel', 'correction', 'external']);

export const REFUND_STATUSES = everyOf<RequestRefund['status']>()([
  'requested',
  'pending',
  'succeeded',
  'failed',
]);

export const AUDIT_ACTIONS = everyOf<AuditAction>()([
  'created',
  'edited',
  'status_changed',
  'held',
  'released',
  'invoice_linked',
  'text_sent',
  'text_failed',
  'payment_recorded',
  'refund_requested',
  'refund_recorded',
  'deleted',
  'note',
]);

export const CLAIM_PAYMENT_OUTCOMES = everyOf<ClaimPaymentOutcome>()([
  'created',
  'changed',
  'canceled',
  'held_for_review',
  'recorded',
  'unmatched',
  'skipped',
  'duplicate',
]);

import { z } from 'zod';

/**
 * The fields the gateway reads from Stripe's objects, and nothing more. Webhook payloads are
 * parsed with these schemas (an endpoint renders events in its own API version, so a payload
 * may not match the types of the version we pin); API responses are read through the same
 * shapes, which stripe-node's own types satisfy.
 */
const reference = z.union([z.string(), z.object({ id: z.string() })]).nullable();

const metadata = z.record(z.string(), z.string()).nullable();

export const invoiceFields = z.object({
  id: z.string(),
  status: z.string().nullable(),
  customer: reference,
  on_behalf_of: reference,
  currency: z.string(),
  amount_due: z.number().int(),
  amount_paid: z.number().int(),
  amount_remaining: z.number().int(),
  hosted_invoice_url: z.string().nullish(),
  number: z.string().nullable(),
  due_date: z.number().int().nullable(),
  metadata,
});
export type InvoiceFields = z.infer<typeof invoiceFields>;

export const refundFields = z.object({
  id: z.string(),
  status: z.string().nullable(),
  amount: z.number().int(),
  currency: z.string(),
  payment_intent: reference.optional(),
  failure_reason: z.string().nullish(),
  metadata,
});
export type RefundFields = z.infer<typeof refundFields>;

export const disputeFields = z.object({
  id: z.string(),
  status: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  payment_intent: reference.optional(),
});
export type DisputeFields = z.infer<typeof disputeFields>;

export const accountFields = z.object({
  id: z.string(),
  charges_enabled: z.boolean(),
  payouts_enabled: z.boolean(),
  details_submitted: z.boolean(),
  requirements: z
    .object({
      currently_due: z.array(z.string()).nullable(),
      disabled_reason: z.string().nullable(),
    })
    .nullish(),
});
export type AccountFields = z.infer<typeof accountFields>;

export const invoicePaymentFields = z.object({
  id: z.string(),
  invoice: z.union([z.string(), invoiceFields]),
});

export const paymentIntentFields = z.object({
  id: z.string(),
  status: z.string(),
});

/** An event as delivered to a webhook endpoint, before its object is read. */
export const eventEnvelope = z.object({
  id: z.string(),
  object: z.literal('event'),
  type: z.string(),
  created: z.number().int(),
  livemode: z.boolean(),
  account: z.string().nullish(),
  data: z.object({ object: z.unknown() }),
});
export type EventEnvelope = z.infer<typeof eventEnvelope>;

export function idOf(value: z.infer<typeof reference> | undefined): string | null {
  if (value === null || value === undefined) {
    return null;
  }

  return typeof value === 'string' ? value : value.id;
}

import type Stripe from 'stripe';
import type { Origin, Simulation } from '../state/simulation';
import type { InvoiceRecord, Partition, PaymentIntentRecord } from '../state/store';

/** The invoice fields a payment changes, for `previous_attributes`. */
function moneyState(invoice: Stripe.Invoice): Partial<Stripe.Invoice> {
  return {
    amount_paid: invoice.amount_paid,
    amount_remaining: invoice.amount_remaining,
    attempt_count: invoice.attempt_count,
    attempted: invoice.attempted,
    status: invoice.status,
    status_transitions: { ...invoice.status_transitions },
  };
}

export function invoicePaymentOf(
  partition: Partition,
  paymentIntentId: string,
): Stripe.InvoicePayment | undefined {
  for (const payment of partition.invoicePayments.values()) {
    if (payment.payment.payment_intent === paymentIntentId) {
      return payment;
    }
  }
  return undefined;
}

/** Payments attached by `attach_payment` that are open or paid: they lock the invoice. */
export function hasAttachedPayments(partition: Partition, invoiceId: string): boolean {
  for (const payment of partition.invoicePayments.values()) {
    if (payment.invoice === invoiceId && !payment.is_default && payment.status !== 'canceled') {
      return true;
    }
  }
  return false;
}

export function defaultIntent(
  partition: Partition,
  record: InvoiceRecord,
): PaymentIntentRecord | undefined {
  return record.defaultPaymentIntentId === null
    ? undefined
    : partition.paymentIntents.get(record.defaultPaymentIntentId);
}

/** Whether a bank debit for the invoice is in flight. */
export function hasProcessingPayment(partition: Partition, invoiceId: string): boolean {
  for (const record of partition.paymentIntents.values()) {
    if (record.invoiceId === invoiceId && record.intent.status === 'processing') {
      return true;
    }
  }
  return false;
}

/**
 * A succeeded PaymentIntent counts toward its invoice: the invoice payment is paid, the amounts
 * move, and once nothing remains the invoice is paid. The default payment follows what remains.
 */
export function applyIntentToInvoice(
  sim: Simulation,
  partition: Partition,
  intentRecord: PaymentIntentRecord,
  origin: Origin,
): void {
  const record =
    intentRecord.invoiceId === null ? undefined : partition.invoices.get(intentRecord.invoiceId);
  const payment = invoicePaymentOf(partition, intentRecord.intent.id);
  if (record === undefined || payment === undefined || payment.status === 'paid') {
    return;
  }

  const invoice = record.invoice;
  const before = moneyState(invoice);
  const amount = intentRecord.intent.amount_received;
  const now = sim.now();

  payment.status = 'paid';
  payment.amount_paid = amount;
  payment.status_transitions.paid_at = now;
  sim.emit(partition, origin, 'invoice_payment.paid', payment);

  invoice.amount_paid += amount;
  invoice.amount_remaining = Math.max(0, invoice.amount_remaining - amount);
  invoice.attempted = true;
  invoice.attempt_count += 1;

  if (invoice.amount_remaining === 0) {
    markPaid(sim, partition, record, origin);
    sim.emit(partition, origin, 'invoice.payment_succeeded', invoice);
  } else {
    syncDefaultPayment(partition, record);
  }
  sim.emit(partition, origin, 'invoice.updated', invoice, before);
}

/** The invoice becomes `paid`; a default payment that did not pay it is canceled. */
export function markPaid(
  sim: Simulation,
  partition: Partition,
  record: InvoiceRecord,
  origin: Origin,
): void {
  record.invoice.status = 'paid';
  record.invoice.status_transitions.paid_at = sim.now();
  record.invoice.amount_remaining = 0;

  const intent = defaultIntent(partition, record);
  if (intent !== undefined && intent.intent.status !== 'succeeded') {
    cancelIntent(sim, partition, intent, 'automatic', origin);
  }
  sim.emit(partition, origin, 'invoice.paid', record.invoice);
}

/** The default payment asks for whatever the invoice still owes. */
export function syncDefaultPayment(partition: Partition, record: InvoiceRecord): void {
  const intent = defaultIntent(partition, record);
  if (intent === undefined || intent.intent.status === 'succeeded') {
    return;
  }

  intent.intent.amount = record.invoice.amount_remaining;
  const payment = invoicePaymentOf(partition, intent.intent.id);
  if (payment !== undefined) {
    payment.amount_requested = record.invoice.amount_remaining;
  }
}

export function cancelIntent(
  sim: Simulation,
  partition: Partition,
  record: PaymentIntentRecord,
  reason: Stripe.PaymentIntent.CancellationReason,
  origin: Origin,
): void {
  record.intent.status = 'canceled';
  record.intent.canceled_at = sim.now();
  record.intent.cancellation_reason = reason;

  const payment = invoicePaymentOf(partition, record.intent.id);
  if (payment !== undefined && payment.status === 'open') {
    payment.status = 'canceled';
    payment.status_transitions.canceled_at = sim.now();
  }
  sim.emit(partition, origin, 'payment_intent.canceled', record.intent);
}

/** A failed attempt leaves the invoice open and counts the attempt. */
export function recordFailedAttempt(
  sim: Simulation,
  partition: Partition,
  intentRecord: PaymentIntentRecord,
  origin: Origin,
): void {
  const record =
    intentRecord.invoiceId === null ? undefined : partition.invoices.get(intentRecord.invoiceId);
  if (record === undefined) {
    return;
  }

  record.invoice.attempted = true;
  record.invoice.attempt_count += 1;
  sim.emit(partition, origin, 'invoice.payment_failed', record.invoice);
}

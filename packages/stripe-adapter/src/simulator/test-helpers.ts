import type Stripe from 'stripe';
import type { PaymentOutcome, TestHelpers } from './api';
import { defaultIntent } from './engine/invoice-settlement';
import { failBankDebit, settleBankDebit } from './engine/payments';
import { TEST_BANK_ACCOUNTS, TEST_CARDS } from './engine/test-instruments';
import { completeOnboarding, restrictAccount } from './resources/accounts';
import { closeDispute, openDispute } from './resources/disputes';
import { payInvoice } from './resources/invoice-lifecycle';
import { failRefund, succeedRefund } from './resources/refunds';
import { AUTOMATIC, type Simulation, wire } from './state/simulation';
import type { Partition } from './state/store';

/** Run `work` now; answer with a wire copy of its result, or reject with what it threw. */
function act<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(wire(work()));
  } catch (error) {
    return Promise.reject(error);
  }
}

function located<T>(
  sim: Simulation,
  kind: string,
  id: string,
  pick: (partition: Partition) => ReadonlyMap<string, T>,
): { partition: Partition; value: T } {
  const partition = sim.locate(id, pick);
  const value = partition === null ? undefined : pick(partition).get(id);
  if (partition === null || value === undefined) {
    throw new Error(`No ${kind} ${id} in the simulator`);
  }
  return { partition, value };
}

/** The invoice, its default PaymentIntent and that intent's latest charge, as they are now. */
function outcomeOf(
  partition: Partition,
  invoiceId: string | null,
  intentId: string,
): PaymentOutcome {
  const record = partition.paymentIntents.get(intentId);
  if (record === undefined) {
    throw new Error(`No PaymentIntent ${intentId} in the simulator`);
  }
  const chargeId = record.intent.latest_charge;
  const charge = typeof chargeId === 'string' ? partition.charges.get(chargeId) : undefined;
  return {
    invoice: invoiceId === null ? null : (partition.invoices.get(invoiceId)?.invoice ?? null),
    paymentIntent: record.intent,
    charge: charge ?? null,
  };
}

export function createTestHelpers(sim: Simulation): TestHelpers {
  const payInvoiceWith = (
    invoiceId: string,
    instrument: Parameters<typeof payInvoice>[3],
  ): Promise<PaymentOutcome> =>
    act(() => {
      const { partition, value: record } = located(sim, 'invoice', invoiceId, (p) => p.invoices);
      payInvoice(sim, partition, record, instrument, AUTOMATIC);
      const intent = defaultIntent(partition, record);
      if (intent === undefined) {
        throw new Error(`Invoice ${invoiceId} has no PaymentIntent`);
      }
      return outcomeOf(partition, invoiceId, intent.intent.id);
    });

  const onBankDebit = (
    intentId: string,
    settle: (partition: Partition, record: Parameters<typeof settleBankDebit>[2]) => void,
  ): Promise<PaymentOutcome> =>
    act(() => {
      const { partition, value: record } = located(
        sim,
        'PaymentIntent',
        intentId,
        (p) => p.paymentIntents,
      );
      settle(partition, record);
      return outcomeOf(partition, record.invoiceId, intentId);
    });

  return {
    completeOnboarding: (accountId, options = {}) =>
      act(() => completeOnboarding(sim, accountId, { businessName: options.businessName })),

    restrictAccount: (accountId, options = {}) =>
      act(() =>
        restrictAccount(sim, accountId, {
          currentlyDue: options.currentlyDue,
          disabledReason: options.disabledReason,
        }),
      ),

    payInvoiceWithCard: (invoiceId, options = {}) =>
      payInvoiceWith(invoiceId, { card: options.cardNumber ?? TEST_CARDS.visa }),

    payInvoiceWithBankAccount: (invoiceId, options = {}) =>
      payInvoiceWith(invoiceId, {
        bank: {
          accountNumber: options.accountNumber ?? TEST_BANK_ACCOUNTS.succeeds,
          routingNumber: options.routingNumber ?? TEST_BANK_ACCOUNTS.routingNumber,
        },
      }),

    settleBankPayment: (intentId) =>
      onBankDebit(intentId, (partition, record) => settleBankDebit(sim, partition, record)),

    failBankPayment: (intentId, options = {}) =>
      onBankDebit(intentId, (partition, record) =>
        failBankDebit(sim, partition, record, options.code ?? 'insufficient_funds'),
      ),

    succeedRefund: (refundId) =>
      act((): Stripe.Refund => {
        const { partition, value: refund } = located(sim, 'refund', refundId, (p) => p.refunds);
        succeedRefund(sim, partition, refund);
        return refund;
      }),

    failRefund: (refundId, options = {}) =>
      act((): Stripe.Refund => {
        const { partition, value: refund } = located(sim, 'refund', refundId, (p) => p.refunds);
        failRefund(sim, partition, refund, options.failureReason ?? 'expired_or_canceled_card');
        return refund;
      }),

    openDispute: (chargeId, options = {}) =>
      act(() => {
        const { partition, value: charge } = located(sim, 'charge', chargeId, (p) => p.charges);
        return openDispute(sim, partition, charge, options);
      }),

    closeDispute: (disputeId, outcome) =>
      act(() => {
        const { partition, value } = located(sim, 'dispute', disputeId, (p) => p.disputes);
        return closeDispute(sim, partition, value, outcome);
      }),
  };
}

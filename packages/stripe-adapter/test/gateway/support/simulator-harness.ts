import type { Money } from '@memberpay/core';
import type { PaymentGatewayHarness, SignedWebhook } from '@memberpay/core/testing';
import Stripe from 'stripe';
import { StripePaymentGateway, type StripePaymentGatewayOptions } from '../../../src/index';
import {
  type StripeSimulator,
  type StripeSimulatorOptions,
  startStripeSimulator,
  startWebhookReceiver,
} from '../../../src/simulator/index';

export interface SimulatorHarness extends PaymentGatewayHarness {
  readonly gateway: StripePaymentGateway;
  readonly sim: StripeSimulator;
  /** A plain stripe-node client on the simulator: the Dashboard, or staff scripts. */
  readonly stripe: Stripe;
  /** Builds another gateway on the same simulator and webhook endpoints. */
  gatewayWith(options: Partial<StripePaymentGatewayOptions>): StripePaymentGateway;
}

/**
 * The Stripe gateway on a fresh simulator, with a platform and a Connect webhook endpoint
 * both delivering to one local receiver. Bank debits stay in flight until settled by hand.
 */
export async function simulatorHarness(
  options: {
    readonly simulator?: StripeSimulatorOptions;
    readonly gateway?: Partial<StripePaymentGatewayOptions>;
  } = {},
): Promise<SimulatorHarness> {
  const sim = await startStripeSimulator({
    port: 0,
    bankSettlementDelayMs: null,
    ...options.simulator,
  });
  const receiver = await startWebhookReceiver();
  const platform = sim.webhooks.addEndpoint({ url: receiver.url });
  const connect = sim.webhooks.addEndpoint({ url: receiver.url, connect: true });

  const gatewayWith = (overrides: Partial<StripePaymentGatewayOptions>) =>
    new StripePaymentGateway({
      secretKey: sim.apiKey,
      api: sim.stripeOptions,
      maxNetworkRetries: 0,
      maxRequestsPerSecond: null,
      webhookSecrets: [platform.secret, connect.secret],
      clock: sim.clock,
      sleep: async () => undefined,
      ...options.gateway,
      ...overrides,
    } as StripePaymentGatewayOptions);

  const stripe = new Stripe(sim.apiKey, { ...sim.stripeOptions, maxNetworkRetries: 0 });
  const bankPayments = new Map<string, string>();
  let taken = 0;

  return {
    gateway: gatewayWith({}),
    gatewayWith,
    sim,
    stripe,
    now: () => sim.clock.now(),
    completeOnboarding: async (accountId) => {
      await sim.testHelpers.completeOnboarding(accountId);
    },
    payByCard: async (invoiceId) => {
      await sim.testHelpers.payInvoiceWithCard(invoiceId);
    },
    payByBank: async (invoiceId) => {
      const outcome = await sim.testHelpers.payInvoiceWithBankAccount(invoiceId);
      bankPayments.set(invoiceId, outcome.paymentIntent.id);
    },
    settleBankPayment: async (invoiceId) => {
      const intentId = bankPayments.get(invoiceId);
      if (intentId === undefined) {
        throw new Error(`no bank payment was made for ${invoiceId}`);
      }
      await sim.testHelpers.settleBankPayment(intentId);
    },
    refundOutside: async (invoiceId: string, amount: Money) => {
      const payments = await stripe.invoicePayments.list({ invoice: invoiceId, status: 'paid' });
      const intent = payments.data[0]?.payment.payment_intent;
      if (intent === undefined) {
        throw new Error(`${invoiceId} has no paid payment to refund`);
      }
      await stripe.refunds.create({
        payment_intent: typeof intent === 'string' ? intent : intent.id,
        amount: amount.minor,
      });
    },
    takeWebhooks: async (): Promise<readonly SignedWebhook[]> => {
      await sim.webhooks.drain();
      const fresh = receiver.received.slice(taken);
      taken = receiver.received.length;
      return fresh.map((webhook) => ({ rawBody: webhook.body, signature: webhook.signature }));
    },
    sign: (rawBody, signedAt) =>
      Stripe.webhooks.generateTestHeaderString({
        payload: rawBody,
        secret: platform.secret,
        timestamp: Math.floor(signedAt.getTime() / 1000),
      }),
    close: async () => {
      await receiver.close();
      await sim.close();
    },
  };
}

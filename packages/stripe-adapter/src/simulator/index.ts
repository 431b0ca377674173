/**
 * A stateful local Stripe that stripe-node talks to over real HTTP.
 *
 * ```ts
 * const sim = await startStripeSimulator({ port: 0 });
 * const stripe = new Stripe(sim.apiKey, { ...sim.stripeOptions, maxNetworkRetries: 0 });
 * // ... drive the flow, then:
 * await sim.webhooks.drain();
 * await sim.close();
 * ```
 *
 * What it reproduces, and every place where it had to choose because Stripe's behaviour is not
 * documented, is listed in the package README under "Simulator".
 */
import type { StripeSimulator, StripeSimulatorOptions } from './api';
import { startSimulatorServer } from './server';

export type {
  CallLog,
  EventFilter,
  EventLog,
  FaultControls,
  FaultKind,
  FaultRule,
  PaymentOutcome,
  RecordedCall,
  RefundOptions,
  RequestMatch,
  SimulatorClock,
  StripeSimulator,
  StripeSimulatorOptions,
  TestHelpers,
  WebhookControls,
  WebhookDelivery,
  WebhookSettings,
} from './api';
export { TEST_BANK_ACCOUNTS, TEST_CARDS } from './engine/test-instruments';
export type { ReceivedWebhook, WebhookReceiver, WebhookReceiverOptions } from './webhooks/receiver';
export { startWebhookReceiver } from './webhooks/receiver';

/** Start a simulator listening on `options.host`:`options.port`. */
export function startStripeSimulator(
  options: StripeSimulatorOptions = {},
): Promise<StripeSimulator> {
  return startSimulatorServer(options);
}

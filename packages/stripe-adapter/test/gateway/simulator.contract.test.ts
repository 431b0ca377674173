import { describePaymentGatewayContract } from '@memberpay/core/testing';
import { simulatorHarness } from './support/simulator-harness';

describePaymentGatewayContract('StripePaymentGateway on the Stripe simulator', () =>
  simulatorHarness(),
);

export { toGatewayError } from './gateway/errors';
export { METADATA_KEYS } from './gateway/mapping';
export type { StripeCredentials, StripePaymentGatewayOptions } from './gateway/options';
export { readRawBody, type WebhookHttpRequest } from './gateway/raw-body';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './gateway/retry';
export { StripePaymentGateway } from './gateway/stripe-payment-gateway';

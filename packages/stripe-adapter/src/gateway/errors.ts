import { GatewayError, type GatewayErrorKind } from '@memberpay/core';
import Stripe from 'stripe';

/**
 * Turns anything stripe-node throws into one of the gateway's error kinds, keeping Stripe's
 * code, request id and HTTP status, and the original error as `cause`. Branches on the error
 * class and status only, never on message text, which Stripe may reword.
 */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) {
    return error;
  }

  if (!(error instanceof Stripe.errors.StripeError)) {
    // Not a vendor failure at all (a bug, or a value stripe-node refused before sending):
    // retrying the same call cannot help.
    const message = error instanceof Error ? error.message : String(error);
    return new GatewayError('invalid_request', `Stripe call failed: ${message}`, { cause: error });
  }

  const kind = kindOf(error);
  return new GatewayError(kind, error.message, {
    code: error.code ?? null,
    requestId: error.requestId ?? null,
    statusCode: error.statusCode ?? null,
    cause: error,
  });
}

function kindOf(error: Stripe.errors.StripeError): GatewayErrorKind {
  const status = error.statusCode;

  if (error instanceof Stripe.errors.StripeRateLimitError) {
    return 'rate_limited';
  }

  if (error instanceof Stripe.errors.StripeIdempotencyError) {
    return 'idempotency_mismatch';
  }

  if (error instanceof Stripe.errors.StripeConnectionError) {
    return 'unavailable';
  }

  if (
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError
  ) {
    return 'authentication';
  }

  if (error instanceof Stripe.errors.StripeCardError) {
    return 'declined';
  }

  if (status === 404 || error.code === 'resource_missing') {
    return 'not_found';
  }

  if (status === 409) {
    return 'conflict';
  }

  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    return 'invalid_request';
  }

  // StripeAPIError and anything newer: 5xx, 424, a body that was not JSON.
  return 'unavailable';
}

/**
 * How long Stripe asked us to wait before trying again (`Retry-After`, in seconds or as an
 * HTTP date), or null when it said nothing.
 */
export function retryAfterMs(error: GatewayError, now: Date): number | null {
  const cause = error.cause;
  if (!(cause instanceof Stripe.errors.StripeError) || !cause.headers) {
    return null;
  }

  const value = cause.headers['retry-after'];
  if (value === undefined || value === '') {
    return null;
  }

  const seconds = Number(value);
  if (Number.isFinite(seconds)) {
    return Math.max(0, seconds * 1000);
  }

  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

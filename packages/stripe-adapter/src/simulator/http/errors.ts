/**
 * Stripe's error responses. Handlers throw `StripeApiError` anywhere in the work of a request
 * and the server turns it into Stripe's error body: an error here is the simulator's product,
 * sent over the wire, not a failure of the simulator.
 */
export type StripeErrorType =
  | 'api_error'
  | 'card_error'
  | 'idempotency_error'
  | 'invalid_request_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: { id: string; object: 'payment_intent' };
}

/** Codes of 400s Stripe rejects before any work begins; idempotency does not store them. */
const VALIDATION_CODES = new Set([
  'parameter_missing',
  'parameter_unknown',
  'parameter_invalid_integer',
  'parameter_invalid_empty',
  'parameter_invalid_string_empty',
  'parameters_exclusive',
]);

export class StripeApiError extends Error {
  readonly status: number;
  readonly body: StripeErrorBody;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, body: StripeErrorBody, headers: Record<string, string> = {}) {
    super(body.message);
    this.status = status;
    this.body = body.code
      ? {
          ...body,
          doc_url: `https://docs.stripe.com/error-codes/${body.code.replaceAll('_', '-')}`,
        }
      : body;
    this.headers = headers;
  }

  /** Whether the request was turned away before its work began (not kept for idempotency). */
  get rejectedBeforeWork(): boolean {
    return this.status === 401 || VALIDATION_CODES.has(this.body.code ?? '');
  }
}

export function invalidRequest(
  message: string,
  details: { code?: string; param?: string; status?: number } = {},
): StripeApiError {
  const { status = 400, ...rest } = details;
  return new StripeApiError(status, { type: 'invalid_request_error', message, ...rest });
}

/** 404 for the object a path names; 400 for an object a parameter names, as Stripe answers. */
export function resourceMissing(kind: string, id: string, param = 'id'): StripeApiError {
  return invalidRequest(`No such ${kind}: '${id}'`, {
    status: param === 'id' ? 404 : 400,
    code: 'resource_missing',
    param,
  });
}

export function parameterMissing(param: string): StripeApiError {
  return invalidRequest(`The parameter ${param} is required.`, {
    code: 'parameter_missing',
    param,
  });
}

export function parameterInvalid(param: string, message: string, code?: string): StripeApiError {
  return invalidRequest(message, code === undefined ? { param } : { code, param });
}

/** A transition the invoice's current status does not allow; Stripe's code for it is unknown. */
export function invalidTransition(message: string): StripeApiError {
  return invalidRequest(message);
}

export function apiError(status: number, message: string): StripeApiError {
  return new StripeApiError(status, { type: 'api_error', message });
}

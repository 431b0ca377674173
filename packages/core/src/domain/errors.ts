/**
 * Every refusal the SDK returns carries one of these stable codes. Hosts branch on the code;
 * the message is for people and may be reworded.
 */
export type ErrorCode =
  | 'MONEY.INVALID_FORMAT'
  | 'MONEY.TOO_PRECISE'
  | 'MONEY.OUT_OF_RANGE'
  | 'MONEY.BELOW_MINIMUM_CHARGE'
  | 'MONEY.ABOVE_MAXIMUM_CHARGE'
  | 'INPUT.INVALID'
  | 'ORGANIZATION.NOT_FOUND'
  | 'ORGANIZATION.ALREADY_EXISTS'
  | 'ORGANIZATION.PAYOUT_ACCOUNT_EXISTS'
  | 'ORGANIZATION.NO_PAYOUT_ACCOUNT'
  | 'ORGANIZATION.CURRENCY_LOCKED'
  | 'MEMBER.NOT_FOUND'
  | 'MEMBER.ALREADY_EXISTS'
  | 'CLAIM.NOT_FOUND'
  | 'CLAIM.ALREADY_EXISTS'
  | 'CLAIM.MEMBER_MISMATCH'
  | 'REQUEST.NOT_FOUND'
  | 'REQUEST.AMOUNT_NOT_POSITIVE'
  | 'REQUEST.CURRENCY_MISMATCH'
  | 'REQUEST.NOT_EDITABLE'
  | 'REQUEST.TRANSITION_REFUSED'
  | 'REQUEST.CANCEL_REFUSED'
  | 'REQUEST.DELETE_REFUSED'
  | 'REQUEST.BUSY'
  | 'STORAGE.CONFLICT'
  | 'STORAGE.DUPLICATE'
  | 'STORAGE.UNAVAILABLE'
  | 'STORAGE.FAILED'
  | 'GATEWAY.FAILED'
  | 'WEBHOOK.INVALID'
  | 'BATCH.NOT_DUE'
  | 'BATCH.UNEXPECTED_ERROR'
  | 'REMITTANCE.INVALID';

/**
 * An expected failure, returned inside a `Result`, never thrown. `details` holds the values a
 * program may need (ids, states, field paths); it never holds member names or contact data.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }

  override toString(): string {
    return `${this.code}: ${this.message}`;
  }
}

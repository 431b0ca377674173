import type {
  ClaimId,
  ClaimPaymentId,
  OrganizationId,
  PaymentRequestId,
  RemittanceId,
} from './ids';

/**
 * A remittance as core accepts it: plain data with integer cents, so that any parser can
 * produce it (`@memberpay/era-835` maps its parsed 835 to this shape). Core validates it on
 * the way in: unknown fields are refused, dates must be calendar dates.
 */
export interface RemittanceInput {
  /**
   * `electronic` for an 835; `paper` for an EOB keyed in by staff, which never drives
   * automation.
   */
  readonly source: 'electronic' | 'paper';
  /** The payer's identifier for the payment (TRN03; falls back to the payer id of N1*PR). */
  readonly payerId: string;
  readonly payerName: string | null;
  /** Check or EFT trace number (TRN02); unique per payer and payee. */
  readonly traceNumber: string;
  /** `YYYY-MM-DD`, the payment or production date when known. */
  readonly paymentDate: string | null;
  readonly currency: 'usd';
  readonly claimPayments: readonly ClaimPaymentInput[];
}

export interface ClaimPaymentInput {
  /** CLP01: the patient control number we submitted. */
  readonly patientControlNumber: string;
  /** CLP02: claim status code (1, 2, 3, 4, 19, 20, 21, 22, 23, 25 ...). */
  readonly statusCode: string;
  /** CLP03 and CLP04; negative only on a reversal (CLP02 22). */
  readonly chargeCents: number;
  readonly paidCents: number;
  /** CLP07: the payer's claim control number, when present. */
  readonly payerClaimControlNumber: string | null;
  readonly patientResponsibility: PatientResponsibilityInput;
  /** Member id on the remittance (NM1*QC or NM1*IL), for hosts that create members from it. */
  readonly memberIdentifier: string | null;
  readonly patientName: { readonly first: string | null; readonly last: string | null } | null;
  /** Earliest service date of the claim, `YYYY-MM-DD`, when known. */
  readonly serviceDate: string | null;
  /** Problems the parser found in this claim payment (unbalanced amounts and the like). */
  readonly warnings: readonly string[];
}

/**
 * What the payer says the member owes. `declaredCents` is CLP05 (null when absent);
 * `adjustmentCents` is the sum of group PR adjustments at claim and line level, broken down
 * by reason. Outside a reversal both totals are zero or more; a reason's share may be
 * negative (a secondary payer taking off what the primary counted).
 */
export interface PatientResponsibilityInput {
  readonly declaredCents: number | null;
  readonly adjustmentCents: number;
  readonly deductibleCents: number;
  readonly coinsuranceCents: number;
  readonly copayCents: number;
  readonly otherCents: number;
}

/**
 * A remittance the organization received, stored once per source, payer and trace number: a
 * paper EOB is kept apart from the 835 of the same payment.
 */
export interface RemittanceRecord {
  readonly id: RemittanceId;
  readonly organizationId: OrganizationId;
  readonly source: 'electronic' | 'paper';
  readonly payerId: string;
  readonly payerName: string | null;
  readonly traceNumber: string;
  readonly paymentDate: string | null;
  readonly receivedAt: Date;
}

export type ClaimPaymentOutcome =
  | 'created'
  | 'changed'
  | 'canceled'
  | 'held_for_review'
  | 'recorded'
  | 'unmatched'
  | 'skipped'
  | 'duplicate';

/** One claim payment of a remittance, kept once per claim-payment key with what it caused. */
export interface ClaimPaymentRecord {
  readonly id: ClaimPaymentId;
  readonly organizationId: OrganizationId;
  readonly remittanceId: RemittanceId;
  /**
   * Payer id, trace number, CLP01, CLP07 and CLP02, prefixed `paper|` for a paper EOB: the
   * same key never applies twice.
   */
  readonly key: string;
  readonly claimId: ClaimId | null;
  readonly requestId: PaymentRequestId | null;
  readonly patientControlNumber: string;
  readonly statusCode: string;
  /** CLP03 and CLP04; negative only on a reversal (CLP02 22). */
  readonly chargeCents: number;
  readonly paidCents: number;
  readonly patientResponsibilityCents: number | null;
  readonly outcome: ClaimPaymentOutcome;
  readonly reason: string;
  readonly recordedAt: Date;
}

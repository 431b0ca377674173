import { money, toDecimalString } from './money';
import type { HoldCode } from './payment-request';
import type { ClaimPaymentInput, RemittanceInput } from './remittance';

/** CLP02 claim status codes, grouped by what they mean for the member's bill. */
export const CLAIM_STATUS = {
  processed: ['1', '2', '3'],
  denied: ['4'],
  forwarded: ['19', '20', '21'],
  reversal: ['22'],
  notOurs: ['23'],
  predetermination: ['25'],
} as const;

export type RemittanceDecision =
  /** Recorded only: automation is off for the organization, or the remittance came on paper. */
  | { readonly action: 'record'; readonly reason: string }
  /** Nothing to bill the member for this claim payment. */
  | { readonly action: 'skip'; readonly reason: string }
  /** A reversal with no correction after it: what was billed for the claim is withdrawn. */
  | { readonly action: 'withdraw'; readonly reason: string }
  /**
   * The member owes `amountMinor` for the claim (zero included: a correction that brings the
   * bill to nothing). A request is created, or the claim's earlier request restated.
   * `mismatch`: the stated total and the PR adjustments disagree, so the amount is in doubt.
   */
  | {
      readonly action: 'bill';
      readonly amountMinor: number;
      readonly hold: HoldCode | null;
      readonly mismatch: boolean;
      readonly reason: string;
    };

export interface DecisionInput {
  readonly claimPayment: ClaimPaymentInput;
  readonly source: RemittanceInput['source'];
  readonly automationEnabled: boolean;
  /** What the member paid at the visit for this claim. */
  readonly collectedAtVisitMinor: number;
  /** Another claim payment in the same remittance corrects this one (a reversal's pair). */
  readonly corrected: boolean;
}

/**
 * What the payer says the member owes: the declared total (CLP05) when present, otherwise the
 * sum of the group PR adjustments. When both are present and differ, the declared total is
 * billed but held for staff to review: CLP05 is not part of balancing, so neither number can
 * be trusted over the other without a person looking.
 */
export function patientResponsibility(claimPayment: ClaimPaymentInput): {
  readonly owedMinor: number;
  readonly mismatch: boolean;
} {
  const { declaredCents, adjustmentCents } = claimPayment.patientResponsibility;
  if (declaredCents === null) {
    return { owedMinor: adjustmentCents, mismatch: false };
  }

  return { owedMinor: declaredCents, mismatch: declaredCents !== adjustmentCents };
}

/**
 * The remittance rules, as a biller applies them. Each row of the table in the core README is
 * one branch here, in the same order.
 */
export function decide(input: DecisionInput): RemittanceDecision {
  const { claimPayment } = input;
  const status = claimPayment.statusCode;

  if (input.source === 'paper') {
    return { action: 'record', reason: 'paper remittance: recorded, never automated' };
  }

  if (!input.automationEnabled) {
    return { action: 'record', reason: 'remittance automation is off for the organization' };
  }

  if (is(status, CLAIM_STATUS.denied)) {
    return { action: 'skip', reason: 'claim denied: not billed to the member; staff follow up' };
  }

  if (is(status, CLAIM_STATUS.forwarded)) {
    return {
      action: 'skip',
      reason: 'forwarded to another payer: the member is billed after that payer remits',
    };
  }

  if (is(status, CLAIM_STATUS.notOurs)) {
    return { action: 'skip', reason: 'not our claim according to the payer: not billed' };
  }

  if (is(status, CLAIM_STATUS.predetermination)) {
    return { action: 'skip', reason: 'predetermination only: nothing was paid or owed' };
  }

  if (is(status, CLAIM_STATUS.reversal)) {
    return input.corrected
      ? { action: 'skip', reason: 'reversal corrected in this remittance' }
      : {
          action: 'withdraw',
          reason: 'payer reversed the claim with no correction in this remittance',
        };
  }

  if (!is(status, CLAIM_STATUS.processed)) {
    return {
      action: 'skip',
      reason: `claim status ${status} is not one the rules bill; staff decide`,
    };
  }

  const { owedMinor, mismatch } = patientResponsibility(claimPayment);
  if (mismatch) {
    // A stated total of zero with PR adjustments is a payer error (RFI 396): the adjustments
    // are the evidence staff review. Otherwise the stated total is what staff review.
    const { adjustmentCents } = claimPayment.patientResponsibility;
    const reviewed = owedMinor > 0 ? owedMinor : adjustmentCents;
    return {
      action: 'bill',
      amountMinor: Math.max(0, reviewed - input.collectedAtVisitMinor),
      hold: 'needs_review',
      mismatch: true,
      reason:
        `patient responsibility mismatch: the payer states ${amount(owedMinor)} ` +
        `but its PR adjustments add up to ${amount(adjustmentCents)}`,
    };
  }

  const netMinor = Math.max(0, owedMinor - input.collectedAtVisitMinor);

  const collected =
    input.collectedAtVisitMinor > 0
      ? ` less ${amount(input.collectedAtVisitMinor)} paid at the visit`
      : '';
  return {
    action: 'bill',
    amountMinor: netMinor,
    hold: null,
    mismatch: false,
    reason: `processed claim: patient responsibility ${amount(owedMinor)}${collected}`,
  };
}

/**
 * An 835 amount as staff read it in a reason (`25.00`). Remittance amounts always have two
 * decimals, whatever the organization bills in; Intl's formatter is left out of this hot path.
 */
function amount(cents: number): string {
  return toDecimalString(money(cents));
}

function is(status: string, codes: readonly string[]): boolean {
  return codes.includes(status);
}

/** What identifies a remittance: its source, payer and trace number. */
export type RemittanceIdentity = Pick<RemittanceInput, 'source' | 'payerId' | 'traceNumber'>;

/** Marks the keys of paper remittances, which electronic ones never carry. */
const PAPER = 'paper|';

/**
 * Identifies a claim payment: payer, trace number, CLP01, CLP07 and CLP02. A paper EOB keyed
 * in by staff gets keys of its own (`paper|...`), so that it never stands for the 835 of the
 * same payment, which alone drives automation. Electronic keys keep the format they are
 * stored under.
 */
export function claimPaymentKey(
  remittance: RemittanceIdentity,
  claimPayment: ClaimPaymentInput,
): string {
  const key = [
    remittance.payerId,
    remittance.traceNumber,
    claimPayment.patientControlNumber,
    claimPayment.payerClaimControlNumber ?? '',
    claimPayment.statusCode,
  ].join('|');
  return remittance.source === 'paper' ? `${PAPER}${key}` : key;
}

/**
 * How a claim payment stands beside the others for the same claim (CLP01) in one remittance:
 * - `plain`: billed by its own status (the only one for its claim, or a reversal's correction);
 * - `corrected`: a reversal whose correction is in the remittance, before or after it; the
 *   correction restates the bill once;
 * - `netted`: a payment and its own reversal (same CLP07, charge, payment and member's share
 *   negated, the payment first), which leave the claim as it was;
 * - `tangled`: more than one payment for the claim besides those, which do not pair as a
 *   reversal and its correction (a claim split in two, a reversal and a denial): staff apply
 *   them, since billing one by one would let the last restate the claim alone.
 * A repeat of an earlier claim payment's key counts once; ingestion tells it apart.
 */
export type Pairing = 'plain' | 'corrected' | 'netted' | 'tangled';

export function pairClaimPayments(
  remittance: RemittanceIdentity,
  claimPayments: readonly ClaimPaymentInput[],
): Pairing[] {
  const keys = claimPayments.map((claimPayment) => claimPaymentKey(remittance, claimPayment));
  return pairByKeys(claimPayments, keys);
}

/** {@link pairClaimPayments} with each claim payment's key already made. */
export function pairByKeys(
  claimPayments: readonly ClaimPaymentInput[],
  keys: readonly string[],
): Pairing[] {
  const pairings: Pairing[] = claimPayments.map(() => 'plain');
  const byClaim = new Map<string, number[]>();
  const seen = new Set<string>();
  claimPayments.forEach((claimPayment, index) => {
    const key = keys[index] as string;
    if (seen.has(key)) {
      return;
    }

    seen.add(key);
    const indexes = byClaim.get(claimPayment.patientControlNumber) ?? [];
    indexes.push(index);
    byClaim.set(claimPayment.patientControlNumber, indexes);
  });

  for (const indexes of byClaim.values()) {
    if (indexes.length < 2) {
      continue;
    }

    const left = withoutNetted(claimPayments, indexes, pairings);
    const statusOf = (index: number) => (claimPayments[index] as ClaimPaymentInput).statusCode;
    const reversals = left.filter((index) => is(statusOf(index), CLAIM_STATUS.reversal));
    const processed = left.filter((index) => is(statusOf(index), CLAIM_STATUS.processed));
    if (left.length === 2 && reversals.length === 1 && processed.length === 1) {
      pairings[reversals[0] as number] = 'corrected';
    } else if (left.length > 1) {
      for (const index of left) {
        pairings[index] = 'tangled';
      }
    }
  }
  return pairings;
}

/** What the payer says the member owes: the stated total, else the PR adjustments. */
function owedOf(claimPayment: ClaimPaymentInput): number {
  const { declaredCents, adjustmentCents } = claimPayment.patientResponsibility;
  return declaredCents ?? adjustmentCents;
}

/**
 * Marks each payment reversed later in the same remittance, and its reversal, as netted: the
 * same CLP07 (or none on both) and every amount negated, the member's share included.
 */
function withoutNetted(
  claimPayments: readonly ClaimPaymentInput[],
  indexes: readonly number[],
  pairings: Pairing[],
): number[] {
  const netted = new Set<number>();
  for (const r of indexes) {
    const reversal = claimPayments[r] as ClaimPaymentInput;
    if (!is(reversal.statusCode, CLAIM_STATUS.reversal)) {
      continue;
    }

    const original = indexes.find((p) => {
      const payment = claimPayments[p] as ClaimPaymentInput;
      return (
        p < r &&
        !netted.has(p) &&
        is(payment.statusCode, CLAIM_STATUS.processed) &&
        payment.payerClaimControlNumber === reversal.payerClaimControlNumber &&
        payment.chargeCents === -reversal.chargeCents &&
        payment.paidCents === -reversal.paidCents &&
        owedOf(payment) === -owedOf(reversal)
      );
    });
    if (original !== undefined) {
      netted.add(original);
      netted.add(r);
    }
  }

  for (const index of netted) {
    pairings[index] = 'netted';
  }
  return indexes.filter((index) => !netted.has(index));
}

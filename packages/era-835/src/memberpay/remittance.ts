import type { ClaimPaymentInput, RemittanceInput } from '@memberpay/core';
import { err, ok, type Result } from 'neverthrow';
import type { ClaimPayment, SegmentPosition, Transaction } from '../model';

/** Why a transaction set cannot become a remittance for memberpay. */
export interface RemittanceMappingError {
  readonly kind: 'MISSING_TRACE_NUMBER' | 'MISSING_PAYER_ID';
  readonly message: string;
  /** ST02 of the transaction set, when it has one. */
  readonly transactionControlNumber: string | null;
  readonly position: SegmentPosition;
}

/**
 * One 835 transaction set as the remittance memberpay ingests: TRN03 (or the N1*PR
 * identifier) as payer, TRN02 as trace number, and each claim payment with what the member
 * owes. Refused only when the trace number or every payer identifier is missing, since the
 * pair is what makes a remittance unique.
 */
export function toRemittanceInput(
  transaction: Transaction,
): Result<RemittanceInput, RemittanceMappingError> {
  const traceNumber = transaction.trace?.traceNumber ?? null;
  if (traceNumber === null) {
    return err(problem(transaction, 'MISSING_TRACE_NUMBER', 'the transaction set has no TRN02'));
  }
  const payerId = transaction.trace?.payerIdentifier ?? transaction.payer?.id ?? null;
  if (payerId === null) {
    return err(
      problem(
        transaction,
        'MISSING_PAYER_ID',
        'the transaction set has no TRN03 or N1*PR identifier',
      ),
    );
  }

  return ok({
    source: 'electronic',
    payerId,
    payerName: transaction.payer?.name ?? null,
    traceNumber,
    paymentDate: transaction.payment?.date ?? transaction.productionDate,
    currency: 'usd',
    claimPayments: transaction.claims.map(toClaimPaymentInput),
  });
}

/** One claim payment as memberpay ingests it; its diagnostics become its warnings. */
export function toClaimPaymentInput(claim: ClaimPayment): ClaimPaymentInput {
  const patient = claim.patient;
  const named = patient !== null && (patient.firstName !== null || patient.lastName !== null);
  const responsibility = claim.patientResponsibility;
  return {
    patientControlNumber: claim.patientControlNumber,
    statusCode: claim.statusCode,
    chargeCents: claim.chargeCents,
    paidCents: claim.paidCents,
    payerClaimControlNumber: claim.payerClaimControlNumber,
    patientResponsibility: {
      declaredCents: responsibility.declaredCents,
      adjustmentCents: responsibility.adjustmentCents,
      deductibleCents: responsibility.deductibleCents,
      coinsuranceCents: responsibility.coinsuranceCents,
      copayCents: responsibility.copayCents,
      otherCents: responsibility.otherCents,
    },
    memberIdentifier: patient?.id ?? claim.insured?.id ?? null,
    patientName: named ? { first: patient.firstName, last: patient.lastName } : null,
    serviceDate: earliestServiceDate(claim),
    warnings: claim.diagnostics.map((diagnostic) => diagnostic.message),
  };
}

/** The statement start or the earliest line date; `YYYY-MM-DD` text sorts as dates do. */
function earliestServiceDate(claim: ClaimPayment): string | null {
  let earliest = claim.statementStartDate;
  for (const line of claim.serviceLines) {
    const date = line.serviceDate;
    if (date !== null && (earliest === null || date < earliest)) earliest = date;
  }
  return earliest;
}

function problem(
  transaction: Transaction,
  kind: RemittanceMappingError['kind'],
  message: string,
): RemittanceMappingError {
  return {
    kind,
    message,
    transactionControlNumber: transaction.controlNumber,
    position: transaction.position,
  };
}

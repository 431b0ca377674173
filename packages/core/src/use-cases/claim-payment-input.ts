import { ok, type Result } from 'neverthrow';
import { z } from 'zod';
import type { DomainError } from '../domain/errors';
import { isLocalDate } from '../domain/local-date';
import type { ClaimPaymentInput, PatientResponsibilityInput } from '../domain/remittance';
import { CLAIM_STATUS } from '../domain/remittance-rules';
import { validate } from './context';

/** Longest patient control number (CLP01), claim status code (CLP02) and CLP07 accepted. */
const MAX_PATIENT_CONTROL_NUMBER = 38;
const MAX_STATUS_CODE = 2;
const MAX_PAYER_CLAIM_CONTROL_NUMBER = 50;

const cents = z.number().int().refine(Number.isSafeInteger, { message: 'must be a safe integer' });

export const localDateSchema = z.string().refine(isLocalDate, {
  message: 'must be a calendar date written YYYY-MM-DD',
});

/**
 * A claim payment as a host hands it in. `plainClaimPayment` below is a faster reading of the
 * same rules for well-formed input: it must accept nothing this schema refuses, so a rule
 * made stricter here is made stricter there too.
 */
export const claimPaymentSchema = z
  .strictObject({
    patientControlNumber: z.string().trim().min(1).max(MAX_PATIENT_CONTROL_NUMBER),
    statusCode: z.string().trim().min(1).max(MAX_STATUS_CODE),
    chargeCents: cents,
    paidCents: cents,
    payerClaimControlNumber: z.string().max(MAX_PAYER_CLAIM_CONTROL_NUMBER).nullable(),
    patientResponsibility: z.strictObject({
      declaredCents: cents.nullable(),
      adjustmentCents: cents,
      deductibleCents: cents,
      coinsuranceCents: cents,
      copayCents: cents,
      otherCents: cents,
    }),
    memberIdentifier: z.string().nullable(),
    patientName: z
      .strictObject({ first: z.string().nullable(), last: z.string().nullable() })
      .nullable(),
    serviceDate: localDateSchema.nullable(),
    warnings: z.array(z.string()),
  })
  .superRefine((claimPayment, context) => {
    if (totalsAllowed(claimPayment)) {
      return;
    }

    const { declaredCents, adjustmentCents } = claimPayment.patientResponsibility;
    const totals: Array<[string[], number | null]> = [
      [['chargeCents'], claimPayment.chargeCents],
      [['paidCents'], claimPayment.paidCents],
      [['patientResponsibility', 'declaredCents'], declaredCents],
      [['patientResponsibility', 'adjustmentCents'], adjustmentCents],
    ];
    for (const [path, value] of totals) {
      if (value !== null && value < 0) {
        context.addIssue({
          code: 'custom',
          path,
          message:
            `must not be negative on a claim payment with status ${claimPayment.statusCode} ` +
            '(only a reversal, status 22, takes money back)',
        });
      }
    }
  });

/**
 * A payer takes money back only by reversing the claim: a negative total anywhere else is a
 * mapping or keying error, and billing from it would put a negative bill on the claim. The
 * itemized amounts by reason may be negative (a secondary payer's CARC 23 takes off what the
 * primary already counted); only their sum has to be positive.
 */
function totalsAllowed(claimPayment: {
  readonly statusCode: string;
  readonly chargeCents: number;
  readonly paidCents: number;
  readonly patientResponsibility: Pick<
    PatientResponsibilityInput,
    'declaredCents' | 'adjustmentCents'
  >;
}): boolean {
  const { declaredCents, adjustmentCents } = claimPayment.patientResponsibility;
  const noneNegative =
    claimPayment.chargeCents >= 0 &&
    claimPayment.paidCents >= 0 &&
    (declaredCents ?? 0) >= 0 &&
    adjustmentCents >= 0;
  return noneNegative || CLAIM_STATUS.reversal.includes(claimPayment.statusCode as '22');
}

/**
 * Checks the `index`-th claim payment (from 0) of a remittance; the error names every field
 * that is wrong and the claim payment's place (from 1).
 */
export function checkClaimPayment(
  raw: unknown,
  index: number,
): Result<ClaimPaymentInput, DomainError> {
  const plain = plainClaimPayment(raw);
  return plain ? ok(plain) : validate(claimPaymentSchema, raw, `claim payment ${index + 1}`);
}

const CLAIM_PAYMENT_KEYS = new Set(Object.keys(claimPaymentSchema.shape));
const RESPONSIBILITY_KEYS = new Set(
  Object.keys(claimPaymentSchema.shape.patientResponsibility.shape),
);
const NAME_KEYS = new Set(['first', 'last']);

/**
 * What `claimPaymentSchema` makes of `raw` when `raw` passes it as it stands, with nothing to
 * trim; null for anything else, which the schema then checks and explains. Remittances carry
 * hundreds of thousands of claim payments and nearly all are well formed: this reading of the
 * rules allocates only the copy it returns (the schema copies too), where the schema's own run
 * costs several times the time and about 4 KB of short-lived objects for each.
 *
 * Each field is read once and the copy is made from what was read, as the schema does.
 */
function plainClaimPayment(raw: unknown): ClaimPaymentInput | null {
  if (!isRecord(raw) || !onlyKeys(raw, CLAIM_PAYMENT_KEYS)) {
    return null;
  }

  const { patientControlNumber, statusCode, chargeCents, paidCents } = raw;
  if (
    !isTrimmed(patientControlNumber, MAX_PATIENT_CONTROL_NUMBER) ||
    !isTrimmed(statusCode, MAX_STATUS_CODE) ||
    !isCents(chargeCents) ||
    !isCents(paidCents)
  ) {
    return null;
  }

  const { payerClaimControlNumber, memberIdentifier, serviceDate } = raw;
  const payerClaimControlNumberValid =
    payerClaimControlNumber === null ||
    (typeof payerClaimControlNumber === 'string' &&
      payerClaimControlNumber.length <= MAX_PAYER_CLAIM_CONTROL_NUMBER);
  const serviceDateValid =
    serviceDate === null || (typeof serviceDate === 'string' && isLocalDate(serviceDate));
  if (!payerClaimControlNumberValid || !isStringOrNull(memberIdentifier) || !serviceDateValid) {
    return null;
  }

  const patientResponsibility = plainResponsibility(raw.patientResponsibility);
  const patientName = plainName(raw.patientName);
  const warnings = plainStrings(raw.warnings);
  if (patientResponsibility === null || patientName === undefined || warnings === null) {
    return null;
  }

  const claimPayment: ClaimPaymentInput = {
    patientControlNumber,
    statusCode,
    chargeCents,
    paidCents,
    payerClaimControlNumber,
    patientResponsibility,
    memberIdentifier,
    patientName,
    serviceDate,
    warnings,
  };
  return totalsAllowed(claimPayment) ? claimPayment : null;
}

function plainResponsibility(raw: unknown): PatientResponsibilityInput | null {
  if (!isRecord(raw) || !onlyKeys(raw, RESPONSIBILITY_KEYS)) {
    return null;
  }

  const {
    declaredCents,
    adjustmentCents,
    deductibleCents,
    coinsuranceCents,
    copayCents,
    otherCents,
  } = raw;
  if (
    (declaredCents !== null && !isCents(declaredCents)) ||
    !isCents(adjustmentCents) ||
    !isCents(deductibleCents) ||
    !isCents(coinsuranceCents) ||
    !isCents(copayCents) ||
    !isCents(otherCents)
  ) {
    return null;
  }

  return {
    declaredCents,
    adjustmentCents,
    deductibleCents,
    coinsuranceCents,
    copayCents,
    otherCents,
  };
}

/** The patient's name copied, null when there is none, undefined when it is malformed. */
function plainName(raw: unknown): ClaimPaymentInput['patientName'] | undefined {
  if (raw === null) {
    return null;
  }

  if (!isRecord(raw) || !onlyKeys(raw, NAME_KEYS)) {
    return undefined;
  }

  const { first, last } = raw;
  return isStringOrNull(first) && isStringOrNull(last) ? { first, last } : undefined;
}

function plainStrings(raw: unknown): string[] | null {
  if (!Array.isArray(raw)) {
    return null;
  }

  const copy: string[] = [];
  for (let index = 0; index < raw.length; index += 1) {
    const item: unknown = raw[index];
    if (typeof item !== 'string') {
      return null;
    }

    copy.push(item);
  }
  return copy;
}

/** What zod takes for an object: anything of type object but null and arrays. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** No key but `keys`, counting inherited enumerable ones, as a strict object counts them. */
function onlyKeys(value: object, keys: ReadonlySet<string>): boolean {
  for (const key in value) {
    if (!keys.has(key)) {
      return false;
    }
  }
  return true;
}

/** What `cents` accepts: a safe integer. */
function isCents(value: unknown): value is number {
  return Number.isSafeInteger(value);
}

function isTrimmed(value: unknown, maxLength: number): value is string {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= maxLength &&
    value.trim() === value
  );
}

function isStringOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/**
 * Every problem the parser reports carries one of these codes. Errors are structural damage
 * (the parser skipped or could not read something); warnings are inconsistencies real files
 * often carry (counts, balancing) while everything was still read.
 */
export type DiagnosticCode =
  /** The input is not X12 at all: no ISA or ST where data starts. */
  | 'NOT_X12'
  /** An ISA whose delimiters cannot be read; everything up to the next ISA is skipped. */
  | 'BROKEN_ISA'
  /** A transaction set other than 835; it is skipped up to its SE. */
  | 'NOT_AN_835'
  /** A segment identifier that is not part of the 835, or not a segment identifier at all. */
  | 'UNKNOWN_SEGMENT'
  /** A known segment where the 835 structure does not allow it; it is ignored. */
  | 'UNEXPECTED_SEGMENT'
  /** A required segment (BPR, TRN) or trailer (SE, GE, IEA) is missing. */
  | 'MISSING_SEGMENT'
  /** A required element is absent; a claim without CLP01 to CLP04 is skipped. */
  | 'MISSING_ELEMENT'
  /** An amount that is not an X12 decimal, has more than two decimal places, or is too large. */
  | 'INVALID_AMOUNT'
  /** A code or date element whose value cannot be right (CAS group, CCYYMMDD date). */
  | 'INVALID_VALUE'
  /** A segment longer than the parser accepts, or input that ends inside a segment. */
  | 'MALFORMED_SEGMENT'
  | 'SEGMENT_COUNT_MISMATCH'
  | 'TRANSACTION_COUNT_MISMATCH'
  | 'GROUP_COUNT_MISMATCH'
  | 'CONTROL_NUMBER_MISMATCH'
  /** Line charge minus line adjustments differs from the line payment (SVC02 - CAS = SVC03). */
  | 'SERVICE_LINE_UNBALANCED'
  /** Claim charge minus all its adjustments differs from its payment (CLP03 - CAS = CLP04). */
  | 'CLAIM_UNBALANCED'
  /** BPR02 differs from the claim payments minus the provider-level adjustments. */
  | 'PAYMENT_UNBALANCED'
  /** CLP05 and the sum of the claim's group PR adjustments are both present and differ. */
  | 'PATIENT_RESPONSIBILITY_MISMATCH'
  /** A composite split on a separator other than ISA16 because the sender used another one. */
  | 'COMPONENT_SEPARATOR_MISMATCH';

export type Severity = 'error' | 'warning';

const WARNINGS: ReadonlySet<DiagnosticCode> = new Set<DiagnosticCode>([
  'SEGMENT_COUNT_MISMATCH',
  'TRANSACTION_COUNT_MISMATCH',
  'GROUP_COUNT_MISMATCH',
  'CONTROL_NUMBER_MISMATCH',
  'SERVICE_LINE_UNBALANCED',
  'CLAIM_UNBALANCED',
  'PAYMENT_UNBALANCED',
  'PATIENT_RESPONSIBILITY_MISMATCH',
  'COMPONENT_SEPARATOR_MISMATCH',
]);

export function severityOf(code: DiagnosticCode): Severity {
  return WARNINGS.has(code) ? 'warning' : 'error';
}

/**
 * One problem, located in the input. `segment` is the 1-based ordinal of the segment among
 * all segments of the input and `offset` the byte offset where it starts (0 and the input
 * length for problems found at the end of the input). `message` repeats the location and
 * says what was expected, for people; programs branch on `code`.
 */
export interface Diagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly segment: number;
  readonly offset: number;
  /** The segment identifier (`CLP`), or null when there was no readable segment. */
  readonly segmentId: string | null;
  /** The element concerned, as `CLP05` or `SVC01-2`, when there is one. */
  readonly element: string | null;
  /** What the parser expected, when that can be said (`SE01 = 17`, `an amount`). */
  readonly expected: string | null;
  /** What it found instead; values are shortened and never hold names. */
  readonly found: string | null;
}

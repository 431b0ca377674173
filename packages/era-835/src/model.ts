import type { Diagnostic } from './diagnostics';

/**
 * The typed model of an X12 835. Amounts are integer cents (negative amounts stay negative),
 * dates are `YYYY-MM-DD`, and an element the sender left out is `null`, never `''` or `0`.
 */

/** Where a segment starts: its 1-based ordinal among all segments and its byte offset. */
export interface SegmentPosition {
  readonly segment: number;
  readonly offset: number;
}

/** The delimiters an interchange declares in its ISA (or that an envelope-less file uses). */
export interface Delimiters {
  readonly element: string;
  readonly component: string;
  /** ISA11 from version 00402 on; null before it and in files without an ISA. */
  readonly repetition: string | null;
  readonly segment: string;
}

export interface InterchangeEnvelope {
  /** ISA13. */
  readonly controlNumber: string | null;
  readonly senderQualifier: string | null;
  readonly senderId: string | null;
  readonly receiverQualifier: string | null;
  readonly receiverId: string | null;
  /** ISA12, such as `00501` or `00401`. */
  readonly versionNumber: string | null;
  /** ISA15: `P` production or `T` test. */
  readonly usageIndicator: string | null;
  readonly delimiters: Delimiters;
  readonly position: SegmentPosition;
}

export interface FunctionalGroupEnvelope {
  /** GS01, `HP` for remittances. */
  readonly functionalIdentifier: string | null;
  readonly senderCode: string | null;
  readonly receiverCode: string | null;
  readonly date: string | null;
  /** GS06. */
  readonly controlNumber: string | null;
  /** GS08, such as `005010X221A1`. */
  readonly version: string | null;
  readonly position: SegmentPosition;
}

/** BPR: the payment (or non-payment) this remittance advises. */
export interface Payment {
  /** BPR01: `I` remittance with payment, `H` notification only, `C`, `D`, `P`, `U`, `X`. */
  readonly handlingCode: string | null;
  /** BPR02; null when absent or unreadable (an error says which). */
  readonly amountCents: number | null;
  /** BPR03: `C` credit or `D` debit. */
  readonly creditDebit: string | null;
  /** BPR04: `ACH`, `CHK`, `FWT`, `BOP` or `NON`. */
  readonly method: string | null;
  /** BPR05: `CCP`, `CTX` ... for ACH payments. */
  readonly format: string | null;
  /** BPR16: the check issue or EFT effective date. */
  readonly date: string | null;
}

/** TRN: the check or EFT trace that, with the payer, identifies the remittance. */
export interface Trace {
  readonly typeCode: string | null;
  /** TRN02: check number or EFT trace number. */
  readonly traceNumber: string;
  /** TRN03: the payer's identifier (usually `1` followed by its tax id). */
  readonly payerIdentifier: string | null;
  readonly supplementalCode: string | null;
}

export interface Reference {
  readonly qualifier: string;
  readonly value: string | null;
}

export interface Address {
  readonly lines: readonly string[];
  readonly city: string | null;
  readonly state: string | null;
  readonly postalCode: string | null;
}

/** PER: who to call, with up to three numbers (`TE` phone, `EX` extension, `EM`, `UR` ...). */
export interface Contact {
  /** PER01: `BL` technical, `CX` claims, `IC` information ... */
  readonly functionCode: string;
  readonly name: string | null;
  readonly numbers: readonly Reference[];
}

/** N1 loop of the payer (`PR`) or payee (`PE`). */
export interface Party {
  readonly name: string | null;
  readonly idQualifier: string | null;
  readonly id: string | null;
  readonly address: Address | null;
  readonly references: readonly Reference[];
  readonly contacts: readonly Contact[];
}

/** NM1 in a claim: patient (`QC`), insured (`IL`), corrected patient (`74`) and others. */
export interface ClaimName {
  /** NM101, the role: `QC`, `IL`, `74`, `82`, `TT`, `PR`, `GB` ... */
  readonly entity: string;
  /** NM102: `1` person, `2` organization. */
  readonly entityType: string | null;
  readonly lastName: string | null;
  readonly firstName: string | null;
  readonly middleName: string | null;
  readonly suffix: string | null;
  readonly idQualifier: string | null;
  readonly id: string | null;
}

/** One reason/amount/quantity triplet of a CAS segment. */
export interface Adjustment {
  /** CAS01: `CO`, `CR`, `OA`, `PI` or `PR`. */
  readonly group: string;
  /** The claim adjustment reason code, such as `45` or `1`. */
  readonly reason: string;
  /** Null when the amount is absent or unreadable (an error says which). */
  readonly amountCents: number | null;
  /** The quantity as sent (X12 decimal text). */
  readonly quantity: string | null;
}

/**
 * What the member owes according to the remittance. `declaredCents` is CLP05 (null when the
 * payer left it out, which is not the same as zero); `adjustmentCents` is the sum of every
 * group PR adjustment of the claim, at claim and line level, split by reason into deductible
 * (1), coinsurance (2), co-pay (3) and everything else.
 */
export interface PatientResponsibility {
  readonly declaredCents: number | null;
  readonly adjustmentCents: number;
  readonly deductibleCents: number;
  readonly coinsuranceCents: number;
  readonly copayCents: number;
  readonly otherCents: number;
}

/** SVC01 or SVC06: the procedure or product the line pays for. */
export interface Procedure {
  /** `HC` (HCPCS/CPT), `AD`, `ER`, `IV`, `N4`, `NU`, `WK`, `ZZ` ... */
  readonly qualifier: string | null;
  readonly code: string | null;
  /** Up to four modifiers, in order. */
  readonly modifiers: readonly string[];
  readonly description: string | null;
}

export interface AmountOf {
  readonly qualifier: string;
  readonly amountCents: number;
}

/** Remark code of a line (LQ). */
export interface Remark {
  readonly qualifier: string | null;
  readonly code: string | null;
}

export interface ServiceLine {
  readonly procedure: Procedure;
  /** SVC02; null only when the sender left it out (an error says so). */
  readonly chargeCents: number | null;
  /** SVC03; null only when the sender left it out (an error says so). */
  readonly paidCents: number | null;
  readonly revenueCode: string | null;
  /** SVC05 as sent (X12 decimal text); null when absent. */
  readonly units: string | null;
  readonly originalProcedure: Procedure | null;
  readonly originalUnits: string | null;
  /** DTM*472, or DTM*150 when the line covers a period. */
  readonly serviceDate: string | null;
  /** DTM*151, the end of the period. */
  readonly serviceEndDate: string | null;
  readonly adjustments: readonly Adjustment[];
  /** AMT*B6. */
  readonly allowedCents: number | null;
  readonly amounts: readonly AmountOf[];
  readonly references: readonly Reference[];
  readonly remarks: readonly Remark[];
}

/** One claim payment (the 2100 loop, from CLP to the next CLP, LX, PLB or SE). */
export interface ClaimPayment {
  /** LX01 of the header the claim sits under, when there is one. */
  readonly headerNumber: string | null;
  /** CLP01: the patient control number the provider submitted. */
  readonly patientControlNumber: string;
  /** CLP02: `1`, `2`, `3` processed, `4` denied, `19`-`21` forwarded, `22` reversal ... */
  readonly statusCode: string;
  readonly chargeCents: number;
  readonly paidCents: number;
  readonly patientResponsibility: PatientResponsibility;
  readonly filingIndicator: string | null;
  /** CLP07: the payer's claim control number. */
  readonly payerClaimControlNumber: string | null;
  readonly facilityTypeCode: string | null;
  readonly frequencyCode: string | null;
  readonly patient: ClaimName | null;
  readonly insured: ClaimName | null;
  /** Every other NM1 of the claim (corrected patient, rendering provider, crossover payer ...). */
  readonly otherNames: readonly ClaimName[];
  /** Claim-level CAS triplets. */
  readonly adjustments: readonly Adjustment[];
  readonly serviceLines: readonly ServiceLine[];
  /** DTM*232, the start of the statement period. */
  readonly statementStartDate: string | null;
  /** DTM*233. */
  readonly statementEndDate: string | null;
  /** DTM*050. */
  readonly receivedDate: string | null;
  /** Claim AMT segments: `AU` coverage, `I` interest, `D8` discount ... */
  readonly amounts: readonly AmountOf[];
  readonly references: readonly Reference[];
  readonly contacts: readonly Contact[];
  readonly position: SegmentPosition;
  /**
   * Problems found in this claim, in input order: the first 100. A claim damaged further
   * reports the rest as problems of its transaction set, so that it cannot fill memory.
   */
  readonly diagnostics: readonly Diagnostic[];
}

/** One PLB adjustment pair; positive amounts reduce the payment, negative ones add to it. */
export interface ProviderAdjustment {
  readonly providerId: string | null;
  readonly fiscalPeriodDate: string | null;
  /** PLB03-1: `WO` overpayment recovery, `L6` interest, `FB` forwarding balance ... */
  readonly reason: string;
  /** PLB03-2, often the claim the adjustment concerns; never attached to that claim. */
  readonly reference: string | null;
  /** Null when the amount is absent or unreadable (an error says which). */
  readonly amountCents: number | null;
}

/** What a transaction set says before its claims: envelopes, payment, trace, payer, payee. */
export interface TransactionHeader {
  readonly interchange: InterchangeEnvelope | null;
  readonly group: FunctionalGroupEnvelope | null;
  /** ST02; null only when the sender left it out (an error says so). */
  readonly controlNumber: string | null;
  /** ST03, such as `005010X221A1`, when sent. */
  readonly implementationReference: string | null;
  readonly payment: Payment | null;
  readonly trace: Trace | null;
  /** DTM*405. */
  readonly productionDate: string | null;
  readonly payer: Party | null;
  readonly payee: Party | null;
  readonly references: readonly Reference[];
  readonly position: SegmentPosition;
}

/** One 835 transaction set (ST to SE): one payment and the claims it pays. */
export interface Transaction extends TransactionHeader {
  /** The claims in input order; empty when they were streamed one by one (`unit: 'claim'`). */
  readonly claims: readonly ClaimPayment[];
  readonly providerAdjustments: readonly ProviderAdjustment[];
  /**
   * Problems of the transaction that concern no single claim, in input order; empty when
   * they were streamed as they were found (`unit: 'claim'`).
   */
  readonly diagnostics: readonly Diagnostic[];
}

import type { ClaimId, MemberId, OrganizationId } from './ids';
import type { LocalDate } from './local-date';
import type { Money } from './money';

export interface Claim {
  readonly id: ClaimId;
  readonly organizationId: OrganizationId;
  readonly memberId: MemberId;
  /** The patient control number we submitted (CLM01); payers echo it back in CLP01. */
  readonly patientControlNumber: string;
  /** The payer's own claim number (CLP07), once a remittance has told us. */
  readonly payerClaimControlNumber: string | null;
  readonly dateOfService: LocalDate;
  readonly chargeAmount: Money;
  /** What the payer paid, from the latest remittance. */
  readonly paidAmount: Money | null;
  /** What the payer says the member owes, from the latest remittance. */
  readonly patientResponsibility: Money | null;
  /** What the member already paid at the visit (a co-pay at the front desk). */
  readonly collectedAtVisit: Money;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

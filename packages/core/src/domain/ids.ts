declare const idBrand: unique symbol;

/** A string id tagged with what it identifies, so that a claim id cannot pass for a member id. */
export type Id<Kind extends string> = string & { readonly [idBrand]: Kind };

export type OrganizationId = Id<'Organization'>;
export type MemberId = Id<'Member'>;
export type ClaimId = Id<'Claim'>;
export type PaymentRequestId = Id<'PaymentRequest'>;
export type AuditEntryId = Id<'AuditEntry'>;
export type RemittanceId = Id<'Remittance'>;
export type ClaimPaymentId = Id<'ClaimPayment'>;
export type BatchRunId = Id<'BatchRun'>;

/** Tags a string from outside (a host's id, a stored row) as an id of the given kind. */
export function asId<Kind extends string>(value: string): Id<Kind> {
  return value as Id<Kind>;
}

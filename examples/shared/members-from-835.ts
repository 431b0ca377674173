import type { MemberPayments, OrganizationId, RemittanceInput } from '@memberpay/core';

export interface MatchingRecords {
  readonly members: number;
  readonly claims: number;
  /** Member id by patient control number, for what the caller does next. */
  readonly memberOfClaim: ReadonlyMap<string, string>;
}

/**
 * Creates the members and claims a host would already have for the claim payments of some
 * remittances: one member per member id on the remittance (or per patient name), one claim
 * per patient control number. Members get a made-up email address, except those named in
 * `withoutEmail`, so that the batch has someone to hold back.
 */
export async function createMatchingRecords(
  payments: MemberPayments,
  organizationId: OrganizationId,
  remittances: readonly RemittanceInput[],
  options: { readonly withoutEmail?: ReadonlySet<string> } = {},
): Promise<MatchingRecords> {
  const memberIds = new Map<string, string>();
  const memberOfClaim = new Map<string, string>();

  for (const remittance of remittances) {
    for (const claimPayment of remittance.claimPayments) {
      // A claim's charge is above zero; a claim payment whose charge is not (a placeholder, a
      // reversal seen alone) has no claim a host would have made, and stays unmatched.
      if (memberOfClaim.has(claimPayment.patientControlNumber) || claimPayment.chargeCents <= 0) {
        continue;
      }

      const first = claimPayment.patientName?.first ?? null;
      const last = claimPayment.patientName?.last ?? null;
      const key = claimPayment.memberIdentifier ?? `${last ?? ''}/${first ?? ''}`;
      let memberId = memberIds.get(key);
      if (memberId === undefined) {
        const name =
          [first, last]
            .filter((part): part is string => Boolean(part))
            .map(titleCase)
            .join(' ') || 'Member';
        const slug = name
          .toLowerCase()
          .replace(/[^a-z]+/g, '.')
          .replace(/^\.|\.$/g, '');
        const created = await payments.members.create(organizationId, {
          externalId: claimPayment.memberIdentifier ?? key,
          name,
          email: options.withoutEmail?.has(name)
            ? null
            : `${slug || 'member'}.${memberIds.size + 1}@example.test`,
          phone: `+1555555${String(1000 + memberIds.size).slice(-4)}`,
        });
        memberId = created._unsafeUnwrap().id;
        memberIds.set(key, memberId);
      }

      const claim = await payments.claims.create(organizationId, {
        memberId,
        patientControlNumber: claimPayment.patientControlNumber,
        payerClaimControlNumber: claimPayment.payerClaimControlNumber,
        dateOfService: claimPayment.serviceDate ?? remittance.paymentDate ?? '2024-01-02',
        chargeAmount: { minor: claimPayment.chargeCents, currency: 'usd' },
      });
      claim._unsafeUnwrap();
      memberOfClaim.set(claimPayment.patientControlNumber, memberId);
    }
  }

  return { members: memberIds.size, claims: memberOfClaim.size, memberOfClaim };
}

function titleCase(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
}

import type { MemberId, OrganizationId } from './ids';

/** The gateway customer a member pays as, and the contact details it was last given. */
export interface GatewayCustomer {
  readonly customerId: string;
  readonly email: string | null;
  readonly phone: string | null;
  readonly name: string;
}

export interface Member {
  readonly id: MemberId;
  readonly organizationId: OrganizationId;
  /** The host's own identifier for the member (for example an EHR member number). */
  readonly externalId: string | null;
  readonly name: string;
  readonly email: string | null;
  /** E.164, for example `+15555550100`. */
  readonly phone: string | null;
  /** The member asked not to receive text messages. */
  readonly textOptOut: boolean;
  readonly gatewayCustomer: GatewayCustomer | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

/** True when the gateway customer no longer carries the member's current contact details. */
export function customerIsStale(member: Member): boolean {
  const customer = member.gatewayCustomer;
  return (
    customer !== null &&
    (customer.email !== member.email ||
      customer.phone !== member.phone ||
      customer.name !== member.name)
  );
}

export function canReceiveText(member: Member): boolean {
  return member.phone !== null && !member.textOptOut;
}

import {
  asId,
  type ClaimId,
  createMemberPayments,
  type GatewayEvent,
  type MemberId,
  type Organization,
  type OrganizationId,
  type OrganizationSettings,
  type PaymentRequest,
  type StatusChange,
  type StoragePort,
} from '@memberpay/core';
import {
  FakePaymentGateway,
  ManualClock,
  RecordingLogger,
  RecordingMessageSender,
  SequentialIds,
} from '@memberpay/core/testing';
import { InMemoryStorage } from '@memberpay/storage-memory';

export interface WorldOptions {
  readonly start?: string;
  readonly timeZone?: string;
  readonly settings?: Partial<OrganizationSettings>;
  readonly storage?: StoragePort;
}

/**
 * Everything a core test needs: the SDK wired to in-memory storage, the fake gateway, a manual
 * clock and sequential ids, plus helpers that set up an organization ready to bill.
 */
export function aWorld(options: WorldOptions = {}) {
  const clock = new ManualClock(options.start ?? '2024-01-10T15:00:00.000Z');
  const ids = new SequentialIds();
  const gateway = new FakePaymentGateway({ now: () => clock.now() });
  const storage = options.storage ?? new InMemoryStorage();
  const messages = new RecordingMessageSender();
  const logger = new RecordingLogger();
  const changes: StatusChange[] = [];
  const sdk = createMemberPayments({
    storage,
    gateway,
    messages,
    clock,
    ids,
    logger,
    onStatusChange: (change) => changes.push(change),
  });

  const deliver = async (event: GatewayEvent) =>
    (await sdk.webhooks.handle(gateway.signedDelivery(event)))._unsafeUnwrap();

  const organization = async (
    id = 'org_1',
    settings: Partial<OrganizationSettings> = {},
  ): Promise<Organization> => {
    const created = await sdk.organizations.create({
      id,
      name: `Clinic ${id}`,
      timeZone: options.timeZone ?? 'America/New_York',
      settings: { memberPaymentsEnabled: true, ...options.settings, ...settings },
    });
    const org = created._unsafeUnwrap();
    const link = await sdk.organizations.startPayoutOnboarding(org.id, {
      refreshUrl: 'https://clinic.example/refresh',
      returnUrl: 'https://clinic.example/return',
    });
    await deliver(gateway.completeOnboarding(link._unsafeUnwrap().accountId));
    return (await sdk.organizations.get(org.id))._unsafeUnwrap();
  };

  const member = async (
    organizationId: string,
    overrides: {
      id?: string;
      email?: string | null;
      phone?: string | null;
      textOptOut?: boolean;
    } = {},
  ) => {
    const id = overrides.id ?? `M-${ids.next('member')}`;
    return (
      await sdk.members.create(asId(organizationId), {
        externalId: id,
        name: `Member ${id}`,
        email: overrides.email === undefined ? `${id}@example.test` : overrides.email,
        phone: overrides.phone === undefined ? '+15555550100' : overrides.phone,
        textOptOut: overrides.textOptOut ?? false,
      })
    )._unsafeUnwrap();
  };

  const claim = async (
    organizationId: string,
    memberId: string,
    overrides: { id?: string; patientControlNumber?: string; collectedAtVisit?: string } = {},
  ) => {
    const id = overrides.id ?? ids.next('claim');
    return (
      await sdk.claims.create(asId(organizationId), {
        memberId,
        patientControlNumber: overrides.patientControlNumber ?? `PCN-${id}`,
        dateOfService: '2024-01-02',
        chargeAmount: '200.00',
        ...(overrides.collectedAtVisit ? { collectedAtVisit: overrides.collectedAtVisit } : {}),
      })
    )._unsafeUnwrap();
  };

  /** A member with a claim and a draft request for `amount`. */
  const draft = async (
    organizationId: string,
    amount = '50.00',
    memberOverrides: Parameters<typeof member>[1] = {},
  ): Promise<PaymentRequest> => {
    const someone = await member(organizationId, memberOverrides);
    const visit = await claim(organizationId, someone.id);
    return (
      await sdk.requests.create(asId(organizationId), {
        claimId: visit.id,
        internalId: `INV-${visit.id}`,
        amount,
        description: 'Co-pay for your visit',
        createdBy: 'staff_1',
      })
    )._unsafeUnwrap();
  };

  const request = async (organizationId: string, requestId: string) =>
    (await sdk.requests.get(asId(organizationId), asId(requestId)))._unsafeUnwrap();

  return {
    sdk,
    clock,
    ids,
    gateway,
    storage,
    messages,
    logger,
    changes,
    deliver,
    organization,
    member,
    claim,
    draft,
    request,
  };
}

export type World = ReturnType<typeof aWorld>;

export const org = (id: string) => asId<'Organization'>(id) as OrganizationId;
export const memberId = (id: string) => asId<'Member'>(id) as MemberId;
export const claimId = (id: string) => asId<'Claim'>(id) as ClaimId;

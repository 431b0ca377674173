import type { NewAuditEntry } from '../domain/audit';
import type { Claim } from '../domain/claim';
import { asId } from '../domain/ids';
import { asLocalDate } from '../domain/local-date';
import type { Member } from '../domain/member';
import { money } from '../domain/money';
import {
  DEFAULT_SETTINGS,
  NO_PAYOUT_ACCOUNT,
  type Organization,
  type PayoutAccount,
} from '../domain/organization';
import { NO_GATEWAY_LINK, type PaymentRequest } from '../domain/payment-request';
import type {
  ClaimPaymentInput,
  ClaimPaymentRecord,
  RemittanceInput,
  RemittanceRecord,
} from '../domain/remittance';

/** The instant test data is created at unless a test says otherwise. */
export const T0 = new Date('2024-01-10T15:00:00.000Z');

export const ACTIVE_PAYOUT_ACCOUNT: PayoutAccount = {
  state: 'active',
  accountId: 'acct_test_active',
  chargesEnabled: true,
  payoutsEnabled: true,
  detailsSubmitted: true,
  currentlyDue: [],
  disabledReason: null,
  updatedAt: T0,
};

export function anOrganization(overrides: Partial<Organization> = {}): Organization {
  return {
    id: asId('org_test_1'),
    name: 'Sample Clinic',
    timeZone: 'America/New_York',
    settings: DEFAULT_SETTINGS,
    payoutAccount: NO_PAYOUT_ACCOUNT,
    createdAt: T0,
    updatedAt: T0,
    version: 1,
    ...overrides,
  };
}

export function aMember(overrides: Partial<Member> = {}): Member {
  return {
    id: asId('mem_test_1'),
    organizationId: asId('org_test_1'),
    externalId: 'MEM0001',
    name: 'Jane Doe',
    email: 'jane.doe@example.test',
    phone: '+15555550100',
    textOptOut: false,
    gatewayCustomer: null,
    createdAt: T0,
    updatedAt: T0,
    version: 1,
    ...overrides,
  };
}

export function aClaim(overrides: Partial<Claim> = {}): Claim {
  return {
    id: asId('clm_test_1'),
    organizationId: asId('org_test_1'),
    memberId: asId('mem_test_1'),
    patientControlNumber: 'PCN-1001',
    payerClaimControlNumber: null,
    dateOfService: asLocalDate('2024-01-02'),
    chargeAmount: money(20000),
    paidAmount: null,
    patientResponsibility: null,
    collectedAtVisit: money(0),
    createdAt: T0,
    updatedAt: T0,
    version: 1,
    ...overrides,
  };
}

export function aPaymentRequest(overrides: Partial<PaymentRequest> = {}): PaymentRequest {
  return {
    id: asId('req_test_1'),
    organizationId: asId('org_test_1'),
    memberId: asId('mem_test_1'),
    claimId: asId('clm_test_1'),
    internalId: 'INV-1001',
    amount: money(5000),
    description: 'Co-pay for your visit on 2024-01-02',
    source: { kind: 'manual', createdBy: 'staff_1' },
    status: 'draft',
    hold: null,
    revision: 1,
    gateway: NO_GATEWAY_LINK,
    sendAttempt: null,
    amountPaid: money(0),
    amountRefunded: money(0),
    refunds: [],
    dueDate: null,
    text: null,
    cancelRequestedAt: null,
    lifecycle: { draft: T0 },
    createdAt: T0,
    updatedAt: T0,
    deletedAt: null,
    version: 1,
    ...overrides,
  };
}

export function anAuditEntry(overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    id: asId('aud_test_1'),
    organizationId: asId('org_test_1'),
    requestId: asId('req_test_1'),
    at: T0,
    actor: { kind: 'staff', userId: 'staff_1' },
    action: 'created',
    from: null,
    to: 'draft',
    reason: 'created by hand',
    details: {},
    ...overrides,
  };
}

export function aRemittance(overrides: Partial<RemittanceRecord> = {}): RemittanceRecord {
  return {
    id: asId('rem_test_1'),
    organizationId: asId('org_test_1'),
    source: 'electronic',
    payerId: '1512345678',
    payerName: 'ACME TEST HEALTH PLAN',
    traceNumber: 'TRACE0001',
    paymentDate: '2024-01-08',
    receivedAt: T0,
    ...overrides,
  };
}

export function aClaimPayment(overrides: Partial<ClaimPaymentRecord> = {}): ClaimPaymentRecord {
  return {
    id: asId('cpay_test_1'),
    organizationId: asId('org_test_1'),
    remittanceId: asId('rem_test_1'),
    key: '1512345678|TRACE0001|PCN-1001|CLM0001|1',
    claimId: asId('clm_test_1'),
    requestId: null,
    patientControlNumber: 'PCN-1001',
    statusCode: '1',
    chargeCents: 20000,
    paidCents: 8000,
    patientResponsibilityCents: 5000,
    outcome: 'created',
    reason: 'processed claim with patient responsibility',
    recordedAt: T0,
    ...overrides,
  };
}

/**
 * A processed claim payment of the kind an 835 brings (CLP02 1) for `patientControlNumber`, in
 * which the member owes `owed` cents as co-pay, stated and itemized alike, of a 200.00 charge.
 */
export function aClaimPaymentInput(
  patientControlNumber: string,
  owed: number,
  overrides: Partial<ClaimPaymentInput> = {},
): ClaimPaymentInput {
  return {
    patientControlNumber,
    statusCode: '1',
    chargeCents: 20000,
    paidCents: 20000 - owed,
    payerClaimControlNumber: `CCN-${patientControlNumber}`,
    patientResponsibility: {
      declaredCents: owed,
      adjustmentCents: owed,
      deductibleCents: 0,
      coinsuranceCents: 0,
      copayCents: owed,
      otherCents: 0,
    },
    memberIdentifier: null,
    patientName: null,
    serviceDate: '2024-01-02',
    warnings: [],
    ...overrides,
  };
}

/** The payer takes back an earlier claim payment of {@link aClaimPaymentInput}: CLP02 22. */
export function aReversalInput(patientControlNumber: string, owed: number): ClaimPaymentInput {
  return aClaimPaymentInput(patientControlNumber, -owed, {
    statusCode: '22',
    chargeCents: -20000,
    paidCents: -(20000 - owed),
  });
}

/**
 * An 835 remittance of the test payer, paid on 2024-01-08, with these claim payments; they are
 * taken as given, so that tests can hand in ones that fail the checks on purpose.
 */
export function aRemittanceInput(
  traceNumber: string,
  claimPayments: readonly unknown[],
): RemittanceInput {
  return {
    source: 'electronic',
    payerId: '1512345678',
    payerName: 'ACME TEST HEALTH PLAN',
    traceNumber,
    paymentDate: '2024-01-08',
    currency: 'usd',
    claimPayments: claimPayments as readonly ClaimPaymentInput[],
  };
}

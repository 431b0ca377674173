import { err, errAsync, ok, type Result, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { Claim } from '../domain/claim';
import { DomainError } from '../domain/errors';
import { asId, type ClaimId, type MemberId, type OrganizationId } from '../domain/ids';
import { asLocalDate } from '../domain/local-date';
import type { Member } from '../domain/member';
import { formatMoney, type Money, zero } from '../domain/money';
import type { UnitOfWork } from '../ports/storage.port';
import { type Context, validate } from './context';
import {
  emailSchema,
  localDateSchema,
  type MoneyInput,
  moneyInputSchema,
  phoneSchema,
  toMoney,
} from './inputs';
import { loadOrganization } from './organizations';

const memberFields = {
  externalId: z.string().trim().min(1).max(100).nullable().optional(),
  name: z.string().trim().min(1).max(200),
  email: emailSchema.nullable().optional(),
  phone: phoneSchema.nullable().optional(),
  textOptOut: z.boolean().optional(),
};

const createMemberSchema = z.object(memberFields).strict();
const updateMemberSchema = z.object(memberFields).partial().strict();

export type CreateMemberInput = z.input<typeof createMemberSchema>;
export type UpdateMemberInput = z.input<typeof updateMemberSchema>;

export async function loadMember(
  tx: UnitOfWork,
  organizationId: OrganizationId,
  memberId: MemberId,
): Promise<Result<Member, DomainError>> {
  const member = await tx.members.get(organizationId, memberId);
  return member
    ? ok(member)
    : err(
        new DomainError('MEMBER.NOT_FOUND', `Member ${memberId} not found`, {
          organizationId,
          memberId,
        }),
      );
}

export async function loadClaim(
  tx: UnitOfWork,
  organizationId: OrganizationId,
  claimId: ClaimId,
): Promise<Result<Claim, DomainError>> {
  const claim = await tx.claims.get(organizationId, claimId);
  return claim
    ? ok(claim)
    : err(
        new DomainError('CLAIM.NOT_FOUND', `Claim ${claimId} not found`, {
          organizationId,
          claimId,
        }),
      );
}

function duplicateAs(code: 'MEMBER.ALREADY_EXISTS' | 'CLAIM.ALREADY_EXISTS', message: string) {
  return (error: DomainError): DomainError =>
    error.code === 'STORAGE.DUPLICATE'
      ? new DomainError(code, message, error.details, error)
      : error;
}

export function createMember(
  context: Context,
  organizationId: OrganizationId,
  input: CreateMemberInput,
): ResultAsync<Member, DomainError> {
  const valid = validate(createMemberSchema, input, 'member');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  const now = context.clock.now();
  const member: Member = {
    id: asId(context.ids.next('mem')),
    organizationId,
    externalId: valid.value.externalId ?? null,
    name: valid.value.name,
    email: valid.value.email ?? null,
    phone: valid.value.phone ?? null,
    textOptOut: valid.value.textOptOut ?? false,
    gatewayCustomer: null,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  return context.storage
    .transaction(async (tx) => {
      const organization = await loadOrganization(tx, organizationId);
      if (organization instanceof DomainError) {
        return err(organization);
      }

      return ok(await tx.members.insert(member));
    })
    .mapErr(
      duplicateAs(
        'MEMBER.ALREADY_EXISTS',
        `A member with external id ${member.externalId} already exists in the organization`,
      ),
    );
}

/** Changes a member's details; the gateway customer is brought up to date by the next batch. */
export function updateMember(
  context: Context,
  organizationId: OrganizationId,
  memberId: MemberId,
  patch: UpdateMemberInput,
): ResultAsync<Member, DomainError> {
  const valid = validate(updateMemberSchema, patch, 'member changes');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  return context.storage
    .transaction(async (tx) => {
      const member = await loadMember(tx, organizationId, memberId);
      if (member.isErr()) {
        return err(member.error);
      }

      const changes = Object.fromEntries(
        Object.entries(valid.value).filter(([, value]) => value !== undefined),
      );
      return ok(
        await tx.members.update({ ...member.value, ...changes, updatedAt: context.clock.now() }),
      );
    })
    .mapErr(
      duplicateAs(
        'MEMBER.ALREADY_EXISTS',
        `A member with external id ${valid.value.externalId} already exists in the organization`,
      ),
    );
}

export function getMember(
  context: Context,
  organizationId: OrganizationId,
  memberId: MemberId,
): ResultAsync<Member, DomainError> {
  return context.storage.transaction((tx) => loadMember(tx, organizationId, memberId));
}

const createClaimSchema = z
  .object({
    memberId: z.string().min(1),
    patientControlNumber: z.string().trim().min(1).max(38),
    payerClaimControlNumber: z.string().trim().min(1).max(50).nullable().optional(),
    dateOfService: localDateSchema,
    chargeAmount: moneyInputSchema,
    collectedAtVisit: moneyInputSchema.optional(),
  })
  .strict();

export type CreateClaimInput = Omit<
  z.input<typeof createClaimSchema>,
  'chargeAmount' | 'collectedAtVisit'
> & { readonly chargeAmount: MoneyInput; readonly collectedAtVisit?: MoneyInput };

export function createClaim(
  context: Context,
  organizationId: OrganizationId,
  input: CreateClaimInput,
): ResultAsync<Claim, DomainError> {
  const valid = validate(createClaimSchema, input, 'claim');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  return context.storage
    .transaction(async (tx) => {
      const organization = await loadOrganization(tx, organizationId);
      if (organization instanceof DomainError) {
        return err(organization);
      }

      const member = await loadMember(tx, organizationId, asId(valid.value.memberId));
      if (member.isErr()) {
        return err(member.error);
      }

      const currency = organization.settings.currency;
      const charge = toMoney(valid.value.chargeAmount, currency, 'chargeAmount').andThen((amount) =>
        atLeast(amount, 1, 'chargeAmount', 'a claim charge must be above zero'),
      );
      const collected = (
        valid.value.collectedAtVisit
          ? toMoney(valid.value.collectedAtVisit, currency, 'collectedAtVisit')
          : ok(zero(currency))
      ).andThen((amount) =>
        atLeast(amount, 0, 'collectedAtVisit', 'a payment at the visit cannot be negative'),
      );
      const amounts = charge.andThen((chargeAmount) =>
        collected
          .andThen((amount) => withinCharge(amount, chargeAmount, 'collectedAtVisit'))
          .map((collectedAtVisit) => ({ chargeAmount, collectedAtVisit })),
      );
      if (amounts.isErr()) {
        return err(amounts.error);
      }

      const now = context.clock.now();
      const claim: Claim = {
        id: asId(context.ids.next('clm')),
        organizationId,
        memberId: member.value.id,
        patientControlNumber: valid.value.patientControlNumber,
        payerClaimControlNumber: valid.value.payerClaimControlNumber ?? null,
        dateOfService: asLocalDate(valid.value.dateOfService),
        chargeAmount: amounts.value.chargeAmount,
        paidAmount: null,
        patientResponsibility: null,
        collectedAtVisit: amounts.value.collectedAtVisit,
        createdAt: now,
        updatedAt: now,
        version: 1,
      };
      return ok(await tx.claims.insert(claim));
    })
    .mapErr(
      duplicateAs(
        'CLAIM.ALREADY_EXISTS',
        `A claim with patient control number ${valid.value.patientControlNumber} already exists`,
      ),
    );
}

export function getClaim(
  context: Context,
  organizationId: OrganizationId,
  claimId: ClaimId,
): ResultAsync<Claim, DomainError> {
  return context.storage.transaction((tx) => loadClaim(tx, organizationId, claimId));
}

/** The member cannot have paid at the visit more than the claim charges for the visit. */
export function withinCharge(
  collected: Money,
  charge: Money,
  field: string,
): Result<Money, DomainError> {
  return collected.minor <= charge.minor
    ? ok(collected)
    : err(
        new DomainError(
          'INPUT.INVALID',
          `${field}: a payment at the visit of ${formatMoney(collected)} is more than the ` +
            `claim's charge of ${formatMoney(charge)}`,
          { field, minor: collected.minor, chargeMinor: charge.minor },
        ),
      );
}

export function atLeast(
  amount: Money,
  minimum: number,
  field: string,
  message: string,
): Result<Money, DomainError> {
  return amount.minor >= minimum
    ? ok(amount)
    : err(new DomainError('INPUT.INVALID', `${field}: ${message}`, { field, minor: amount.minor }));
}

/** The member a host knows by its own id (`externalId`), within the organization. */
export function findMemberByExternalId(
  context: Context,
  organizationId: OrganizationId,
  externalId: string,
): ResultAsync<Member, DomainError> {
  return context.storage.transaction(async (tx) => {
    const member = await tx.members.findByExternalId(organizationId, externalId);
    return member
      ? ok(member)
      : err(
          new DomainError('MEMBER.NOT_FOUND', `No member with external id ${externalId}`, {
            organizationId,
            externalId,
          }),
        );
  });
}

/** The claim with this patient control number (CLM01), within the organization. */
export function findClaimByPatientControlNumber(
  context: Context,
  organizationId: OrganizationId,
  patientControlNumber: string,
): ResultAsync<Claim, DomainError> {
  return context.storage.transaction(async (tx) => {
    const claim = await tx.claims.findByPatientControlNumber(organizationId, patientControlNumber);
    return claim
      ? ok(claim)
      : err(
          new DomainError(
            'CLAIM.NOT_FOUND',
            `No claim with patient control number ${patientControlNumber}`,
            { organizationId, patientControlNumber },
          ),
        );
  });
}

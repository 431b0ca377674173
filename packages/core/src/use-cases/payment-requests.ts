import { err, errAsync, ok, type Result, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { Actor, AuditEntry } from '../domain/audit';
import { DomainError } from '../domain/errors';
import { asId, type OrganizationId, type PaymentRequestId } from '../domain/ids';
import { checkChargeable, type Money, zero } from '../domain/money';
import {
  NO_GATEWAY_LINK,
  PAYMENT_REQUEST_STATUSES,
  type PaymentRequest,
  type PaymentRequestStatus,
} from '../domain/payment-request';
import { auditEntry, transition } from '../domain/status-machine';
import type { Page, PaymentRequestFilter, UnitOfWork } from '../ports/storage.port';
import { announce, type Context, transitionContext, validate } from './context';
import { actorIdSchema, type MoneyInput, moneyInputSchema, toMoney } from './inputs';
import { loadClaim } from './members-and-claims';
import { loadOrganization } from './organizations';

const internalIdSchema = z.string().trim().min(1).max(100);
// Blank text is no description: the invoice then shows its default line, never an empty one.
const descriptionSchema = z
  .string()
  .trim()
  .max(500)
  .transform((text) => (text === '' ? null : text))
  .nullable();

const createSchema = z
  .object({
    claimId: z.string().min(1),
    memberId: z.string().min(1).optional(),
    internalId: internalIdSchema,
    amount: moneyInputSchema,
    description: descriptionSchema.optional(),
    createdBy: actorIdSchema,
  })
  .strict();

export type CreateRequestInput = Omit<z.input<typeof createSchema>, 'amount'> & {
  readonly amount: MoneyInput;
};

const editSchema = z
  .object({
    internalId: internalIdSchema.optional(),
    amount: moneyInputSchema.optional(),
    description: descriptionSchema.optional(),
    editedBy: actorIdSchema,
    /** When given, the edit applies only if nobody changed the request since it was read. */
    expectedVersion: z.number().int().min(1).optional(),
  })
  .strict();

export type EditRequestInput = Omit<z.input<typeof editSchema>, 'amount'> & {
  readonly amount?: MoneyInput;
};

export async function loadRequest(
  tx: UnitOfWork,
  organizationId: OrganizationId,
  requestId: PaymentRequestId,
): Promise<Result<PaymentRequest, DomainError>> {
  const request = await tx.requests.get(organizationId, requestId);
  return request
    ? ok(request)
    : err(
        new DomainError('REQUEST.NOT_FOUND', `Payment request ${requestId} not found`, {
          organizationId,
          requestId,
        }),
      );
}

/** Checks an amount a member would be billed: positive and within what Stripe can charge. */
export function checkBillable(amount: Money, field: string): Result<Money, DomainError> {
  if (amount.minor <= 0) {
    return err(
      new DomainError('REQUEST.AMOUNT_NOT_POSITIVE', `${field}: the amount must be above zero`, {
        field,
        minor: amount.minor,
      }),
    );
  }

  return checkChargeable(amount).mapErr(
    (error) =>
      new DomainError(error.code, `${field}: ${error.message}`, { ...error.details, field }),
  );
}

/**
 * Staff create a request from a member's profile or from a claim. It stays a draft until the
 * overnight batch sends it.
 */
export function createRequest(
  context: Context,
  organizationId: OrganizationId,
  input: CreateRequestInput,
): ResultAsync<PaymentRequest, DomainError> {
  const valid = validate(createSchema, input, 'payment request');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  const actor: Actor = { kind: 'staff', userId: valid.value.createdBy };
  return context.storage
    .transaction(async (tx) => {
      const organization = await loadOrganization(tx, organizationId);
      if (organization instanceof DomainError) {
        return err(organization);
      }

      const claim = await loadClaim(tx, organizationId, asId(valid.value.claimId));
      if (claim.isErr()) {
        return err(claim.error);
      }

      if (valid.value.memberId !== undefined && valid.value.memberId !== claim.value.memberId) {
        return err(
          new DomainError(
            'CLAIM.MEMBER_MISMATCH',
            `Claim ${claim.value.id} does not belong to member ${valid.value.memberId}`,
            { claimId: claim.value.id, memberId: valid.value.memberId },
          ),
        );
      }

      const amount = toMoney(valid.value.amount, organization.settings.currency, 'amount').andThen(
        (money) => checkBillable(money, 'amount'),
      );
      if (amount.isErr()) {
        return err(amount.error);
      }

      const request = newDraft(context, {
        organizationId,
        memberId: claim.value.memberId,
        claimId: claim.value.id,
        internalId: valid.value.internalId,
        amount: amount.value,
        description: valid.value.description ?? null,
        source: { kind: 'manual', createdBy: valid.value.createdBy },
      });
      const stored = await tx.requests.insert(request);
      await tx.audit.append(
        auditEntry(stored, null, {
          ...transitionContext(context, actor, 'created by staff'),
          action: 'created',
          details: { amountMinor: stored.amount.minor, internalId: stored.internalId },
        }),
      );
      return ok(stored);
    })
    .map((request) => {
      announce(context, null, request, actor);
      return request;
    });
}

/** A new draft request; `now` is the instant it is created, the clock's by default. */
export function newDraft(
  context: Context,
  fields: Pick<
    PaymentRequest,
    'organizationId' | 'memberId' | 'claimId' | 'internalId' | 'amount' | 'description' | 'source'
  > & { readonly hold?: PaymentRequest['hold'] },
  now: Date = context.clock.now(),
): PaymentRequest {
  // Money values never change, so the two zeros can be one. Every field is named rather than
  // spread from `fields`, so that every request is built with the same shape at once.
  const nothing = zero(fields.amount.currency);
  return {
    id: asId(context.ids.next('req')),
    organizationId: fields.organizationId,
    memberId: fields.memberId,
    claimId: fields.claimId,
    internalId: fields.internalId,
    amount: fields.amount,
    description: fields.description,
    source: fields.source,
    status: 'draft',
    hold: fields.hold ?? null,
    revision: 1,
    gateway: NO_GATEWAY_LINK,
    sendAttempt: null,
    amountPaid: nothing,
    amountRefunded: nothing,
    refunds: [],
    dueDate: null,
    text: null,
    cancelRequestedAt: null,
    lifecycle: { draft: now },
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
    version: 1,
  };
}

/**
 * Edits a draft. A change to what is billed (amount, description) starts a new revision, so
 * that an invoice made for the old one is never sent and new idempotency keys are used.
 */
export function editDraft(
  context: Context,
  organizationId: OrganizationId,
  requestId: PaymentRequestId,
  input: EditRequestInput,
): ResultAsync<PaymentRequest, DomainError> {
  const valid = validate(editSchema, input, 'payment request changes');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  return context.storage.transaction(async (tx) => {
    const found = await loadRequest(tx, organizationId, requestId);
    if (found.isErr()) {
      return err(found.error);
    }

    const request = found.value;
    if (request.status !== 'draft') {
      return err(
        new DomainError(
          'REQUEST.NOT_EDITABLE',
          `Payment request ${requestId} is ${request.status}; only drafts can be edited`,
          { requestId, status: request.status },
        ),
      );
    }

    if (
      valid.value.expectedVersion !== undefined &&
      valid.value.expectedVersion !== request.version
    ) {
      return err(
        new DomainError(
          'STORAGE.CONFLICT',
          `Payment request ${requestId} changed since it was read (version ${request.version})`,
          { requestId, version: request.version },
        ),
      );
    }

    const amount =
      valid.value.amount === undefined
        ? ok(request.amount)
        : toMoney(valid.value.amount, request.amount.currency, 'amount').andThen((money) =>
            checkBillable(money, 'amount'),
          );
    if (amount.isErr()) {
      return err(amount.error);
    }

    const description =
      valid.value.description === undefined ? request.description : valid.value.description;
    const internalId = valid.value.internalId ?? request.internalId;
    // The internal id shows on the invoice too: any change to what the member reads is a new
    // revision, so an invoice made for the old one is never sent.
    const billedChanged =
      amount.value.minor !== request.amount.minor ||
      description !== request.description ||
      internalId !== request.internalId;
    const clearsMinimumHold = request.hold?.code === 'below_minimum_charge' && billedChanged;
    const edited: PaymentRequest = {
      ...request,
      amount: amount.value,
      description,
      internalId,
      revision: billedChanged ? request.revision + 1 : request.revision,
      hold: clearsMinimumHold ? null : request.hold,
      updatedAt: context.clock.now(),
    };
    const stored = await tx.requests.update(edited);
    await tx.audit.append(
      auditEntry(stored, request.status, {
        ...transitionContext(context, { kind: 'staff', userId: valid.value.editedBy }, 'edited'),
        action: 'edited',
        details: {
          amountMinor: stored.amount.minor,
          previousAmountMinor: request.amount.minor,
          revision: stored.revision,
        },
      }),
    );
    return ok(stored);
  });
}

/** Staff reviewed a request held for review (a remittance whose totals disagree) and let it go. */
export function approveHeldRequest(
  context: Context,
  organizationId: OrganizationId,
  requestId: PaymentRequestId,
  approvedBy: string,
): ResultAsync<PaymentRequest, DomainError> {
  const valid = validate(z.object({ approvedBy: actorIdSchema }), { approvedBy }, 'approval');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  const actor: Actor = { kind: 'staff', userId: valid.value.approvedBy };
  return context.storage.transaction(async (tx) => {
    const found = await loadRequest(tx, organizationId, requestId);
    if (found.isErr()) {
      return err(found.error);
    }

    const request = found.value;
    if (request.status !== 'draft' || request.hold?.code !== 'needs_review') {
      return err(
        new DomainError(
          'REQUEST.NOT_EDITABLE',
          `Payment request ${requestId} is not a draft held for review`,
          { requestId, status: request.status, hold: request.hold?.code ?? null },
        ),
      );
    }

    const stored = await tx.requests.update({
      ...request,
      hold: null,
      updatedAt: context.clock.now(),
    });
    await tx.audit.append(
      auditEntry(stored, request.status, {
        ...transitionContext(context, actor, 'approved after review'),
        action: 'released',
      }),
    );
    return ok(stored);
  });
}

/**
 * Sends a request that failed for good back to draft. It starts a new revision, so the next
 * batch uses fresh idempotency keys instead of replaying the refused call.
 */
export function retryFailedRequest(
  context: Context,
  organizationId: OrganizationId,
  requestId: PaymentRequestId,
  retriedBy: string,
): ResultAsync<PaymentRequest, DomainError> {
  const valid = validate(z.object({ retriedBy: actorIdSchema }), { retriedBy }, 'retry request');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  const actor: Actor = { kind: 'staff', userId: valid.value.retriedBy };
  return context.storage
    .transaction(async (tx) => {
      const found = await loadRequest(tx, organizationId, requestId);
      if (found.isErr()) {
        return err(found.error);
      }

      const moved = transition(
        found.value,
        'draft',
        transitionContext(context, actor, 'staff retried after a failure'),
        { revision: found.value.revision + 1, sendAttempt: null },
      );
      if (moved.isErr()) {
        return err(moved.error);
      }

      const stored = await tx.requests.update(moved.value.request);
      await tx.audit.append(moved.value.audit);
      return ok({ before: found.value, after: stored });
    })
    .map(({ before, after }) => {
      announce(context, before, after, actor);
      return after;
    });
}

export function getRequest(
  context: Context,
  organizationId: OrganizationId,
  requestId: PaymentRequestId,
): ResultAsync<PaymentRequest, DomainError> {
  return context.storage.transaction((tx) => loadRequest(tx, organizationId, requestId));
}

/** A message for a value of the wrong type; zod's own for anything else (an unknown key). */
function onlyForType(message: string) {
  return (issue: { readonly code?: string }) =>
    issue.code === 'invalid_type' ? message : undefined;
}

/** The most requests one call of `listRequests` returns; page on with `after` for more. */
export const MAX_LIST_LIMIT = 500;

const listQuerySchema = z
  .object(
    {
      memberId: z.string().min(1).optional(),
      claimId: z.string().min(1).optional(),
      statuses: z
        .array(z.enum(PAYMENT_REQUEST_STATUSES), {
          error: 'must be a list of statuses, such as ["draft", "sent"]',
        })
        .optional(),
      includeDeleted: z.boolean().optional(),
    },
    { error: onlyForType('must be an object of filters, such as { statuses: ["draft"] }') },
  )
  .strict();

const LIMIT_RANGE = `must be a whole number from 1 to ${MAX_LIST_LIMIT}`;
const AFTER_ID = 'must be the id of the request the previous page ended on, or null';

const pageSchema = z
  .object(
    {
      limit: z
        .number({ error: LIMIT_RANGE })
        .int({ error: LIMIT_RANGE })
        .min(1, { error: LIMIT_RANGE })
        .max(MAX_LIST_LIMIT, { error: LIMIT_RANGE }),
      after: z.string({ error: AFTER_ID }).min(1, { error: AFTER_ID }).nullable().optional(),
    },
    { error: onlyForType('must be an object such as { limit: 100, after: null }') },
  )
  .strict();

export interface ListRequestsQuery {
  readonly memberId?: string;
  readonly claimId?: string;
  /** Only requests in one of these statuses; an empty list matches none. */
  readonly statuses?: readonly PaymentRequestStatus[];
  readonly includeDeleted?: boolean;
}

/**
 * The organization's requests, oldest first, a page at a time: `page.limit` from 1 to 500
 * (`MAX_LIST_LIMIT`; 100 when no page is given), and `page.after` the id the previous page
 * ended on.
 */
export function listRequests(
  context: Context,
  organizationId: OrganizationId,
  query: ListRequestsQuery = {},
  page: Page = { limit: 100 },
): ResultAsync<PaymentRequest[], DomainError> {
  const validQuery = validate(listQuerySchema, query, 'request list query');
  if (validQuery.isErr()) {
    return errAsync(validQuery.error);
  }

  const validPage = validate(pageSchema, page, 'page');
  if (validPage.isErr()) {
    return errAsync(validPage.error);
  }

  const { statuses, includeDeleted, memberId, claimId } = validQuery.value;
  const filter: PaymentRequestFilter = {
    ...(statuses === undefined ? {} : { statuses }),
    ...(includeDeleted === undefined ? {} : { includeDeleted }),
    ...(memberId === undefined ? {} : { memberId: asId<'Member'>(memberId) }),
    ...(claimId === undefined ? {} : { claimId: asId<'Claim'>(claimId) }),
  };
  const { limit, after } = validPage.value;
  return context.storage.transaction(async (tx) => {
    const organization = await loadOrganization(tx, organizationId);
    if (organization instanceof DomainError) {
      return err(organization);
    }

    return ok(await tx.requests.list(organizationId, filter, { limit, after: after ?? null }));
  });
}

/** The request's history, oldest first. */
export function auditTrail(
  context: Context,
  organizationId: OrganizationId,
  requestId: PaymentRequestId,
): ResultAsync<AuditEntry[], DomainError> {
  return context.storage.transaction(async (tx) => {
    const entries = await tx.audit.listForRequest(organizationId, requestId);
    if (entries.length === 0) {
      return err(
        new DomainError('REQUEST.NOT_FOUND', `Payment request ${requestId} not found`, {
          organizationId,
          requestId,
        }),
      );
    }

    return ok(entries);
  });
}

import { describe, expect, test } from 'vitest';
import {
  asId,
  canMove,
  FINAL_STATUSES,
  PAYMENT_REQUEST_STATUSES,
  TRANSITIONS,
  transition,
} from '../src/index';
import { aPaymentRequest, T0 } from '../src/testing/index';

const context = {
  auditId: asId<'AuditEntry'>('aud_1'),
  at: new Date(T0.getTime() + 1000),
  actor: { kind: 'staff' as const, userId: 'staff_1' },
  reason: 'testing the table',
};

describe('status machine', () => {
  const pairs = PAYMENT_REQUEST_STATUSES.flatMap((from) =>
    PAYMENT_REQUEST_STATUSES.map((to) => [from, to] as const),
  );

  test.each(pairs)('%s -> %s is allowed exactly when the table says so', (from, to) => {
    const request = aPaymentRequest({ status: from });

    const moved = transition(request, to, context);

    const allowed = TRANSITIONS[from].includes(to);
    expect(moved.isOk()).toBe(allowed);
    if (moved.isOk()) {
      expect(moved.value.request.status).toBe(to);
      expect(moved.value.request.lifecycle[to]).toEqual(context.at);
      expect(moved.value.audit).toMatchObject({ from, to, reason: 'testing the table' });
    } else {
      expect(moved.error.code).toBe('REQUEST.TRANSITION_REFUSED');
      expect(moved.error.details).toEqual({ requestId: 'req_test_1', from, to });
      expect(moved.error.message).toContain('req_test_1');
    }
  });

  test('the table has 43 allowed moves and every status appears in it', () => {
    const allowed = pairs.filter(([from, to]) => canMove(from, to));

    expect(allowed).toHaveLength(43);
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...PAYMENT_REQUEST_STATUSES].sort());
  });

  test('final statuses lead out only when money moves after the end', () => {
    const exits = FINAL_STATUSES.flatMap((from) => TRANSITIONS[from].map((to) => `${from}->${to}`));

    expect(exits).toEqual([
      'canceled->refund_pending',
      'refunded->refund_pending',
      'refunded->refund_failed',
    ]);
  });

  test('a refused move leaves the request untouched', () => {
    const request = aPaymentRequest({ status: 'paid' });

    transition(request, 'draft', context);

    expect(request.status).toBe('paid');
  });
});

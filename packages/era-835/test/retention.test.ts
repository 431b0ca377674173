import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { stream835 } from '../src/index';

const CLAIMS = 50_000;

/** One transaction set of `CLAIMS` claims, each with a 14-character payer claim control number. */
function remittance(): Buffer {
  const claims: string[] = [];
  for (let index = 0; index < CLAIMS; index += 1) {
    const number = String(index).padStart(8, '0');
    claims.push(
      `CLP*PCN${number}*1*100*80*20*MC*PAYER${number}X*11*1~CAS*PR*2*20~`,
      `SVC*HC:99213*100*80**1~DTM*472*20240102~`,
    );
  }

  const body = [
    'ST*835*0001*005010X221A1~',
    'BPR*I*0*C*NON************20240105~',
    'TRN*1*TRACE1*1512345678~',
    'N1*PR*PAYER~',
    'N1*PE*CLINIC*XX*1234567893~',
    'LX*1~',
    ...claims,
  ];
  return Buffer.from(
    [
      'ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       ',
      '*240105*1200*^*00501*000000001*0*P*:~',
      'GS*HP*SENDER*RECEIVER*20240105*1200*1*X*005010X221A1~',
      ...body,
      `SE*${body.length + 1}*0001~`,
      'GE*1*1~IEA*1*000000001~',
    ].join(''),
    'latin1',
  );
}

describe('texts the model hands out', () => {
  // A host that stores one long text per claim must not keep the chunks of the file it was
  // read from: V8 would keep a slice of 13 characters or more as a view into its chunk.
  test('keeping long texts does not keep the input', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const input = remittance();
    gc();
    const before = process.memoryUsage().heapUsed;

    const kept: string[] = [];
    for await (const event of stream835([input], { unit: 'claim' })) {
      if (event.type === 'claim' && event.claim.payerClaimControlNumber !== null) {
        kept.push(event.claim.payerClaimControlNumber);
      }
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;

    expect(kept).toHaveLength(CLAIMS);
    expect(kept[CLAIMS - 1]).toBe(`PAYER${String(CLAIMS - 1).padStart(8, '0')}X`);
    // The texts and their array take 2.2-2.5 MB of the input's 5 MB; keeping the decoded
    // chunks as well came to 7.5 MB.
    expect(grown).toBeLessThan(input.length * 0.75);
  });
});

import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { parse835, stream835 } from '../src/index';
import { claimsOf, diagnosticsOf, fieldCase, text } from './support';

/** Defects found in review; each test holds the value the parser should give. */

const T1 = text(fieldCase('T-1'));

/** T-1 as a second interchange: ISA13/IEA02 102, GS06/GE02 102, trace and claim renamed. */
const SECOND = T1.replaceAll('000000101', '000000102')
  .replace('*0930*101*X*', '*0930*102*X*')
  .replace('GE*1*101~', 'GE*1*102~')
  .replace('TRACE0001', 'TRACE0002')
  .replace('PCN-1001', 'PCN-2001');

/** The T-1 transaction set alone, ST to SE, with no envelope. */
const BODY = T1.slice(T1.indexOf('ST*835'), T1.indexOf('GE*'));

function codes(input: string | Uint8Array): string[] {
  return diagnosticsOf(parse835(input)).map((d) => `${d.code} ${d.element ?? ''}`.trim());
}

describe('envelopes belong to their own interchange and group (BR-05)', () => {
  test('a group read after IEA closed the interchange is not stamped with that ISA', () => {
    const withoutIsa = SECOND.slice(SECOND.indexOf('GS*'), SECOND.indexOf('IEA*'));
    const document = parse835(T1 + withoutIsa);
    const second = document.transactions[1];

    expect(second?.trace?.traceNumber).toBe('TRACE0002');
    expect(second?.interchange).toBeNull();
  });

  test('a transaction set read after GE closed the group is not stamped with that GS', () => {
    const input = T1.replace('IEA*1*000000101~', `${BODY.replace('0001', '0002')}IEA*1*000000101~`);
    const document = parse835(input);

    expect(document.transactions).toHaveLength(2);
    expect(document.transactions[1]?.group).toBeNull();
  });
});

describe('an ISA is found wherever an interchange starts (BR-01, BR-05)', () => {
  test('two files that each start with a byte-order mark, appended, give two interchanges', () => {
    const bom = '\ufeff';
    const document = parse835(`${bom}${T1}\r\n${bom}${SECOND}\r\n`);

    expect(document.transactions.map((t) => t.interchange?.controlNumber)).toEqual([
      '000000101',
      '000000102',
    ]);
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('a line of text between two interchanges does not swallow the second ISA', () => {
    const document = parse835(`${T1}\n--boundary--\n${SECOND}`);
    const second = claimsOf(document).find((c) => c.patientControlNumber === 'PCN-2001');

    expect(second).toBeDefined();
    expect(document.transactions[1]?.interchange?.controlNumber).toBe('000000102');
    expect(document.transactions[1]?.group?.controlNumber).toBe('102');
  });
});

describe('a blank element is an absent element (BR-07)', () => {
  test('a CLP01 of spaces is a missing patient control number: reported, claim skipped', () => {
    const input = T1.replace('CLP*PCN-1001*', 'CLP*   *');

    expect(claimsOf(parse835(input))).toEqual([]);
    expect(codes(input)).toContain('MISSING_ELEMENT CLP01');
  });

  test('a TRN02 of spaces is a missing trace number and is reported', () => {
    const input = T1.replace('TRN*1*TRACE0001*', 'TRN*1* *');

    expect(parse835(input).transactions[0]?.trace).toBeNull();
    expect(codes(input)).toContain('MISSING_ELEMENT TRN02');
  });

  test('a CAS reason padded with a space counts as that reason in the breakdown', () => {
    const document = parse835(T1.replace('CAS*PR*1*30**2*20~', 'CAS*PR*1 *30**2 *20~'));
    const [claim] = claimsOf(document);

    expect(claim?.serviceLines[0]?.adjustments.map((a) => a.reason)).toEqual(['45', '1', '2']);
    expect(claim?.patientResponsibility).toEqual({
      declaredCents: 5_000,
      adjustmentCents: 5_000,
      deductibleCents: 3_000,
      coinsuranceCents: 2_000,
      copayCents: 0,
      otherCents: 0,
    });
  });
});

describe('files without an ISA', () => {
  test('an ST02 holding a hyphen does not become the segment terminator', () => {
    const input = BODY.replace('ST*835*0001~', 'ST*835*A-1~').replace('SE*17*0001~', 'SE*17*A-1~');
    const document = parse835(input);

    expect(claimsOf(document).map((c) => c.patientControlNumber)).toEqual(['PCN-1001']);
    expect(claimsOf(document)[0]?.patientResponsibility.adjustmentCents).toBe(5_000);
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('a file that starts at GS reports the missing ISA and still reads its claims', () => {
    const input = T1.slice(T1.indexOf('GS*'), T1.indexOf('IEA*'));
    const document = parse835(input);

    expect(claimsOf(document).map((c) => c.patientControlNumber)).toEqual(['PCN-1001']);
    expect(diagnosticsOf(document).some((d) => d.severity === 'error')).toBe(true);
  });
});

describe('composites are split on what the sender used', () => {
  test('a PLB03 written with > where ISA16 says : is split, with a warning', () => {
    const input = T1.replace('BPR*I*80*', 'BPR*I*55*').replace(
      'SE*17*0001~',
      'PLB*1999999984*20241231*WO>CLM0009*25~SE*18*0001~',
    );
    const document = parse835(input);

    expect(document.transactions[0]?.providerAdjustments).toEqual([
      {
        providerId: '1999999984',
        fiscalPeriodDate: '2024-12-31',
        reason: 'WO',
        reference: 'CLM0009',
        amountCents: 2_500,
      },
    ]);
    expect(codes(input)).toEqual(['COMPONENT_SEPARATOR_MISMATCH PLB03']);
  });
});

describe('errors say what was expected', () => {
  test.each([
    ['text that is not X12', 'Dear provider, please find the remittance attached.\n'],
    ['an ISA without its delimiters', `ISA*00*${'x'.repeat(1_100)}~`],
    ['a last segment without terminator', T1.replace('IEA*1*000000101~', 'IEA*1*000000101')],
  ])('%s: the diagnostic names the expected thing, not only its message', (_name, input) => {
    const errors = diagnosticsOf(parse835(input)).filter((d) => d.severity === 'error');

    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error.expected).not.toBeNull();
  });
});

describe('streaming by claim keeps memory bounded by one claim (BR-13)', () => {
  test('250,000 claims that cannot be read do not pile up in memory until SE', async () => {
    const claims = 250_000;
    let peakHeap = 0;
    function* input(): Generator<string> {
      yield T1.slice(0, T1.indexOf('CLP*'));
      for (let first = 0; first < claims; first += 1_000) {
        let block = '';
        for (let n = first; n < first + 1_000; n++) {
          block +=
            `CLP*PCN-${n}*1*200*8O*50*12*CLM-${n}~NM1*QC*1*DOE*JANE****MI*M~` +
            'SVC*HC:99213*200*80**1~CAS*PR*1*30**2*20~';
        }
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        yield block;
      }
      yield `SE*${claims * 4 + 11}*0001~GE*1*101~IEA*1*000000101~`;
    }

    let problems = 0;
    for await (const event of stream835(input(), { unit: 'claim' })) {
      if (event.type === 'diagnostic') problems++;
      else if (event.type === 'transaction') problems += event.transaction.diagnostics.length;
    }

    expect(problems).toBe(claims);
    expect(peakHeap).toBeLessThan(64 * 1024 * 1024);
  });
});

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = ['--conditions=@memberpay/source', '--import', 'tsx', 'packages/era-835/src/cli.ts'];

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function era835(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...CLI, ...args],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'era835-review-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function scratchFile(name: string, content: string | Uint8Array): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

describe('era835 claims writes one line per problem', () => {
  test('a segment identifier holding a line break does not split its problem in two', async () => {
    const run = await era835(['claims', scratchFile('junk.txt', `${T1}\n--boundary--\n${SECOND}`)]);
    const lines = run.stderr.split('\n').filter((line) => line !== '');

    expect(run.code).toBe(0);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^era835: /);
  });

  test('a binary file is refused in one line without control characters', async () => {
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 7) % 256);
    const run = await era835(['claims', scratchFile('binary.bin', bytes)]);

    expect(run.code).toBe(1);
    expect(run.stderr.endsWith('\n')).toBe(true);
    expect(run.stderr.slice(0, -1)).not.toMatch(/\p{Cc}/u);
  });

  test('every problem found before the first 835 reaches standard error', async () => {
    const body = T1.slice(T1.indexOf('ST*835'), T1.indexOf('GE*'));
    let others = '';
    for (let n = 1; n <= 150; n++) {
      const control = String(n).padStart(4, '0');
      others += body
        .replace('ST*835*0001', `ST*837*${control}`)
        .replace('SE*17*0001', `SE*17*${control}`);
    }
    const input = `${T1.slice(0, T1.indexOf('ST*835'))}${others}${body}GE*151*101~IEA*1*000000101~`;
    const run = await era835(['claims', scratchFile('many.txt', input)]);

    expect(run.code).toBe(0);
    expect(run.stderr.match(/NOT_AN_835/g)).toHaveLength(150);
    expect(JSON.parse(run.stdout)).toHaveLength(1);
  });

  test.skipIf(!existsSync('/dev/full'))(
    'an output that cannot be written ends in one line and exit status 1',
    async () => {
      const full = openSync('/dev/full', 'w');
      const child = spawn(
        process.execPath,
        [...CLI, 'claims', join(ROOT, 'packages/era-835/test/fixtures/field-cases/T-1.txt')],
        { cwd: ROOT, stdio: ['ignore', full, 'pipe'] },
      );
      closeSync(full);
      let stderr = '';
      child.stderr?.on('data', (chunk) => {
        stderr += chunk;
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

      expect(code).toBe(1);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^era835: /);
    },
  );
});

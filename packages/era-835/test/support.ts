import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type ClaimPayment,
  type Diagnostic,
  type Era835Document,
  type Era835Input,
  stream835,
  type Transaction,
} from '../src/index';
import { parseWhole } from '../src/parse';

/** The shared 835 corpus, `../shared/corpus/era835/` from the repository root. */
export const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/era835/', import.meta.url));
export const hasCorpus = existsSync(CORPUS);

export const GEN835 = fileURLToPath(
  new URL('../../../../shared/tools/gen835.mjs', import.meta.url),
);
export const hasGenerator = existsSync(GEN835);

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export function fixture(name: string): Buffer {
  return readFileSync(`${FIXTURES}${name}`);
}

export function fieldCase(name: string): Buffer {
  return fixture(`field-cases/${name}.txt`);
}

export function corpusFile(path: string): Buffer {
  return readFileSync(`${CORPUS}${path}`);
}

/** Every corpus file as `folder/name`, sorted; empty without the corpus. */
export function corpusFiles(): string[] {
  if (!hasCorpus) return [];
  return readdirSync(CORPUS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((folder) =>
      readdirSync(`${CORPUS}${folder.name}`).map((name) => `${folder.name}/${name}`),
    )
    .sort();
}

export function claimsOf(document: Era835Document): ClaimPayment[] {
  return document.transactions.flatMap((transaction) => [...transaction.claims]);
}

/** Every diagnostic of a document: outside transactions, of transactions, of claims. */
export function diagnosticsOf(document: Era835Document): Diagnostic[] {
  return [
    ...document.diagnostics,
    ...document.transactions.flatMap((transaction) => [
      ...transaction.diagnostics,
      ...transaction.claims.flatMap((claim) => [...claim.diagnostics]),
    ]),
  ];
}

export function codesOf(document: Era835Document): string[] {
  return diagnosticsOf(document).map((diagnostic) => diagnostic.code);
}

export function claim(document: Era835Document, patientControlNumber: string): ClaimPayment {
  const found = claimsOf(document).find((c) => c.patientControlNumber === patientControlNumber);
  if (found === undefined) throw new Error(`no claim ${patientControlNumber}`);
  return found;
}

/** Reads the input through the streaming API into the shape `parse835` returns. */
export async function streamed(input: Era835Input): Promise<Era835Document> {
  const transactions: Transaction[] = [];
  const diagnostics: Diagnostic[] = [];
  for await (const event of stream835(input)) {
    if (event.type === 'transaction') transactions.push(event.transaction);
    else if (event.type === 'diagnostic') diagnostics.push(event.diagnostic);
  }
  return { transactions, diagnostics };
}

/**
 * The typed parse with every segment left to the reader's handlers: what `parse835` gives
 * when the fast lane that reads the usual segments straight from the bytes takes nothing.
 */
export function parsedByHandlers(input: string | Uint8Array): Era835Document {
  return parseWhole(input, { fastLane: false });
}

/** The bytes cut at the given offsets (sorted, within the input). */
export function cut(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const offset of [...offsets].sort((a, b) => a - b)) {
    chunks.push(bytes.subarray(from, offset));
    from = offset;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** Bytes as one-byte-per-character text, for editing fixtures in tests. */
export function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

/** `source` with each `[from, to]` replaced once; a `from` the source lacks is a broken test. */
export function edit(source: string, replacements: readonly [string, string][]): string {
  let result = source;
  for (const [from, to] of replacements) {
    if (!result.includes(from)) throw new Error(`the source has no ${from}`);
    result = result.replace(from, to);
  }
  return result;
}

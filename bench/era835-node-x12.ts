/** node-x12 as its README shows it: the whole file parsed into an interchange, claims counted. */
import { readFileSync } from 'node:fs';
import { X12Interchange, X12Parser } from 'node-x12';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: era835-node-x12 FILE');
const parsed = new X12Parser().parse(readFileSync(path, 'utf8'));
const interchanges = parsed instanceof X12Interchange ? [parsed] : [...parsed];
let claims = 0;
for (const interchange of interchanges) {
  for (const group of interchange.functionalGroups) {
    for (const transaction of group.transactions) {
      for (const segment of transaction.segments) if (segment.tag === 'CLP') claims++;
    }
  }
}
console.log(claims);

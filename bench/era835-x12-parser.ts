/** x12-parser as its README shows it: the file piped through its segment stream, claims counted. */
import { createReadStream } from 'node:fs';
import { X12parser } from 'x12-parser';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: era835-x12-parser FILE');
let claims = 0;
createReadStream(path)
  .pipe(new X12parser())
  .on('data', (segment: { name: string }) => {
    if (segment.name === 'CLP') claims++;
  })
  .on('end', () => console.log(claims))
  .on('error', (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });

// The pure parts of CSV import: delimiter detection, the header guess, and the text written out
// (COPY text for PostgreSQL, report cells for spreadsheets).
import t from 'tap';
import { detectDelimiter, copyText, analyseHead } from '../../src/modules/contacts/contact-import.csv.js';
import { csvCell } from '../../src/modules/contacts/csv-cell.js';
import { guessMapping, cleanFileName } from '../../src/modules/contacts/contact-import.service.js';
import type { CustomField } from '../../src/modules/contacts/custom-field.entity.js';
import { ConfigError, loadConfig } from '../../src/config.js';

t.test('the delimiter is the one that splits the header and the rows alike', async (t) => {
  t.equal(detectDelimiter('phone,name\n+336,Ann\n'), ',');
  t.equal(detectDelimiter('phone;name;note\n+336;Ann;"a, b, c"\n'), ';', 'commas inside quotes do not count');
  t.equal(detectDelimiter('"last, first";phone\n"Smith, Ann";+336\n'), ';');
  t.equal(detectDelimiter('phone\tname\n+336\tAnn\n'), '\t');
  t.equal(detectDelimiter('phone|name\n+336|Ann\n'), '|');
  t.equal(detectDelimiter('\uFEFFphone;name\r\n+336;Ann\r\n'), ';', 'a BOM and CRLF');
  t.equal(detectDelimiter('phone,name;x\n+336,Ann;y\n+337,Bob;z\n'), ',', 'a tie goes to the rows that agree, then the comma');
  t.equal(detectDelimiter('phone\n+336\n'), ',', 'a single column');
  t.equal(detectDelimiter(''), ',');
});

t.test('the first rows are read with the line of any problem', async (t) => {
  const head = await analyseHead(Buffer.from('a,b\n1,2\n3,4,5\n'), true, ',');
  t.same(head.header, ['a', 'b']);
  t.match(head.problem, 'Line 3 has 3 values but the header has 2 columns');
  const cut = await analyseHead(Buffer.from('a,b\n1,2\n3,"4\nand more'), false, ',');
  t.same(cut.preview, [['1', '2']], 'a head cut in the middle of a row only shows whole rows');
  t.equal(cut.problem, null);
  await t.rejects(analyseHead(Buffer.from(',,\n1,2,3\n'), true, ','), /must name the columns/);
});

t.test('report cells: quoted as needed, formulas defused', async (t) => {
  t.equal(csvCell('Ann'), 'Ann');
  t.equal(csvCell('=SUM(A1:A9)'), "'=SUM(A1:A9)");
  t.equal(csvCell('+33612345678'), '+33612345678', 'an E.164 number is data, not a formula');
  t.equal(csvCell('-1'), '-1', 'so is a negative number');
  t.equal(csvCell('-1+2'), "'-1+2", 'a sum is not');
  t.equal(csvCell('@cmd'), "'@cmd");
  t.equal(csvCell('\tx'), `"'\tx"`, 'a tab is defused and quoted');
  t.equal(csvCell('a,b'), '"a,b"');
  t.equal(csvCell('say "hi"'), '"say ""hi"""');
  t.equal(csvCell('=a,"b"'), `"'=a,""b"""`);
  t.equal(csvCell('two\nlines'), '"two\nlines"');
  t.equal(csvCell(null), '');
  t.equal(csvCell(12), '12', 'numbers (line numbers) are not text');
});

t.test('COPY text escapes what PostgreSQL would read as structure', async (t) => {
  t.equal(copyText('plain'), 'plain');
  t.equal(copyText(null), '\\N');
  t.equal(copyText('\\N'), '\\\\N', 'a literal backslash-N is not a null');
  t.equal(copyText('a\tb\nc\rd\\e'), 'a\\tb\\nc\\rd\\\\e');
});

t.test('the mapping is guessed from header names, each field once', async (t) => {
  const custom = new Map([['tier', { key: 'tier', label: 'Loyalty tier', type: 'text' } as CustomField]]);
  t.same(guessMapping(['Mobile Phone', 'E-Mail', 'Prénom', 'NOM', 'Loyalty Tier', 'tel', 'Opt-in', 'Notes'], custom), ['phone', 'email', 'first_name', 'last_name', 'tier', null, 'sms_opt_in', null]);
  t.same(guessMapping(['first_name', 'last_name', 'phone_number', 'tier'], custom), ['first_name', 'last_name', 'phone', 'tier']);
});

t.test('IMPORT_MAX_MB and file names', async (t) => {
  t.equal(loadConfig({}).importMaxBytes, 200 * 1024 * 1024, '200 MB by default');
  t.equal(loadConfig({ IMPORT_MAX_MB: '5' }).importMaxBytes, 5 * 1024 * 1024);
  t.throws(() => loadConfig({ IMPORT_MAX_MB: 'lots' }), new ConfigError('IMPORT_MAX_MB must be a whole number, got "lots"'), 'a bad value stops start-up with one line');
  t.throws(() => loadConfig({ IMPORT_MAX_MB: '0' }), /between 1 and 100000/);
  t.equal(cleanFileName('C:\\Users\\ann\\contacts.csv'), 'contacts.csv');
  t.equal(cleanFileName('../../etc/passwd'), 'passwd');
  t.equal(cleanFileName(''), 'contacts.csv');
});

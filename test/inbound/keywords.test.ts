// Reading keywords and email addresses out of what people type: case, accents, punctuation and
// spacing do not matter; a sentence is not a keyword; hostile input stays fast (no backtracking).
import t from 'tap';
import { defaultKeywords, emailIn, eventKeywordProblem, firstWord, afterFirstWord, matchKeyword } from '../../src/modules/inbound/keywords.js';

t.test('each country starts with the keywords facts.md lists', async (t) => {
  t.ok(defaultKeywords('US').optOut.includes('REVOKE'));
  t.ok(defaultKeywords('US').optIn.includes('YES'));
  t.same([defaultKeywords('CA').optOut.includes('ARRET'), defaultKeywords('CA').help.includes('AIDE')], [true, true], 'Canada adds ARRET and AIDE');
  t.same(defaultKeywords('FR').optOut, ['STOP', 'ARRET']);
  t.ok(defaultKeywords('DE').optOut.includes('TD'), 'other countries: the broad list');
});

t.test('STOP in the forms people type, and what is not STOP', async (t) => {
  const us = defaultKeywords('US');
  const read = (text: string) => matchKeyword(text, us);
  t.same(read('stop'), { kind: 'opt_out', keyword: 'STOP' });
  t.same(read(' Stop! '), { kind: 'opt_out', keyword: 'STOP' });
  t.same(read('opt out'), { kind: 'opt_out', keyword: 'OPTOUT' });
  t.same(read('Stop all'), { kind: 'opt_out', keyword: 'STOPALL' }, 'STOP ALL is STOPALL where that is a keyword');
  t.same(read('STOP 36180'), { kind: 'opt_out', keyword: 'STOP' }, 'STOP with the short number');
  t.same(matchKeyword('STOP au 36180', defaultKeywords('FR')), { kind: 'opt_out', keyword: 'STOP' });
  t.same(matchKeyword('Arrêt', defaultKeywords('FR')), { kind: 'opt_out', keyword: 'ARRET' }, 'accents do not matter');
  t.same(read('Yes'), { kind: 'opt_in', keyword: 'YES' });
  t.same(read('info?'), { kind: 'help', keyword: 'INFO' });
  t.equal(read('please stop texting me about shoes'), null, 'a sentence is for a person to read');
  t.equal(read('stopping by later'), null);
  t.equal(read(''), null);
  t.equal(read('😀'), null);
});

t.test('event keywords, the text after them, and email addresses', async (t) => {
  t.equal(firstWord('  confirm, thanks'), 'CONFIRM');
  t.equal(afterFirstWord('feedback   Great shop\nreally'), 'Great shop\nreally');
  t.equal(emailIn('mail: <Ann.Smith+sms@Example.co.uk>.'), 'ann.smith+sms@example.co.uk');
  t.equal(emailIn('no address @ here'), null);
  t.equal(eventKeywordProblem('CONFIRM'), null);
  t.match(eventKeywordProblem('é'), /2 to 30 Latin letters and digits/);
  t.match(eventKeywordProblem('a'), /2 to 30/);
});

t.test('pathological texts are read (a quadratic scan would run into the test timeout)', async (t) => {
  t.equal(emailIn('a'.repeat(200_000) + '@' + '.'.repeat(200_000)), null);
  t.equal(emailIn('@'.repeat(200_000)), null);
  t.equal(matchKeyword('stop '.repeat(100_000), defaultKeywords('US')), null, 'a long text is no keyword');
  t.equal(firstWord('!'.repeat(200_000)), null);
});

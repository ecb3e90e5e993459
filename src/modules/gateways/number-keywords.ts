// The keyword lists of an inbound number (facts.md "Opt-out, opt-in and help keywords"): the
// defaults of a new number by its country, and the one form keywords are compared in. They live
// with the number (Settings → Inbound numbers fills and checks them); matching a message against
// them is the inbound module's (inbound/keywords.ts).

export interface KeywordLists {
  optOut: string[];
  optIn: string[];
  help: string[];
}

const US: KeywordLists = {
  optOut: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'],
  optIn: ['START', 'YES', 'UNSTOP'],
  help: ['HELP', 'INFO'],
};

/** A new number's keywords, by its country. Owners can change them per number. */
export const DEFAULT_KEYWORDS: Readonly<Record<string, KeywordLists>> = {
  US,
  // Canada: STOP, ARRET, HELP, AIDE and INFO are mandatory.
  CA: { optOut: [...US.optOut, 'ARRET'], optIn: US.optIn, help: [...US.help, 'AIDE'] },
  FR: { optOut: ['STOP', 'ARRET'], optIn: ['START', 'UNSTOP'], help: ['HELP', 'AIDE', 'INFO'] },
  // Every other country: the common broad list.
  '*': { optOut: ['ARRET', 'CANCEL', 'END', 'OPT-OUT', 'OPTOUT', 'QUIT', 'REMOVE', 'STOP', 'TD', 'UNSUBSCRIBE'], optIn: ['START', 'UNSTOP'], help: ['HELP', 'INFO'] },
};

export function defaultKeywords(country: string | null): KeywordLists {
  const lists = DEFAULT_KEYWORDS[country ?? ''] ?? DEFAULT_KEYWORDS['*'];
  return { optOut: [...lists.optOut], optIn: [...lists.optIn], help: [...lists.help] };
}

/** Upper case without accents: the form keywords are compared in. */
function fold(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toUpperCase();
}

const isAlnum = (c: string) => (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

/** The words of a text: runs of Latin letters and digits, folded; everything else separates. */
export function wordsOf(text: string): string[] {
  const words: string[] = [];
  let word = '';
  for (const c of fold(text)) {
    if (isAlnum(c)) word += c;
    else if (word) {
      words.push(word);
      word = '';
    }
  }
  if (word) words.push(word);
  return words;
}

/** A keyword as compared: folded, letters and digits only ("OPT-OUT" is "OPTOUT"). */
export function keywordKey(keyword: string): string {
  return wordsOf(keyword).join('');
}

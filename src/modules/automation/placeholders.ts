// Placeholders in what automation writes (email templates, field values): a contact's fields as
// in campaigns, plus `{{event.<name>}}`, the data of the event that started the run (any name:
// the caller of the trigger API decides them).
import { unknownPlaceholders } from '../campaigns/index.js';

/** The placeholders of `text` that are neither known fields nor event data, each once. */
export function unknownPlaceholdersOf(text: string, known: ReadonlySet<string>): string[] {
  return unknownPlaceholders(text, known).filter((name) => !/^event\.[^\s.][^\s]*$/.test(name));
}

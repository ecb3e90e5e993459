// The ordered list of migrations. Never edit a migration once it has landed; add a new one.
import { Migration20261127000000Foundation } from './Migration20261127000000Foundation.js';
import { Migration20261127000100Contacts } from './Migration20261127000100Contacts.js';

export const migrationsList = [
  { name: 'Migration20261127000000Foundation', class: Migration20261127000000Foundation },
  { name: 'Migration20261127000100Contacts', class: Migration20261127000100Contacts },
];

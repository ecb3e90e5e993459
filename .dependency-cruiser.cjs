// The module order of DESIGN.md ("Module order"), checked by `npm test` (npm run depcheck).
// Each forbidden direction is one rule, so a backwards import fails with the rule's name.
//
//   entry (main, app, cli, routes, jobs, entities, orm, wiring)       may import anything
//   reporting                                                          imported by nothing
//   inbound → automation → sending → campaigns → contacts | gateways → accounts
//   infrastructure (db/, plugins/, config, errors, money, phone, …)   imports no feature module
//
// A module is used by another only through its index.ts (what it offers, in one place).
const MODULE = '^src/modules/';
const ENTRY = '^src/(main|app|cli|routes|jobs|entities|orm|wiring)\\.ts$';
const above = (layers) => `^src/modules/(${layers.join('|')})/`;

/** A forbidden direction: from `from` to modules `to`. */
const forbid = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

module.exports = {
  forbidden: [
    forbid('infrastructure-imports-no-feature', 'src/db, src/plugins and the shared files (config, errors, log, money, phone, poller, secrets, text) serve every module and know none: take what you need as a parameter or a hook.', '^src/(db|plugins)/|^src/(config|errors|log|money|phone|poller|secrets|text)\\.ts$', MODULE),
    forbid('nothing-imports-the-entry', 'The entry files (main, app, cli, routes, jobs, entities, orm, wiring) assemble the modules; no module or infrastructure file may import them.', '^src/(db|plugins|modules)/|^src/(config|errors|log|money|phone|poller|secrets|text)\\.ts$', ENTRY),
    forbid('accounts-is-the-bottom', 'accounts (tenancy, users, auth, credits, prices) imports no other module: offer a hook (see accounts/hooks.ts) instead.', '^src/modules/accounts/', '^src/modules/(?!accounts/)'),
    forbid('gateways-know-only-accounts', 'gateways are leaves: they know accounts, never contacts, campaigns, sending or the modules above.', '^src/modules/gateways/', '^src/modules/(?!accounts/|gateways/)'),
    forbid('contacts-know-only-accounts', 'contacts know nothing of what uses them: campaigns and the rest register a usage check (contacts/usage.ts) or rely on a restricting foreign key.', '^src/modules/contacts/', '^src/modules/(?!accounts/|contacts/)'),
    forbid('campaigns-below-sending', 'campaigns (the Create tab, text rules, sendability) sit below sending: sending registers campaign hooks (campaigns/hooks.ts).', '^src/modules/campaigns/', above(['sending', 'automation', 'inbound', 'reporting'])),
    forbid('sending-below-automation', 'sending sits below automation, inbound and reporting.', '^src/modules/sending/', above(['automation', 'inbound', 'reporting'])),
    forbid('automation-below-inbound', 'automation sits below inbound and reporting.', '^src/modules/automation/', above(['inbound', 'reporting'])),
    forbid('inbound-below-reporting', 'inbound sits below reporting.', '^src/modules/inbound/', above(['reporting'])),
    forbid('reporting-is-imported-by-nothing', 'reporting reads everything and is imported by no module.', '^src/modules/(?!reporting/)', above(['reporting'])),
    {
      name: 'modules-meet-through-index',
      comment: 'Another module is used through its index.ts only: that file is what it offers.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/([^/]+)/(?!index\\.ts$)', pathNot: '^src/modules/$1/' },
    },
    { name: 'no-cycles', comment: 'Modules depend one way; files too.', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};

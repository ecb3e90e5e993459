// What the accounts module offers the modules above it (DESIGN.md "Module order"): other modules
// import it from here only.
export { Account } from './account.entity.js';
export { authPlugin, hasRole, OWNER_ONLY } from './auth.plugin.js';
export { creditBalance, layoutBalance, reconcileCreditBalances } from './credits.js';
export { balanceOn, debitOn, recordSendingEntryOn } from './credits.queries.js';
export { registerAccountSetup } from './hooks.js';
export { housekeeping } from './housekeeping.js';
export { partPrice, priceTable, type PriceTable } from './prices.js';
export { type SessionLimits } from './sessions.js';
export { ownedByAccount } from './base-entity.js';
export { DEFAULT_WINDOWS, SendWindow, isOpen, nextOpening, parseWindow, quietHoursOf, recipientZones, windowsFor, zoneOpeningAt, zonesOf, type CountryWindows, type QuietHours, type TimeWindow } from './quiet-hours.js';

/**
 * The one suite every Store implementation passes (as Hono runs one case file against every router):
 * give it a harness factory and it registers the cases under one `describe`.
 */
import { after, before, describe } from 'node:test';
import { auditCases, dataPlaneCases, telemetryCases } from './suite/audit-cases.ts';
import { crudCases } from './suite/crud-cases.ts';
import { exportWatchCases } from './suite/export-watch-cases.ts';
import type { StoreHarness } from './suite/harness.ts';
import { migrationCases } from './suite/migration-cases.ts';
import { pagingCases } from './suite/paging-cases.ts';
import { rulesCases } from './suite/rules-cases.ts';
import { transactionCases } from './suite/transaction-cases.ts';

export type { EmptyDatabase, StoreHarness } from './suite/harness.ts';

/**
 * Registers the store cases. `openHarness` runs once before them (it should create a fresh database);
 * `skip`, when set, skips them all with that reason.
 */
export function storeSuite(title: string, openHarness: () => Promise<StoreHarness>, options: { skip?: string | null } = {}): void {
  describe(title, { skip: options.skip ?? false }, () => {
    let harness: StoreHarness | null = null;
    const current = (): StoreHarness => {
      if (harness === null) throw new Error(`${title}: the harness did not start (see the error of the before hook)`);
      return harness;
    };
    before(async () => {
      harness = await openHarness();
    });
    after(async () => {
      await harness?.close();
    });
    crudCases(current);
    pagingCases(current);
    rulesCases(current);
    transactionCases(current);
    exportWatchCases(current);
    migrationCases(current);
    auditCases(current);
    dataPlaneCases(current);
    telemetryCases(current);
  });
}

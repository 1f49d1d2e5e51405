import { DefaultReporter, type TestModule } from 'vitest/node';

/**
 * The default reporter plus one closing line, `N passed, N failed, N skipped`, that CI reads.
 * Unhandled errors count as failures so a crash outside a test can never read as green.
 */
export default class SummaryReporter extends DefaultReporter {
  override onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: Parameters<DefaultReporter['onTestRunEnd']>[1],
    reason: Parameters<DefaultReporter['onTestRunEnd']>[2],
  ): void {
    super.onTestRunEnd(testModules, unhandledErrors, reason);
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (mod.state() === 'failed' && mod.errors().length > 0) failed += mod.errors().length;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

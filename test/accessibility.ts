import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Browser, BrowserContext, Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * A browser context whose pages get axe-core before their own scripts. It is injected as an init script
 * (over the DevTools protocol), which the page's content security policy does not apply to; the page
 * itself still runs under its policy.
 */
export async function contextWithAxe(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript({ content: AXE_SOURCE });
  return context;
}

/** Runs axe-core in the page: no serious or critical violation of WCAG 2.x A/AA rules and best practices. */
export async function assertAccessible(page: Page, where: string): Promise<void> {
  const violations = await page.evaluate<{ id: string; impact: string; nodes: string[] }[]>(
    `axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations.map((violation) => ({
      id: violation.id, impact: violation.impact, nodes: violation.nodes.map((node) => node.target.join(' ')) })))`,
  );
  const serious = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  assert.deepEqual(serious, [], `${where}: accessibility violations`);
}

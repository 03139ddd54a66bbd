import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { jsOn, signIn } from './helpers';

// Every page at phone width (360 px), light and dark, as each demo user it differs for: nothing may
// scroll sideways (wide tables scroll inside their card, long names and code wrap or scroll in their
// box), the header's background spans the whole width, and what scrolls inside a box can be scrolled
// from the keyboard. Set BERTH_NARROW_SHOTS to a directory to keep a full-page screenshot of each.
const WIDTH = 360;
test.use({ viewport: { width: WIDTH, height: 800 } });

type Visit = { user?: string; path: string; ready: string };
const visits: Visit[] = [
  { user: 'alice', path: '/', ready: '#team-list' },
  { user: 'dave', path: '/', ready: '#no-teams' },
  { user: 'bob', path: '/teams/alpha', ready: '#robots' },
  { user: 'alice', path: '/teams/alpha', ready: '#manage' },
  { user: 'carol', path: '/teams/beta', ready: '#manage' },
  { user: 'erin', path: '/teams/beta', ready: '#download-disabled' },
  { user: 'bob', path: '/teams/no-such-team', ready: '#not-found' },
  { user: 'alice', path: '/admin', ready: '#admin-teams' },
  { user: 'bob', path: '/admin', ready: '.error-note' },
  { user: 'alice', path: '/audit', ready: '#audit-filter' },
  { user: 'carol', path: '/audit', ready: '#audit-filter' },
  { user: 'alice', path: '/admin/health', ready: '#reconciler-health' },
  { user: 'alice', path: '/admin/harbor-users?q=example', ready: '#harbor-users' },
  { user: 'bob', path: '/no/such/page', ready: '#not-found' },
  { path: '/signed-out', ready: '#sign-in-again' },
];

/** The widths that matter: the document's (what scrolls sideways), the viewport's and the header's. */
const widths = (page: Page) => page.evaluate(() => ({
  document: document.documentElement.scrollWidth,
  viewport: document.documentElement.clientWidth,
  header: document.querySelector('header')?.getBoundingClientRect().width ?? 0,
}));

for (const { user, path, ready } of visits) {
  test(`${path} as ${user ?? 'nobody'} fits ${WIDTH} px, light and dark`, async ({ page }, info) => {
    if (user) await signIn(page, user, path);
    else await page.goto(path);
    await expect(page.locator(ready).first()).toBeVisible();
    // With JavaScript, the islands add their buttons once hydrated: measure the page as it then is.
    await page.waitForLoadState('networkidle');
    // The how-tos' code shows only when opened (a plain <details>: with JavaScript or without).
    for (const summary of await page.locator('details > summary').all()) await summary.click();
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const seen = await widths(page);
      expect.soft(seen.document, `${path} as ${user ?? 'nobody'}, ${colorScheme}: the page's width`).toBeLessThanOrEqual(WIDTH);
      expect.soft(seen.header, `${path} as ${user ?? 'nobody'}, ${colorScheme}: the header's width`).toBeGreaterThanOrEqual(Math.max(seen.document, seen.viewport));
      if (process.env.BERTH_NARROW_SHOTS) {
        const name = `${(user ?? 'nobody')}${path.replace(/[^a-z0-9]+/gi, '-')}-${colorScheme}-${info.project.name}.png`;
        await page.screenshot({ path: `${process.env.BERTH_NARROW_SHOTS}/${name}`, fullPage: true });
      }
    }
    // axe-core runs as a script in the page; the HTML is the same without JavaScript.
    if (jsOn(info)) {
      const result = await new AxeBuilder({ page }).withRules(['scrollable-region-focusable']).analyze();
      expect.soft(result.violations.flatMap((v) => v.nodes.map((n) => n.target.join(' '))), `${path}: boxes that scroll but take no focus`).toEqual([]);
    }
  });
}

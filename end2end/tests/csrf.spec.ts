import { test, expect } from '@playwright/test';
import { kubectl, signIn } from './helpers';

// Another origin on the same site (only the port differs), so SameSite=Lax still sends Berth's cookie
// with a form posted from there: only Berth's Origin check stands between that page and the admin.
const berth = process.env.BERTH_URL ?? 'http://127.0.0.1:3000';
const attacker = 'http://127.0.0.1:4999';

// Every request that changes something, as a plain form (it works the same with JavaScript off).
const forged: [string, Record<string, string>][] = [
  ['/api/set_push_secret_download', { team: 'beta', enabled: 'true' }],
  ['/api/rotate_credentials', { team: 'alpha', purpose: 'push' }],
  ['/api/create_team', { name: 'csrf-made', groups: 'csrf', push_secret_download: 'on' }],
  ['/api/delete_team', { team: 'beta', confirm: 'beta' }],
  ['/api/delete_harbor_user', { user_id: '2', confirm: 'bob' }],
  ['/auth/logout', {}],
];

const betaDownload = () => kubectl('get', 'team', 'beta', '-o', 'jsonpath={.spec.pushSecretDownload}');
const alphaPushRotation = () => kubectl('get', 'team', 'alpha', '-o', 'jsonpath={.metadata.annotations.berth\\.dev/rotate-push}');

test('a page on another origin cannot make Berth change anything for a signed-in admin', async ({ page }) => {
  await signIn(page, 'alice');
  const before = { beta: betaDownload(), rotation: alphaPushRotation() };
  for (const [path, fields] of forged) {
    const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`).join('');
    await page.route(`${attacker}/attack`, (route) =>
      route.fulfill({ contentType: 'text/html', body: `<form method="post" action="${berth}${path}">${inputs}<button id="go">Claim your prize</button></form>` }));
    await page.goto(`${attacker}/attack`);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url() === `${berth}${path}`), page.click('#go')]);
    expect(response.status(), path).toBe(403);
    expect(await response.text(), path).toContain("did not come from Berth's own pages");
    await page.unroute(`${attacker}/attack`);
  }
  expect(betaDownload()).toBe(before.beta);
  expect(alphaPushRotation()).toBe(before.rotation);
  expect(kubectl('get', 'teams', '-o', 'name')).not.toContain('csrf-made');
  expect(kubectl('get', 'teams', '-o', 'name')).toContain('team.berth.dev/beta');
  // Still signed in: the forged sign-out did nothing either.
  await page.goto(`${berth}/`);
  await expect(page.locator('#signed-in-as')).toContainText('alice');
});

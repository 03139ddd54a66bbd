import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsOn, kubectl, signIn } from './helpers';

const fakeHarbor = process.env.FAKE_HARBOR_URL ?? 'http://127.0.0.1:8089';
// Harbor's API as Berth sees it: through Prism, so these exchanges are checked against the spec too.
const harborApi = `${process.env.BERTH_HARBOR_URL ?? 'http://127.0.0.1:4010'}/api/v2.0`;
const harborAdmin = 'Basic ' + Buffer.from(`admin:${process.env.BERTH_HARBOR_PASSWORD ?? 'Harbor12345'}`).toString('base64');
const registry = process.env.BERTH_REGISTRY_HOST ?? '127.0.0.1:8089';

async function fake(path: string, body: unknown) {
  const response = await fetch(`${fakeHarbor}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.ok, `${path}: ${response.status}`).toBeTruthy();
  return response;
}

/** The push secret's password as Kubernetes holds it (the test's ground truth). */
function pushPassword(namespace = 'team-alpha'): string {
  const encoded = kubectl('get', 'secret', 'harbor-pushsecret', '-n', namespace, '-o', 'jsonpath={.data.\\.dockerconfigjson}');
  return JSON.parse(Buffer.from(encoded, 'base64').toString())['auths'][registry]['password'];
}

async function registryLogin(username: string, password: string): Promise<number> {
  const response = await fetch(`${fakeHarbor}/v2/`, { headers: { Authorization: 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64') } });
  return response.status;
}

async function saved(page: Page, click: () => Promise<unknown>): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: download.suggestedFilename(), text: readFileSync(await download.path(), 'utf8') };
}

function auditEvents(action: string): { annotations: Record<string, string>; message: string }[] {
  const events = JSON.parse(kubectl('get', 'events', '-n', 'default', '-l', `berth.dev/action=${action}`, '-o', 'json'));
  return events.items.map((e: { metadata: { annotations: Record<string, string> }; message: string }) => ({ annotations: e.metadata.annotations, message: e.message }));
}

test('every download format parses back to the same push credentials, and each is audited', async ({ page }) => {
  await signIn(page, 'bob', '/teams/alpha');
  const password = pushPassword();
  const username = (await page.locator('#push-username').textContent())!;
  expect(username).toBe('robot$berth-alpha-push');

  const config = await saved(page, () => page.click('#download-docker-config'));
  expect(config.name).toBe('docker-config-alpha.json');
  expect(JSON.parse(config.text).auths[registry]).toMatchObject({ username, password });

  const auth = await saved(page, () => page.click('#download-containers-auth'));
  expect(auth.name).toBe('auth-alpha.json');
  const entry = JSON.parse(auth.text).auths[registry];
  expect(Object.keys(entry)).toEqual(['auth']);
  expect(Buffer.from(entry.auth, 'base64').toString()).toBe(`${username}:${password}`);

  const file = await saved(page, () => page.click('#download-password'));
  expect(file.name).toBe('password-alpha.txt');
  expect(file.text).toBe(password);
  expect(await registryLogin(username, file.text)).toBe(200);

  // The manifest is for the namespace typed into the form (one without that secret, so the dry run creates
  // it); the API server itself parses and validates it.
  await page.fill('#secret-manifest-form input[name="namespace"]', 'default');
  const manifest = await saved(page, () => page.click('#download-kubernetes-secret'));
  expect(manifest.name).toBe('harbor-pushsecret-alpha.yaml');
  const dir = mkdtempSync(join(tmpdir(), 'berth-'));
  writeFileSync(join(dir, 'secret.yaml'), manifest.text);
  const applied = JSON.parse(kubectl('apply', '--dry-run=server', '-o', 'json', '-f', join(dir, 'secret.yaml')));
  expect(applied.metadata).toMatchObject({ name: 'harbor-pushsecret', namespace: 'default' });
  expect(applied.type).toBe('kubernetes.io/dockerconfigjson');
  expect(JSON.parse(Buffer.from(applied.data['.dockerconfigjson'], 'base64').toString()).auths[registry].password).toBe(password);

  // An invalid namespace is refused (and audited as such) before the secret is read.
  const bad = await page.request.get('/teams/alpha/downloads/secret.yaml?namespace=Not_A_Namespace');
  expect(bad.status()).toBe(400);

  const details = auditEvents('push-secret-download').filter((e) => e.annotations['berth.dev/actor'] === 'bob').map((e) => `${e.annotations['berth.dev/detail']}:${e.annotations['berth.dev/result']}`);
  for (const expected of ['docker-config:allowed', 'containers-auth:allowed', 'password:allowed', 'kubernetes-secret, namespace default:allowed', 'kubernetes-secret, invalid namespace:denied']) {
    expect(details).toContain(expected);
  }
});

test('the login and CI snippets quote the robot name and never hold the password', async ({ page }) => {
  await signIn(page, 'bob', '/teams/alpha');
  const password = pushPassword();
  const html = await page.content();
  expect(html).not.toContain(password);
  const code = async (id: string) => (await page.locator(`#howto-${id} code`).textContent())!;
  const login = (await code('docker-login')).split('\n')[0];
  expect(login).toContain("--username 'robot$berth-alpha-push'");
  // Run it in a real shell with `docker` replaced: the name arrives whole, `$berth` unexpanded.
  const args = execFileSync('bash', ['-c', `docker() { printf '%s\\n' "$@"; }; ${login.replace(/ < \S+$/, '')}`], { encoding: 'utf8' }).trim().split('\n');
  expect(args).toEqual(['login', registry, '--username', 'robot$berth-alpha-push', '--password-stdin']);
  const github = await code('github-actions');
  expect(github).toContain('${{ secrets.HARBOR_PUSH_PASSWORD }}');
  expect(await code('gitlab-ci')).toContain('"$HARBOR_PUSH_PASSWORD"');
  expect(await code('pull-in-cluster')).toContain(`image: ${registry}/team-alpha/app:1.0`);
  await expect(page.locator('#registry-path')).toHaveText(`${registry}/team-alpha`);
});

test('the copy button puts the password on the clipboard only when pressed', async ({ page, context }, info) => {
  await signIn(page, 'bob', '/teams/alpha');
  if (!jsOn(info)) {
    // Without JavaScript there is no copy button; the password file link does the job.
    await expect(page.locator('#copy-password')).toHaveCount(0);
    await expect(page.locator('#download-password')).toBeVisible();
    return;
  }
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const password = pushPassword();
  await page.click('#copy-password');
  await expect(page.locator('.toast[data-kind="success"]')).toContainText('Password copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(password);
  expect(await page.content()).not.toContain(password);
});

test('a team whose last pass failed warns its members and says what to do', async ({ page }) => {
  // A Team whose namespace does not exist cannot get its secrets: its pass fails and says why.
  const name = `ghost-${Date.now().toString(36)}`;
  execFileSync('kubectl', ['--kubeconfig', process.env.BERTH_STACK_ADMIN_KUBECONFIG!, 'apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'berth.dev/v1alpha1', kind: 'Team', metadata: { name }, spec: { namespace: `${name}-missing`, groups: ['team-alpha'], pushSecretDownload: false } }),
  });
  try {
    await signIn(page, 'bob');
    await expect(async () => {
      await page.goto(`/teams/${name}`);
      await expect(page.locator('#warnings .warning[data-kind="reconcile-failed"]')).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 30_000 });
    await expect(page.locator('#warnings .warning[data-kind="reconcile-failed"]')).toContainText('Berth retries on its own');
    await expect(page.locator('#warnings .warning[data-kind="reconcile-failed"]')).toContainText(`The namespace ${name}-missing does not exist`);
    await expect(page.locator('#warnings .warning[data-kind="reconcile-failed"]')).toContainText('NamespaceMissing');
  } finally {
    kubectl('delete', 'team', name, '--wait=false');
  }
});

test('platform admins filter the audit records; team admins see only their teams; members none', async ({ browser }) => {
  const alice = await browser.newPage();
  await signIn(alice, 'alice');
  // Records to find: alice switches beta's download and back.
  const start = isEnabled('beta');
  for (const enabled of [!start, start]) {
    const response = await alice.request.post('/api/set_push_secret_download', { form: { team: 'beta', enabled: String(enabled) } });
    expect(response.ok()).toBeTruthy();
  }
  await alice.goto('/audit?team=beta&action=push-download-toggle');
  const rows = alice.locator('#audit-records tr.audit-record');
  await expect(rows.first()).toHaveAttribute('data-actor', 'alice');
  for (const row of await rows.all()) {
    await expect(row).toHaveAttribute('data-team', 'beta');
    await expect(row).toHaveAttribute('data-action', 'push-download-toggle');
  }
  // The filter form works by GET, with and without JavaScript.
  await alice.selectOption('#audit-filter select[name="action"]', 'push-secret-download');
  await alice.selectOption('#audit-filter select[name="team"]', '');
  await alice.click('#audit-filter button[type="submit"]');
  await expect(alice).toHaveURL(/action=push-secret-download/);
  await expect(alice.locator('#audit-records tr.audit-record').first()).toHaveAttribute('data-action', 'push-secret-download');
  await alice.close();

  const carol = await browser.newPage();
  await signIn(carol, 'carol', '/audit');
  await expect(carol.locator('#audit-filter select[name="team"] option')).toHaveText(['All my teams', 'beta']);
  const teams = await carol.locator('#audit-records tr.audit-record').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-team')));
  expect(teams.length).toBeGreaterThan(0);
  expect(new Set(teams)).toEqual(new Set(['beta']));
  const other = await carol.goto('/audit?team=alpha');
  expect(other?.status()).toBe(403);
  await carol.close();

  const bob = await browser.newPage();
  await signIn(bob, 'bob');
  const refused = await bob.goto('/audit');
  expect(refused?.status()).toBe(403);
  await expect(bob.locator('[role=alert]')).toContainText('platform admins and team admins');
  await bob.close();
});

function isEnabled(team: string): boolean {
  return kubectl('get', 'team', team, '-o', 'jsonpath={.spec.pushSecretDownload}').trim() === 'true';
}

test.describe('system health', () => {
  test.afterEach(async () => {
    await fake('/__fake/system', {});
    await fake('/__fake/faults', {});
  });

  test('Harbor up: version, components, ping; Kubernetes and the reconciler beside it', async ({ page }) => {
    await signIn(page, 'alice', '/admin/health');
    await expect(page.locator('#harbor-version')).toHaveText('v2.15.2-fake');
    await expect(page.locator('#harbor-status')).toHaveText('healthy');
    await expect(page.locator('#harbor-components tr.component')).toHaveCount(7);
    await expect(page.locator('#harbor-ping')).toHaveText(/^\d+ ms$/);
    await expect(page.locator('#health-warnings')).toHaveCount(0);
    await expect(page.locator('#kube-health')).toContainText('v1.37.2');
    await expect(page.locator('#reconciler-leader')).toContainText('berth');
    // The last pass is whichever team came last: the earlier test's team without a namespace fails on
    // purpose, so only the shape (time and result) is fixed here.
    await expect(page.locator('#reconciler-last-pass')).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC \((ok|[A-Za-z]+)\)$/);
  });

  test('Harbor old or unhealthy: each is named', async ({ page }) => {
    await signIn(page, 'alice');
    await fake('/__fake/system', { version: 'v2.1.4-1a2b3c', unhealthy: ['jobservice'] });
    await page.goto('/admin/health');
    await expect(page.locator('#health-warnings li')).toHaveCount(2);
    await expect(page.locator('#health-warnings')).toContainText('Harbor v2.1.4-1a2b3c is older than 2.2: it has no robot v2 API');
    await expect(page.locator('#health-warnings')).toContainText('Harbor reports itself unhealthy: jobservice.');
    await expect(page.locator('#harbor-components tr[data-component="jobservice"]')).toHaveAttribute('data-status', 'unhealthy');
  });

  test('Harbor down: the page says so within the time-out, Kubernetes still reported', async ({ page }) => {
    await signIn(page, 'alice');
    await fake('/__fake/faults', { latency_ms: 4000 });
    const started = Date.now();
    await page.goto('/admin/health');
    await expect(page.locator('#health-warnings')).toContainText('Harbor is unreachable: Harbor did not answer ping within 2 s.');
    await expect(page.locator('#harbor-version')).toContainText('did not answer');
    await expect(page.locator('#kube-health')).toContainText('v1.37.2');
    expect(Date.now() - started).toBeLessThan(3900);
  });

  test('only platform admins see it', async ({ page }) => {
    await signIn(page, 'carol');
    const response = await page.goto('/admin/health');
    expect(response?.status()).toBe(403);
  });
});

test('the conflict fixer removes a stale Harbor account so the person can be onboarded again', async ({ page }, info) => {
  const name = `erin-${info.project.name}-${Date.now().toString(36)}`;
  const email = `${name}@example.test`;
  // Made under the identity provider before its redeploy: another issuer, last signed in long ago.
  await fake('/__fake/users', {
    username: name, email, realname: 'Erin (old IdP)', creation_time: '2025-01-02T03:04:05Z',
    subiss: `${name}-subjecthttps://idp-before-redeploy.example.test/realms/berth`, last_sign_in: '2025-02-03T04:05:06Z',
  });
  const onboard = () => fetch(`${harborApi}/users`, {
    method: 'POST', headers: { Authorization: harborAdmin, 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: name, email, realname: 'Erin', password: 'Onboard1234' }),
  });
  // Before: Harbor refuses the person, as it refuses their OIDC sign-in.
  expect((await onboard()).status).toBe(409);

  await signIn(page, 'alice', `/admin/harbor-users?q=${encodeURIComponent(email)}`);
  const row = page.locator(`#harbor-users tr[data-username="${name}"]`);
  await expect(row).toContainText('2025-01-02 03:04 UTC');
  // What tells it from a live account: the other issuer, and the last sign-in to Harbor.
  await expect(row.locator('[data-identity="other-issuer"]')).toContainText('another issuer');
  await expect(row.locator('[data-identity="other-issuer"]')).toContainText('idp-before-redeploy.example.test');
  await expect(row.locator('.last-sign-in')).toHaveText('2025-02-03 04:05 UTC');
  // Harbor sends the account's CLI secret with its OIDC record; the page never carries it.
  const id = await row.getAttribute('data-user-id');
  const account = await (await fetch(`${harborApi}/users/${id}`, { headers: { Authorization: harborAdmin } })).json();
  expect(account.oidc_user_meta.secret.length).toBeGreaterThan(20);
  expect(await page.content()).not.toContain(account.oidc_user_meta.secret);
  // A wrong confirmation removes nothing.
  await row.locator('input[name="confirm"]').fill('erin');
  await row.locator('button[type="submit"]').click();
  // Shown in the page after the form post, with JavaScript or without.
  await expect(page.locator('[role=alert]').first()).toContainText(`To remove ${name}, type the username to confirm.`);
  await page.goto(`/admin/harbor-users?q=${encodeURIComponent(name)}`);
  await row.locator('input[name="confirm"]').fill(name);
  await row.locator('button[type="submit"]').click();
  // Shown in the page after the form post, with JavaScript or without.
  await expect(page.locator('#user-delete-result')).toContainText(`Harbor user ${name} removed.`);
  await page.goto(`/admin/harbor-users?q=${encodeURIComponent(name)}`);
  await expect(page.locator('#users-none')).toBeVisible();
  // After: the person can be onboarded again.
  expect((await onboard()).status).toBe(201);

  const records = auditEvents('harbor-user-delete').filter((e) => e.annotations['berth.dev/detail'].startsWith(`user ${name} `));
  expect(records.map((r) => r.annotations['berth.dev/result'])).toEqual(['allowed']);
  expect(records[0].annotations['berth.dev/actor']).toBe('alice');
  expect(records[0].annotations['berth.dev/detail']).toContain('created 2025-01-02T03:04:05Z');
});

test('Harbor admins cannot be removed, and only platform admins may search', async ({ page }) => {
  // Harbor never lists its built-in admin (user id 1); another system admin shows, not removable.
  await signIn(page, 'alice', '/admin/harbor-users?q=harbor-ops');
  const ops = page.locator('#harbor-users tr[data-username="harbor-ops"]');
  await expect(ops).toContainText('not removable here');
  // A live account: made through the issuer Berth trusts, so its subject shows on its own.
  await expect(ops.locator('[data-identity="subject"]')).toHaveText('subject harbor-ops');
  const forced = await page.request.post('/api/delete_harbor_user', { form: { user_id: '1', confirm: 'admin' }, headers: { Accept: 'application/json' } });
  expect(forced.status()).toBe(403);
  const carol = await page.context().browser()!.newPage();
  await signIn(carol, 'carol');
  const response = await carol.goto('/admin/harbor-users?q=dave');
  expect(response?.status()).toBe(403);
  await carol.close();
});

test('keyboard: the first Tab reaches "Skip to content", which moves focus to the page', async ({ page }) => {
  await signIn(page, 'bob', '/teams/alpha');
  await page.keyboard.press('Tab');
  await expect(page.locator('#skip-link')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main$/);
});

test('dark mode follows the system setting', async ({ browser }) => {
  for (const [scheme, dark] of [['dark', true], ['light', false]] as const) {
    const context = await browser.newContext({ colorScheme: scheme });
    const page = await context.newPage();
    await signIn(page, 'bob');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    // Tailwind 4 colours compute as lab(L a b) (L from 0 to 100); older engines give rgb().
    const numbers = background.match(/[\d.]+/g)!.map(Number);
    const lightness = background.startsWith('lab') ? numbers[0] : (numbers[0] + numbers[1] + numbers[2]) / 7.65;
    expect(lightness < 30, `${scheme}: ${background}`).toBe(dark);
    await context.close();
  }
});

// axe-core on every page, each signed in as someone who sees all of it, with the how-tos opened.
const axePages: [string | null, string][] = [
  ['bob', '/'], ['bob', '/teams/alpha'], ['carol', '/teams/beta'], ['alice', '/admin'], ['alice', '/audit'],
  ['alice', '/admin/health'], ['alice', '/admin/harbor-users?q=dave'], ['bob', '/no-such-page'], [null, '/signed-out'],
];
for (const [user, path] of axePages) {
  test(`no serious accessibility violations on ${path} (axe-core), light and dark`, async ({ browser }, info) => {
    // axe runs as a script in the page, so it needs JavaScript; the server renders the same HTML either
    // way (only the copy buttons are added once JavaScript runs), so the JS-on run covers both.
    test.skip(!jsOn(info), 'axe-core needs JavaScript in the page');
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ ...info.project.use, colorScheme });
      const page = await context.newPage();
      await checkPage(page, user, path);
      await context.close();
    }
  });
}

async function checkPage(page: Page, user: string | null, path: string) {
  {
    if (user) await signIn(page, user, path);
    else await page.goto(path);
    await page.locator('details').evaluateAll((all) => all.forEach((d) => d.setAttribute('open', '')));
    const result = await new AxeBuilder({ page }).analyze();
    const serious = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
    expect(serious, `${path} in ${await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light')} mode`).toEqual([]);
  }
}

// Runs last in this file: by now the reconciler tests and the journeys have done every audited action.
test('the audit view holds a record of every audited action, none with a secret in it', async ({ page }, info) => {
  await signIn(page, 'alice');
  const samples: Record<string, string[]> = {};
  for (const action of ['push-secret-download', 'push-download-toggle', 'rotation-request', 'rotation', 'team-create', 'team-delete', 'offboard', 'harbor-user-delete', 'credentials-restored', 'credentials-reissued']) {
    await page.goto(`/audit?action=${action}`);
    const first = page.locator('#audit-records tr.audit-record').first();
    await expect(first, action).toHaveAttribute('data-action', action);
    samples[action] = await first.locator('td').allInnerTexts();
  }
  if (jsOn(info)) console.log(`audit samples: ${JSON.stringify(samples)}`);
  expect(JSON.stringify(samples)).not.toContain(pushPassword());
});

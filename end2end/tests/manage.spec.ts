import { test, expect } from '@playwright/test';
import { jsOn, kubectl, setDownload, signIn } from './helpers';

test.beforeEach(() => {
  setDownload('alpha', true);
  setDownload('beta', false);
});

/** The robot a team's secret names now (the secret holds the credentials; only the username is read). */
function secretRobot(namespace: string, secret: string): string {
  return kubectl('get', 'secret', '-n', namespace, secret, '-o', 'jsonpath={.metadata.annotations.berth\\.dev/robot}');
}

function auditRecords(team: string, action: string, actor?: string): any[] {
  const events = JSON.parse(kubectl('get', 'events', '-n', 'default', '-l', 'berth.dev/audit=true', '-o', 'json')).items;
  return events.filter((e: any) => e.metadata.annotations['berth.dev/team'] === team && e.metadata.annotations['berth.dev/action'] === action
    && (actor === undefined || e.metadata.annotations['berth.dev/actor'] === actor));
}

test('the team page shows what the reconciler reports and which robot each secret holds', async ({ page }) => {
  await signIn(page, 'bob', '/teams/alpha');
  await expect(page.locator('#state-ready')).toHaveAttribute('data-ready', 'True');
  for (const part of ['HarborProject', 'Members', 'Robots', 'Secrets', 'Namespaces']) {
    await expect(page.locator(`#status tr[data-condition="${part}"]`)).toHaveAttribute('data-status', 'True');
  }
  await expect(page.locator('#credentials .credential')).toHaveCount(3);
  await expect(page.locator('#credentials .credential[data-purpose="push"]')).toContainText('harbor-pushsecret');
  // Bob is a member, not one of alpha's admins.
  await expect(page.locator('#manage')).toHaveCount(0);
});

test('a team admin switches the download and rotates credentials of their own team only', async ({ page }, info) => {
  const before = secretRobot('team-beta', 'harbor-pushsecret');
  await signIn(page, 'carol', '/teams/beta');
  await expect(page.locator('#manage')).toBeVisible();
  await page.click('#team-toggle-download');
  await expect(page.locator('#team-toggle-download')).toHaveText('Disable push-secret download');
  expect(kubectl('get', 'team', 'beta', '-o', 'jsonpath={.spec.pushSecretDownload}')).toBe('true');
  await expect(page.locator('#download-docker-config')).toBeVisible();

  await page.click('#manage details.rotate-confirm[data-purpose="push"] summary');
  await expect(page.locator('#manage details.rotate-confirm[data-purpose="push"] form')).toContainText('stops working');
  await page.click('#manage button.rotate[data-purpose="push"]');
  // Shown in the page after the form post, with JavaScript or without.
  await expect(page.locator('#rotate-result')).toContainText('Rotation of the push credentials requested');
  // The reconciler switches the secret to a new robot.
  await expect.poll(() => secretRobot('team-beta', 'harbor-pushsecret'), { timeout: 30_000 }).not.toBe(before);
  expect(secretRobot('team-beta', 'harbor-pushsecret')).toMatch(/^robot\$berth-beta-push-r\d+$/);
  expect(auditRecords('beta', 'rotation-request', 'carol').length).toBeGreaterThan(0);
  await expect.poll(() => auditRecords('beta', 'rotation', 'carol').length, { timeout: 30_000 }).toBeGreaterThan(0);

  // Alpha is not carol's team: neither switch nor rotation, whatever she sends.
  for (const [fn, form] of [['set_push_secret_download', { team: 'alpha', enabled: 'false' }], ['rotate_credentials', { team: 'alpha', purpose: 'push' }]] as const) {
    const response = await page.request.post(`/api/${fn}`, { form, headers: { Accept: 'application/json' } });
    expect([403, 404]).toContain(response.status());
  }
  expect(kubectl('get', 'team', 'alpha', '-o', 'jsonpath={.spec.pushSecretDownload}')).toBe('true');
});

test('a member who is not a team admin cannot rotate', async ({ page }) => {
  await signIn(page, 'bob', '/teams/alpha');
  const response = await page.request.post('/api/rotate_credentials', { form: { team: 'alpha', purpose: 'pull' }, headers: { Accept: 'application/json' } });
  expect(response.status()).toBe(403);
  expect(auditRecords('alpha', 'rotation-request', 'bob').some((e) => e.metadata.annotations['berth.dev/result'] === 'denied')).toBe(true);
});

test('alice onboards a team from the admin page and deletes it after confirming', async ({ page }, info) => {
  const team = `e2e-${info.project.name}`;
  const namespace = `team-${team}`;
  try { kubectl('create', 'namespace', namespace); } catch { /* left by an earlier run */ }
  // What the platform grants Berth in every team namespace (deploy/chart/templates/rbac.yaml).
  try { kubectl('create', 'rolebinding', 'berth', '-n', namespace, '--clusterrole', 'berth-team-namespace', '--serviceaccount', 'berth:berth'); } catch { /* idem */ }

  await signIn(page, 'alice', '/admin');
  await page.fill('#create-team input[name="name"]', team);
  await page.fill('#create-team input[name="groups"]', `${team}-devs`);
  await page.check('#create-team input[name="push_secret_download"]');
  await page.click('#create-team button[type="submit"]');
  // Shown in the page after the form post, with JavaScript or without.
  await expect(page.locator('#create-result')).toContainText(`Team ${team} created`);
  const row = page.locator(`#admin-teams tr[data-team="${team}"]`);
  await expect(row).toBeVisible();
  expect(kubectl('get', 'team', team, '-o', 'jsonpath={.spec.groups[0]} {.spec.pushSecretDownload}')).toBe(`${team}-devs true`);
  // Berth sets it up: the state column turns ready (reload: the page does not poll).
  await expect.poll(async () => {
    await page.goto('/admin');
    return row.locator('.team-state').getAttribute('data-ready');
  }, { timeout: 30_000 }).toBe('True');
  expect(secretRobot(namespace, 'harbor-pullsecret')).toBe(`robot$berth-${team}-pull`);

  // A wrong confirmation deletes nothing.
  await row.locator('input[name="confirm"]').fill('something-else');
  await row.locator('.delete-team button').click();
  // Shown in the page after the form post, with JavaScript or without.
  await expect(page.locator('[role=alert]')).toContainText('type its name to confirm');
  expect(kubectl('get', 'teams', '-o', 'jsonpath={.items[*].metadata.name}').split(' ')).toContain(team);

  await page.goto('/admin');
  await row.locator('input[name="confirm"]').fill(team);
  await row.locator('.delete-team button').click();
  await expect.poll(() => kubectl('get', 'teams', '-o', 'jsonpath={.items[*].metadata.name}').split(' ').includes(team), { timeout: 30_000 }).toBe(false);
  expect(kubectl('get', 'secrets', '-n', namespace, '-l', 'app.kubernetes.io/managed-by=berth', '-o', 'name').trim()).toBe('');
  expect(auditRecords(team, 'team-create', 'alice').length).toBe(1);
  expect(auditRecords(team, 'team-delete', 'alice').length).toBe(1);
  expect(auditRecords(team, 'offboard').length).toBe(1);
});

import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { kubectl, signIn } from '../tests/helpers';

// Run by end2end/scripts/compat.sh: BERTH_URL is a Berth whose Kubernetes is the oldest supported
// minor, and kubectl (BERTH_STACK_ADMIN_KUBECONFIG) talks to that apiserver.
const team = 'compat';
const namespace = `team-${team}`;

async function saved(page: Page, click: () => Promise<unknown>): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return readFileSync(await download.path(), 'utf8');
}

test('onboard, reconcile, download and offboard on the oldest supported Kubernetes', async ({ page, browser }) => {
  // Onboarding from the admin page: alice is a platform admin; bob is in team-alpha, the new team's group.
  await signIn(page, 'alice', '/admin');
  await page.fill('#create-team input[name="name"]', team);
  await page.fill('#create-team input[name="groups"]', 'team-alpha');
  await page.check('#create-team input[name="push_secret_download"]');
  await page.click('#create-team button[type="submit"]');
  await expect(page.locator('#create-result')).toContainText(`Team ${team} created`);

  // The reconciler makes the project's robots and the three secrets, and reports Ready.
  await expect.poll(() => kubectl('get', 'team', team, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'), { timeout: 60_000 }).toBe('True');
  const secrets = kubectl('get', 'secrets', '-n', namespace, '-l', 'app.kubernetes.io/managed-by=berth', '-o', 'jsonpath={.items[*].metadata.name}').split(' ').sort();
  expect(secrets).toEqual(['harbor-pullsecret', 'harbor-pushsecret', 'harbor-pushsecret-builds']);
  expect(kubectl('get', 'serviceaccount', 'default', '-n', namespace, '-o', 'jsonpath={.imagePullSecrets[*].name}')).toBe('harbor-pullsecret');

  // A member downloads the push secret: the same credentials the cluster holds.
  const bob = await browser.newPage();
  await signIn(bob, 'bob', `/teams/${team}`);
  const config = JSON.parse(await saved(bob, () => bob.click('#download-docker-config')));
  const stored = JSON.parse(Buffer.from(kubectl('get', 'secret', '-n', namespace, 'harbor-pushsecret', '-o', 'jsonpath={.data.\\.dockerconfigjson}'), 'base64').toString());
  expect(Object.values(config.auths)).toEqual(Object.values(stored.auths));
  expect((Object.values(config.auths)[0] as { username: string }).username).toBe(`robot$berth-${team}-push`);
  await bob.close();

  // Offboarding: the Team goes after confirming, and its finalizer removes the secrets.
  await page.goto('/admin');
  const row = page.locator(`#admin-teams tr[data-team="${team}"]`);
  await row.locator('input[name="confirm"]').fill(team);
  await row.locator('.delete-team button').click();
  await expect.poll(() => kubectl('get', 'teams', '-o', 'jsonpath={.items[*].metadata.name}').split(' ').includes(team), { timeout: 30_000 }).toBe(false);
  expect(kubectl('get', 'secrets', '-n', namespace, '-l', 'app.kubernetes.io/managed-by=berth', '-o', 'name').trim()).toBe('');
  const audit = JSON.parse(kubectl('get', 'events', '-n', 'default', '-l', 'berth.dev/audit=true', '-o', 'json')).items
    .filter((e: { metadata: { annotations: Record<string, string> } }) => e.metadata.annotations['berth.dev/team'] === team)
    .map((e: { metadata: { annotations: Record<string, string> } }) => e.metadata.annotations['berth.dev/action']);
  for (const action of ['team-create', 'push-secret-download', 'team-delete', 'offboard']) expect(audit).toContain(action);
});

import { expect, type Page, type TestInfo } from '@playwright/test';
import { execFileSync } from 'node:child_process';

export const PASSWORDS: Record<string, string> = {
  alice: 'alice-demo-pw', bob: 'bob-demo-pw', carol: 'carol-demo-pw', dave: 'dave-demo-pw',
};

export const jsOn = (info: TestInfo) => info.project.name === 'js-on';

/** Signs in at the demo IdP from wherever Berth sent the browser, and waits to be back at Berth. */
export async function signIn(page: Page, user: string, path = '/', berthUrl = process.env.BERTH_URL ?? 'http://127.0.0.1:3000') {
  await page.goto(new URL(path, berthUrl).toString());
  await expect(page.locator('#username')).toBeVisible();
  await page.fill('#username', user);
  await page.fill('#password', PASSWORDS[user]);
  await page.click('#submit');
  await page.waitForURL((url) => url.origin === new URL(berthUrl).origin);
  await expect(page.locator('#signed-in-as')).toContainText(user);
}

/** kubectl as the stack's admin (to check what Berth changed, never to act for Berth). */
export function kubectl(...args: string[]): string {
  const kubeconfig = process.env.BERTH_STACK_ADMIN_KUBECONFIG;
  if (!kubeconfig) throw new Error('BERTH_STACK_ADMIN_KUBECONFIG is not set: run through `make test`');
  return execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' });
}

export function setDownload(team: string, enabled: boolean) {
  kubectl('patch', 'team', team, '--type', 'merge', '-p', JSON.stringify({ spec: { pushSecretDownload: enabled } }));
}

export async function teamNames(page: Page): Promise<string[]> {
  return page.locator('#team-list [data-team]').evaluateAll((els) => els.map((e) => e.getAttribute('data-team') ?? ''));
}

import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { signIn } from './helpers';

const fakeHarbor = process.env.FAKE_HARBOR_URL ?? 'http://127.0.0.1:8089';

async function harborFault(body: { latency_ms?: number; status?: number }) {
  const response = await fetch(`${fakeHarbor}/__fake/faults`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  expect(response.ok).toBeTruthy();
}

test.afterEach(async () => {
  await harborFault({});
});

test('Harbor answering 500: the team page renders and says which part failed', async ({ page }) => {
  await signIn(page, 'bob');
  await harborFault({ status: 500 });
  const response = await page.goto('/teams/alpha');
  expect(response?.status()).toBe(200);
  await expect(page.locator('#project [role=alert]')).toHaveText('Harbor answered 500 Internal Server Error to listing projects.');
  await expect(page.locator('#robots [role=alert]')).toContainText('Harbor answered 500');
  // Kubernetes still answers, so the secrets part is intact.
  await expect(page.locator('#secrets tr[data-secret="harbor-pushsecret"]')).toContainText('present');
});

test('Harbor too slow: the time-out is reported, not waited out', async ({ page }) => {
  await signIn(page, 'bob');
  await harborFault({ latency_ms: 4000 });
  const started = Date.now();
  await page.goto('/teams/alpha');
  await expect(page.locator('#robots [role=alert]')).toHaveText("Harbor did not answer listing the team's robot accounts within 2 s.");
  expect(Date.now() - started).toBeLessThan(3900);
});

test('Kubernetes not answering: the page says so instead of hanging or going blank', async ({ page }) => {
  await signIn(page, 'bob');
  const pid = Number(readFileSync(process.env.KUBE_APISERVER_PIDFILE!, 'utf8'));
  // The process's state letter (T: stopped), to tell a stop that did not hold from a page that did
  // not ask Kubernetes.
  const state = () => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').charAt(0);
  process.kill(pid, 'SIGSTOP');
  try {
    await expect.poll(state, { timeout: 2_000 }).toBe('T');
    const response = await page.goto('/');
    expect(response?.status(), `kube-apiserver state after the page: ${state()}`).toBe(502);
    await expect(page.locator('[role=alert]')).toHaveText('Kubernetes did not answer listing teams within 2 s.');
    await expect(page.locator('#signed-in-as')).toContainText('bob');
  } finally {
    process.kill(pid, 'SIGCONT');
  }
});

import { defineConfig } from '@playwright/test';

// Berth and the stack are started by end2end/scripts/test.sh (make test); this only drives Chromium.
const baseURL = process.env.BERTH_URL ?? 'http://127.0.0.1:3000';
const chromium = {
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  },
};

export default defineConfig({
  testDir: './tests',
  // The journeys share one stack (a toggle changes what another user sees), so they run one at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  // The scripts count results from the JSON report (PLAYWRIGHT_JSON_OUTPUT_FILE), not from the list.
  reporter: [
    ['list'],
    ['json', { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_FILE ?? 'test-results/report.json' }],
  ],
  use: { baseURL, trace: 'off', acceptDownloads: true },
  projects: [
    { name: 'js-on', use: { ...chromium, javaScriptEnabled: true } },
    { name: 'js-off', use: { ...chromium, javaScriptEnabled: false } },
  ],
});

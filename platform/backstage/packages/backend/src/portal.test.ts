import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  bareRemoteOf,
  copyMaydayRepo,
  gitIn,
  MAYDAY_ROOT,
  removeAll,
} from '@internal/plugin-scaffolder-backend-module-mayday/src/testing/maydayRepo';

/**
 * The portal as a person uses it: the real backend process (serving the built frontend) on 127.0.0.1, Debian's
 * chromium driven by playwright-core, and a real Argo CD (libs/cluster's live GitOps loop: kube-apiserver, Argo CD's
 * controllers and argocd-server on 127.0.0.1) that synced hello. No kubelet runs there: hello's Applications are
 * Synced and their health is what Argo CD tells without Pods. Screenshots go next to the test output
 * (platform/backstage/test-output/).
 */
const PORTAL = join(MAYDAY_ROOT, 'platform/backstage');
const SHOTS = join(PORTAL, 'test-output');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
jest.setTimeout(480_000);

let backend: ChildProcess | undefined;
let liveGitOps: ChildProcess | undefined;
let browser: Browser | undefined;
let backendLog = '';
const folders: string[] = [];

afterAll(async () => {
  await browser?.close();
  // the backend's process group (yarn, backstage-cli, the backend); closing its stdin stops the live GitOps loop
  await Promise.all([
    stopChild(backend, () => process.kill(-backend!.pid!, 'SIGTERM')),
    stopChild(liveGitOps, () => liveGitOps!.stdin?.end()),
  ]);
  removeAll(...folders);
});

interface LiveArgoCd {
  url: string;
  token: string;
}

/** libs/cluster's live GitOps loop in a process of its own (the workspace is native ESM run by Node's type stripping). */
async function startLiveGitOps(): Promise<LiveArgoCd> {
  const script = join(MAYDAY_ROOT, 'libs/cluster/src/serve-live-gitops.ts');
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, [script], {
    cwd: MAYDAY_ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  liveGitOps = child;
  let out = '';
  let log = '';
  child.stderr?.on('data', chunk => (log += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`the live GitOps loop was not ready in 300 s:\n${log}`),
        ),
      300_000,
    );
    child.stdout?.on('data', chunk => {
      out += chunk;
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve(
        (JSON.parse(out.split('\n')[0]) as { argocd: LiveArgoCd }).argocd,
      );
    });
    child.once('exit', code => {
      clearTimeout(timer);
      reject(new Error(`the live GitOps loop exited (${code}):\n${log}`));
    });
  });
}

/** Asks a child to stop and waits until it has exited and its pipes are closed (SIGKILL after 60 s). */
async function stopChild(child: ChildProcess | undefined, ask: () => void) {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null)
    return;
  const gone = new Promise(resolve => child.once('close', resolve));
  ask();
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await gone;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function startBackend(
  remote: string,
  argocd: LiveArgoCd,
): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'mayday-portal-config-'));
  folders.push(dir);
  const config = join(dir, 'app-config.test.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      app: { baseUrl: url },
      backend: {
        baseUrl: url,
        listen: { host: '127.0.0.1', port },
        database: { client: 'better-sqlite3', connection: ':memory:' },
      },
      mayday: {
        repository: { url: `file://${remote}`, branch: 'main' },
        publish: 'commit',
        catalog: { refreshSeconds: 2 },
      },
      catalog: { processingInterval: { seconds: 2 } },
      // the read-only account's API token (a secret: the frontend never sees it), as for a real Argo CD
      argocd: {
        appLocatorMethods: [
          {
            type: 'config',
            instances: [
              { name: 'mayday', url: argocd.url, token: argocd.token },
            ],
          },
        ],
      },
    }),
  );
  const started = Date.now();
  backend = spawn(
    process.execPath,
    [
      join(PORTAL, '.yarn/releases/yarn-4.13.0.cjs'),
      'start',
      '--config',
      join(PORTAL, 'app-config.yaml'),
      '--config',
      config,
    ],
    {
      cwd: join(PORTAL, 'packages/backend'),
      detached: true,
      env: { ...process.env, NODE_ENV: 'development' },
    },
  );
  backend.stdout?.on('data', chunk => (backendLog += chunk));
  backend.stderr?.on('data', chunk => (backendLog += chunk));
  for (;;) {
    if (backend.exitCode !== null)
      throw new Error(
        `the portal backend exited (${backend.exitCode}):\n${backendLog}`,
      );
    if (Date.now() - started > 120_000)
      throw new Error(
        `the portal backend did not answer within 120 s:\n${backendLog}`,
      );
    const ok = await fetch(`${url}/.backstage/health/v1/readiness`).then(
      r => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise(r => setTimeout(r, 500));
  }
  process.stdout.write(
    `portal backend start: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return url;
}

const nav = (page: Page, name: string) =>
  page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name, exact: true });

async function signIn(page: Page, url: string) {
  await page.goto(url);
  await page.getByRole('button', { name: 'Enter' }).click();
  await nav(page, 'Create').waitFor();
}

describe('the portal in a browser', () => {
  it("creates an app from the form, shows it in the catalog, and shows hello's Argo CD status from a real Argo CD", async () => {
    // Argo CD comes up while the repository is copied: the backend reads its URL and token at start
    const live = startLiveGitOps();
    const source = copyMaydayRepo();
    const remote = bareRemoteOf(source);
    folders.push(source, remote);
    const argocd = await live;
    const url = await startBackend(remote, argocd);
    mkdirSync(SHOTS, { recursive: true });
    const started = Date.now();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--no-first-run',
        '--disable-extensions',
      ],
    });
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1000 },
    });
    try {
      await createShop(page, url, remote);
      await showArgoCdStatus(page, argocd);
    } catch (error) {
      await page.screenshot({
        path: join(SHOTS, 'portal-failure.png'),
        fullPage: true,
      });
      throw new Error(
        `${
          (error as Error).message
        }\nat ${page.url()}; backend log:\n${backendLog.slice(-3000)}`,
      );
    }
    process.stdout.write(
      `browser test: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  });
});

async function createShop(page: Page, url: string, remote: string) {
  await signIn(page, url);

  // inside the app (a reload would ask for the guest sign-in again)
  await nav(page, 'Create').click();
  await page.getByRole('button', { name: 'Choose' }).first().click();
  const name = page.getByRole('textbox', { name: /^Name/ });
  await name.fill('Shop_1');
  await page
    .getByRole('textbox', { name: /^Image/ })
    .fill('ghcr.io/acme/shop:1.4.2');
  await page.getByLabel(/^Team/).click();
  await page.getByRole('option', { name: 'Payments', exact: true }).click();
  await page.getByRole('button', { name: 'Review' }).click();
  await page
    .getByText('must be a DNS-1123 label that starts with a letter')
    .first()
    .waitFor();
  await page.screenshot({
    path: join(SHOTS, 'portal-form-error.png'),
    fullPage: true,
  });

  await name.fill('shop');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByText('Open in catalog').waitFor({ timeout: 120_000 });
  expect(gitIn(remote, ['log', '-1', '--format=%s', 'main'])).toContain(
    'Add app shop',
  );

  // the catalog reads the branch on a schedule: look in the catalog until the new app is listed
  const listed = page.getByRole('link', { name: 'shop', exact: true });
  for (let tries = 0; !(await listed.isVisible()); tries++) {
    if (tries > 40)
      throw new Error('shop did not appear in the catalog within 120 s');
    // leave and come back: the catalog page loads its list when it mounts
    await nav(page, 'Create').click();
    await page.waitForTimeout(2000);
    await nav(page, 'Catalog').click();
    await page.waitForTimeout(1000);
  }
  await listed.click();
  await page.getByText('Payments').first().waitFor({ timeout: 60_000 });
  await page.getByText('mayday-apps').first().waitFor();
  await page.screenshot({
    path: join(SHOTS, 'portal-new-app.png'),
    fullPage: true,
  });
}

/** What Argo CD's API says of hello's Applications, as the portal's read-only token sees it. */
async function helloInArgoCd(argocd: LiveArgoCd) {
  const res = await fetch(
    `${argocd.url}/api/v1/applications?selector=${encodeURIComponent(
      'mayday.dev/app=hello',
    )}`,
    { headers: { authorization: `Bearer ${argocd.token}` } },
  );
  const { items } = (await res.json()) as {
    items: {
      metadata: { name: string };
      status: { sync: { status: string }; health: { status: string } };
    }[];
  };
  return items.map(app => ({
    name: app.metadata.name,
    sync: app.status.sync.status,
    health: app.status.health.status,
  }));
}

/** hello's entity page: the Argo CD card lists hello-prd and hello-stg with the sync and health Argo CD reports. */
async function showArgoCdStatus(page: Page, argocd: LiveArgoCd) {
  // wide enough for the card's sync and health columns in the screenshot
  await page.setViewportSize({ width: 1920, height: 1100 });
  await nav(page, 'Catalog').click();
  await page.getByRole('link', { name: 'hello', exact: true }).click();
  await page.getByText('Deployment Summary', { exact: true }).waitFor();
  // the Argo CD card is the only table on hello's page
  for (const name of ['hello-prd', 'hello-stg'])
    await page
      .getByRole('row')
      .filter({ hasText: name })
      .filter({ hasText: 'Synced' })
      .waitFor({ timeout: 60_000 });
  const inArgoCd = await helloInArgoCd(argocd);
  expect(inArgoCd.map(app => [app.name, app.sync])).toEqual([
    ['hello-prd', 'Synced'],
    ['hello-stg', 'Synced'],
  ]);
  for (const app of inArgoCd) {
    const row = page.getByRole('row').filter({ hasText: app.name });
    await row.filter({ hasText: app.health }).waitFor({ timeout: 30_000 });
  }
  process.stdout.write(
    `Argo CD card: ${inArgoCd
      .map(app => `${app.name} ${app.sync}/${app.health}`)
      .join(', ')}\n`,
  );
  await page.screenshot({
    path: join(SHOTS, 'portal-entity-page.png'),
    fullPage: true,
  });
}

'use strict';

// A real single-page app (oidc-client-ts in headless Chromium) signs in
// through Cognate's managed login over https. Chromium trusts the local CA
// by its SPKI hash (--ignore-certificate-errors-spki-list, from
// `cognate ca --spki`), not by ignoring certificate errors. The pages are
// driven through their accessible labels; each page is screenshotted into
// SCREENSHOT_DIR. Run by e2e/browser_test.go (TestBrowserManagedLogin).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { chromium } = require('playwright-core');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e`);
  return v;
};
const APP = env('APP_URL');
const CODES = env('CODES_URL');
const SPKI = env('CA_SPKI');
const SHOTS = env('SCREENSHOT_DIR');

async function shot(tab, name) {
  await tab.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

async function code(username, kind) {
  const res = await fetch(`${CODES}?username=${encodeURIComponent(username)}&kind=${kind}`);
  assert.equal(res.status, 200, `no ${kind} code for ${username}`);
  return (await res.text()).trim();
}

async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', `--ignore-certificate-errors-spki-list=${SPKI}`],
  });
}

async function startSignIn(tab) {
  await tab.goto(APP + '/');
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await tab.waitForURL(/\/login\?/);
}

async function signedIn(tab) {
  await tab.waitForURL(/\/callback\.html/);
  const out = await tab.locator('#out').filter({ hasText: '{' }).textContent({ timeout: 15000 });
  return JSON.parse(out);
}

test('sign in with oidc-client-ts through the managed login page over https', async () => {
  const browser = await launch();
  try {
    const tab = await browser.newPage();
    await startSignIn(tab);
    assert.ok(tab.url().startsWith('https://'), tab.url());
    await shot(tab, 'sign-in');
    await tab.getByLabel('Username').fill('alice');
    await tab.getByLabel('Password').fill('wrong-password');
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.getByRole('alert').waitFor();
    assert.match(await tab.getByRole('alert').textContent(), /Incorrect username or password/);
    await shot(tab, 'sign-in-error');
    await tab.getByLabel('Password').fill('Alice-Passw0rd!');
    await tab.getByRole('button', { name: 'Sign in' }).click();
    const user = await signedIn(tab);
    assert.equal(user.email, 'alice@example.com');
    assert.match(user.scope, /openid/);
    assert.equal(user.hasRefresh, true);
    await shot(tab, 'signed-in-app');
    // The session skips the form on a second sign-in.
    await tab.goto(APP + '/');
    await tab.getByRole('button', { name: 'Sign in' }).click();
    assert.equal((await signedIn(tab)).email, 'alice@example.com');
  } finally {
    await browser.close();
  }
});

test('sign up, confirm with the code, then sign in', async () => {
  const browser = await launch();
  try {
    const tab = await browser.newPage();
    await startSignIn(tab);
    await tab.getByRole('link', { name: 'Sign up' }).click();
    await shot(tab, 'sign-up');
    await tab.getByLabel('Username').fill('erin');
    await tab.getByLabel('Email').fill('erin@example.com');
    await tab.getByLabel('Password', { exact: true }).fill('Erin-Passw0rd!');
    await tab.getByLabel('Enter the password again').fill('Erin-Passw0rd!');
    await tab.getByRole('button', { name: 'Sign up' }).click();
    await tab.getByLabel('Confirmation code').waitFor();
    await shot(tab, 'confirm');
    await tab.getByLabel('Confirmation code').fill(await code('erin', 'signup'));
    await tab.getByRole('button', { name: 'Confirm account' }).click();
    await tab.getByRole('status').waitFor();
    await tab.getByLabel('Password').fill('Erin-Passw0rd!');
    await tab.getByRole('button', { name: 'Sign in' }).click();
    assert.equal((await signedIn(tab)).email, 'erin@example.com');
  } finally {
    await browser.close();
  }
});

test('forgot password: reset with the code, then sign in', async () => {
  const browser = await launch();
  try {
    const tab = await browser.newPage();
    await startSignIn(tab);
    await tab.getByRole('link', { name: 'Forgot your password?' }).click();
    await shot(tab, 'forgot-password');
    await tab.getByLabel('Username').fill('frank');
    await tab.getByRole('button', { name: 'Send code' }).click();
    await tab.getByLabel('Code').waitFor();
    await shot(tab, 'reset-password');
    await tab.getByLabel('Code').fill(await code('frank', 'forgot'));
    await tab.getByLabel('New password', { exact: true }).fill('Frank-New-Passw0rd!');
    await tab.getByLabel('Enter the new password again').fill('Frank-New-Passw0rd!');
    await tab.getByRole('button', { name: 'Reset password' }).click();
    await tab.getByRole('status').waitFor();
    await tab.getByLabel('Password').fill('Frank-New-Passw0rd!');
    await tab.getByRole('button', { name: 'Sign in' }).click();
    assert.equal((await signedIn(tab)).email, 'frank@example.com');
  } finally {
    await browser.close();
  }
});

test('federated sign-in through the second pool (an OIDC provider)', async () => {
  const browser = await launch();
  try {
    const tab = await browser.newPage();
    await startSignIn(tab);
    await tab.getByRole('link', { name: 'Continue with Upstream' }).click();
    await tab.waitForURL(/\/login\?/);
    await shot(tab, 'federated-upstream-sign-in');
    await tab.getByLabel('Username').fill('dave');
    await tab.getByLabel('Password').fill('Dave-Passw0rd!');
    await tab.getByRole('button', { name: 'Sign in' }).click();
    assert.equal((await signedIn(tab)).email, 'dave@upstream.example');
  } finally {
    await browser.close();
  }
});

test('a redirect URI that is not registered gets an error page, not a redirect', async () => {
  const browser = await launch();
  try {
    const tab = await browser.newPage();
    const res = await tab.goto(env('BAD_AUTHORIZE_URL'));
    assert.equal(res.status(), 400);
    assert.ok(tab.url().startsWith(env('ISSUER')), tab.url());
    await shot(tab, 'error');
  } finally {
    await browser.close();
  }
});

'use strict';

// Amplify v6 signInWithRedirect against a user pool domain over https: the
// app (browser/amplify/app.js, bundled by the Go test with esbuild) is
// configured with the pool's prefix domain only; Chromium resolves that name
// to Cognate (--host-resolver-rules) and trusts the local CA by its SPKI
// hash. Run by e2e/browser_test.go (TestBrowserAmplifySignInWithRedirect).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { chromium } = require('playwright-core');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e`);
  return v;
};

test('Amplify v6 signInWithRedirect signs in through the managed login on the domain', async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', `--ignore-certificate-errors-spki-list=${env('CA_SPKI')}`,
      `--host-resolver-rules=MAP ${env('DOMAIN_HOST')} 127.0.0.1`],
  });
  try {
    const tab = await browser.newPage();
    const logs = [];
    tab.on('console', (m) => logs.push(m.type() + ': ' + m.text()));
    tab.on('requestfailed', (r) => logs.push('failed: ' + r.url() + ' ' + (r.failure() || {}).errorText));
    await tab.goto(env('APP_URL') + '/');
    await tab.waitForFunction(() => typeof window.amplifySignIn === 'function');
    await Promise.all([tab.waitForURL(/\/login\?/), tab.evaluate(() => window.amplifySignIn())]);
    assert.ok(tab.url().startsWith(`https://${env('DOMAIN_HOST')}:`), tab.url());
    await tab.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'amplify-domain-sign-in.png'), fullPage: true });
    await tab.getByLabel('Username').fill('alice');
    await tab.getByLabel('Password').fill('Alice-Passw0rd!');
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.waitForURL((u) => u.toString().startsWith(env('APP_URL')));
    let state = null;
    let last = null;
    for (let i = 0; i < 100 && !state; i++) {
      state = await tab.evaluate(() => window.amplifyState ? window.amplifyState().catch((e) => ({ error: String(e) })) : null);
      if (state && state.error) { last = state.error; state = null; }
      if (!state) await tab.waitForTimeout(100);
    }
    assert.ok(state, `Amplify has no session after the redirect (${tab.url()}): ${last}\n${logs.join('\n')}`);
    assert.equal(state.username, 'alice');
    assert.equal(state.email, 'alice@example.com');
    assert.match(state.scope, /openid/);
  } finally {
    await browser.close();
  }
});

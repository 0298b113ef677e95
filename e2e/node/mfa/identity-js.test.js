'use strict';

// amazon-cognito-identity-js against a pool with OPTIONAL TOTP MFA and device
// tracking (remembered automatically). The Go test TestNodeMFA creates the
// pool and the user and runs this file with COGNATE_URL, POOL_ID, CLIENT_ID,
// COGNATE_USERNAME, COGNATE_PASSWORD.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require('amazon-cognito-identity-js');
const { totp } = require('./totp');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e`);
  return v;
};
const URL_ = env('COGNATE_URL');
const USERNAME = env('COGNATE_USERNAME');
const PASSWORD = env('COGNATE_PASSWORD');

// One storage per simulated browser: identity-js keeps the device key there.
class MemoryStorage {
  constructor() { this.m = new Map(); }
  setItem(k, v) { this.m.set(k, String(v)); }
  getItem(k) { return this.m.has(k) ? this.m.get(k) : null; }
  removeItem(k) { this.m.delete(k); }
  clear() { this.m.clear(); }
}

function browser() {
  const Storage = new MemoryStorage();
  const pool = new CognitoUserPool({ UserPoolId: env('POOL_ID'), ClientId: env('CLIENT_ID'), endpoint: `${URL_}/`, Storage });
  return () => new CognitoUser({ Username: USERNAME, Pool: pool, Storage });
}

// signIn resolves with { user, session, challenge } where challenge is the
// MFA callback identity-js called (its arguments), if any.
function signIn(newUser) {
  const user = newUser();
  return new Promise((resolve, reject) => {
    user.authenticateUser(new AuthenticationDetails({ Username: USERNAME, Password: PASSWORD }), {
      onSuccess: (session) => resolve({ user, session }),
      onFailure: reject,
      totpRequired: (name, params) => resolve({ user, challenge: { name, params } }),
      mfaRequired: (name) => reject(new Error(`unexpected ${name}`)),
      mfaSetup: (name) => reject(new Error(`unexpected ${name}`)),
      selectMFAType: (name) => reject(new Error(`unexpected ${name}`)),
    });
  });
}

function sendCode(user, code) {
  return new Promise((resolve, reject) => {
    user.sendMFACode(code, { onSuccess: resolve, onFailure: reject }, 'SOFTWARE_TOKEN_MFA');
  });
}

test('TOTP: associate, verify, totpRequired, wrong and replayed codes refused; a remembered device skips MFA', async () => {
  const first = browser();
  const { user } = await signIn(first);
  const secret = await new Promise((resolve, reject) => {
    user.associateSoftwareToken({ associateSecretCode: resolve, onFailure: reject });
  });
  assert.match(secret, /^[A-Z2-7]{32,}$/);
  await assert.rejects(new Promise((resolve, reject) => {
    user.verifySoftwareToken('000000', 'phone', { onSuccess: resolve, onFailure: reject });
  }), (err) => err.code === 'EnableSoftwareTokenMFAException');
  const verifyCode = totp(secret);
  await new Promise((resolve, reject) => {
    user.verifySoftwareToken(verifyCode, 'phone', { onSuccess: resolve, onFailure: reject });
  });

  // A new browser (no remembered device): the sign-in asks for the TOTP code.
  const second = browser();
  const { user: u2, challenge } = await signIn(second);
  assert.equal(challenge?.name, 'SOFTWARE_TOKEN_MFA');
  await assert.rejects(sendCode(u2, '000000'), (err) => err.code === 'CodeMismatchException');
  await assert.rejects(sendCode(u2, verifyCode), (err) => err.code === 'CodeMismatchException', 'the code used to verify is spent');
  const next = totp(secret, 1); // the next step's code, inside the ±1 window
  const session = await sendCode(u2, next);
  assert.ok(session.isValid());
  assert.ok(u2.deviceKey, 'identity-js confirmed the new device');

  // Replaying that code in a third browser fails.
  const { user: u3, challenge: c3 } = await signIn(browser());
  assert.equal(c3?.name, 'SOFTWARE_TOKEN_MFA');
  await assert.rejects(sendCode(u3, next), (err) => err.code === 'CodeMismatchException');

  // The second browser again: its device is remembered, so no MFA (DEVICE_SRP_AUTH instead).
  const again = await signIn(second);
  assert.equal(again.challenge, undefined, 'a remembered device must skip MFA');
  assert.ok(again.session.isValid());
  const devices = await new Promise((resolve, reject) => {
    again.user.listDevices(10, null, { onSuccess: resolve, onFailure: reject });
  });
  assert.ok(devices.Devices.some((d) => d.DeviceKey === u2.deviceKey), 'listDevices shows the remembered device');
});

'use strict';

// Drives a Cognate user pool whose triggers are the Cognito developer
// guide's Node.js examples (e2e/testdata/triggers/node) with
// amazon-cognito-identity-js, changing only the endpoint. The Go test
// TestTriggersNode starts the server, creates the user and runs this with:
//   COGNATE_URL, POOL_ID, CLIENT_ID, COGNATE_USERNAME, COGNATE_PASSWORD, COGNATE_BIN
const { test } = require('node:test');
const { execFileSync } = require('node:child_process');
const assert = require('node:assert/strict');
const {
  CognitoUserPool, CognitoUser, AuthenticationDetails, CognitoUserAttribute,
} = require('amazon-cognito-identity-js');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e`);
  return v;
};
const URL_ = env('COGNATE_URL');
const POOL_ID = env('POOL_ID');
const CLIENT_ID = env('CLIENT_ID');
const USERNAME = env('COGNATE_USERNAME');
const PASSWORD = env('COGNATE_PASSWORD');

const pool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: CLIENT_ID, endpoint: `${URL_}/` });

// answers the create auth challenge example's two challenges.
const answerFor = (params) => (params.captchaUrl ? '5' : params.securityQuestion ? 'Peccy' : 'unknown');

const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

// customFlow runs a CUSTOM_AUTH sign-in: start(user, callbacks) begins it,
// every customChallenge is answered from its parameters.
function customFlow(start, answers) {
  const user = new CognitoUser({ Username: USERNAME, Pool: pool });
  user.setAuthenticationFlowType('CUSTOM_AUTH');
  const seen = [];
  return new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: (session) => resolve({ session, seen }),
      onFailure: reject,
      customChallenge(params) {
        seen.push(params);
        user.sendCustomChallengeAnswer(answers(params), this);
      },
    };
    start(user, callbacks);
  });
}

test('CUSTOM_AUTH: initiateAuth and the customChallenge callback, two challenges, then tokens', async () => {
  const { session, seen } = await customFlow(
    (user, cb) => user.initiateAuth(new AuthenticationDetails({ Username: USERNAME }), cb), answerFor);
  assert.deepEqual(seen.map((p) => Object.keys(p).filter((k) => k !== 'USERNAME')), [['captchaUrl'], ['securityQuestion']]);
  assert.equal(claims(session.getIdToken().getJwtToken())['cognito:username'], USERNAME);
});

test('CUSTOM_AUTH: a wrong answer fails the sign-in', async () => {
  await assert.rejects(
    customFlow((user, cb) => user.initiateAuth(new AuthenticationDetails({ Username: USERNAME }), cb), () => 'wrong'),
    (err) => err.code === 'NotAuthorizedException');
});

test('CUSTOM_WITH_SRP: authenticateUser with flow CUSTOM_AUTH proves the password, then the custom challenges', async () => {
  const details = new AuthenticationDetails({ Username: USERNAME, Password: PASSWORD });
  const { session, seen } = await customFlow((user, cb) => user.authenticateUser(details, cb), answerFor);
  assert.equal(seen.length, 2);
  assert.equal(claims(session.getAccessToken().getJwtToken()).username, USERNAME);
  const badDetails = new AuthenticationDetails({ Username: USERNAME, Password: 'Wr0ng-Passw0rd!' });
  await assert.rejects(customFlow((user, cb) => user.authenticateUser(badDetails, cb), answerFor),
    (err) => err.code === 'NotAuthorizedException');
});

// logLines reads a function's log with `cognate logs` (which signs the call):
// one "TIME REQUEST_ID MESSAGE" line per log line; the messages are returned.
async function logLines(fn) {
  const out = execFileSync(env('COGNATE_BIN'), ['logs', '-endpoint', URL_, fn], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l).map((l) => l.split(' ').slice(2).join(' '));
}

test('pre sign-up auto-confirms a registered domain; the custom email sender gets an encrypted code it decrypts', async () => {
  const attrs = (email, domain) => [
    new CognitoUserAttribute({ Name: 'email', Value: email }),
    new CognitoUserAttribute({ Name: 'custom:domain', Value: domain }),
  ];
  const signUp = (name, list) => new Promise((resolve, reject) => {
    pool.signUp(name, 'S1gn-Up-Passw0rd!', list, null, (err, res) => (err ? reject(err) : resolve(res)));
  });
  const trusted = await signUp('dora', attrs('dora@example.com', 'example.com'));
  assert.equal(trusted.userConfirmed, true);

  const other = await signUp('ed', attrs('ed@example.net', 'example.com'));
  assert.equal(other.userConfirmed, false);
  const line = (await logLines('customEmailSender')).find((l) => l.includes('deliver to ed@example.net'));
  assert.ok(line, 'the custom email sender did not run for ed');
  const code = line.match(/your code is (\d{6})/)[1];
  const ed = new CognitoUser({ Username: 'ed', Pool: pool });
  await new Promise((resolve, reject) => ed.confirmRegistration(code, true, (err, res) => (err ? reject(err) : resolve(res))));
});

test('user migration (the guide example): first sign-in with USER_PASSWORD_AUTH migrates, then SRP signs in locally', async () => {
  const signIn = (flow) => new Promise((resolve, reject) => {
    const user = new CognitoUser({ Username: 'belladonna', Pool: pool });
    user.setAuthenticationFlowType(flow);
    user.authenticateUser(new AuthenticationDetails({ Username: 'belladonna', Password: 'Test123' }), {
      onSuccess: resolve, onFailure: reject,
    });
  });
  const first = await signIn('USER_PASSWORD_AUTH');
  assert.equal(claims(first.getIdToken().getJwtToken()).email, 'bella@example.com');
  const before = (await logLines('migrateUser')).filter((l) => l.startsWith('START')).length;
  await signIn('USER_SRP_AUTH');
  const after = (await logLines('migrateUser')).filter((l) => l.startsWith('START')).length;
  assert.equal(after, before, 'a local sign-in called the migration trigger');
});

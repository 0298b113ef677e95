'use strict';

// Signs in with amazon-cognito-identity-js (USER_SRP_AUTH), changing only the
// endpoint, and prints the id token. e2e/controlplane_test.go runs it with
//   COGNATE_URL, POOL_ID, CLIENT_ID, COGNATE_USERNAME, COGNATE_PASSWORD
const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require('amazon-cognito-identity-js');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const pool = new CognitoUserPool({ UserPoolId: env('POOL_ID'), ClientId: env('CLIENT_ID'), endpoint: `${env('COGNATE_URL')}/` });
const user = new CognitoUser({ Username: env('COGNATE_USERNAME'), Pool: pool });
user.authenticateUser(new AuthenticationDetails({ Username: env('COGNATE_USERNAME'), Password: env('COGNATE_PASSWORD') }), {
  onSuccess: (session) => { process.stdout.write(session.getIdToken().getJwtToken()); },
  onFailure: (err) => { console.error(err); process.exit(1); },
  newPasswordRequired: () => { console.error('unexpected NEW_PASSWORD_REQUIRED'); process.exit(1); },
});

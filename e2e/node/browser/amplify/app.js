// The Amplify v6 app of the browser test, bundled with esbuild at test time.
import { Amplify } from 'aws-amplify';
import { signInWithRedirect, fetchAuthSession, getCurrentUser } from 'aws-amplify/auth';
import 'aws-amplify/auth/enable-oauth-listener';

const cfg = window.AMPLIFY_TEST;
Amplify.configure({
  Auth: {
    Cognito: {
      userPoolId: cfg.poolId,
      userPoolClientId: cfg.clientId,
      loginWith: {
        oauth: {
          domain: cfg.domain,
          scopes: ['openid', 'email'],
          redirectSignIn: [location.origin + '/'],
          redirectSignOut: [location.origin + '/'],
          responseType: 'code',
        },
      },
    },
  },
});

window.amplifySignIn = () => signInWithRedirect();
window.amplifyState = async () => {
  const session = await fetchAuthSession();
  if (!session.tokens) return null;
  const user = await getCurrentUser();
  return { username: user.username, email: session.tokens.idToken.payload.email, scope: session.tokens.accessToken.payload.scope };
};

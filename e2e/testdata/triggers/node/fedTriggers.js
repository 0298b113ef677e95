// Triggers for federated sign-in and machine tokens, written as the Cognito
// developer guide's Node.js examples (async exports.handler returning the
// event): pre sign-up for ExternalProvider, post confirmation, and pre token
// generation V3_0, which also runs for client-credentials grants.
exports.handler = async (event) => {
  console.log(`trigger ${event.triggerSource} for ${event.userName}`);
  switch (event.triggerSource) {
    case 'PreSignUp_ExternalProvider': {
      const email = event.request.userAttributes.email || '';
      if (email.endsWith('@blocked.example')) {
        throw new Error(`federated sign-up refused for ${email}`);
      }
      event.response.autoVerifyEmail = email.endsWith('@upstream.example');
      return event;
    }
    case 'PostConfirmation_ConfirmSignUp':
      return event;
    case 'TokenGeneration_ClientCredentials':
      if (event.version !== '3' || event.userName !== null) {
        throw new Error(`unexpected machine event ${JSON.stringify(event)}`);
      }
      event.response = {
        claimsAndScopeOverrideDetails: {
          accessTokenGeneration: {
            claimsToAddOrOverride: { tenant: event.request.clientMetadata.tenant || 'none', machine: true },
            scopesToAdd: ['notes/read'],
          },
        },
      };
      return event;
    default:
      // TokenGeneration_HostedAuth and the rest: a claim in both tokens.
      if (event.triggerSource.startsWith('TokenGeneration_')) {
        event.response = {
          claimsAndScopeOverrideDetails: {
            idTokenGeneration: { claimsToAddOrOverride: { tenant: 'acme' } },
            accessTokenGeneration: { claimsToAddOrOverride: { tenant: 'acme', plan: 'gold' } },
          },
        };
      }
      return event;
  }
};

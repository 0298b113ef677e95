'use strict';

// The notes service of the tutorial: it answers a fixed list of notes under a
// title naming the caller, taken from the policyContext block that the API's
// request template builds from the custom authorizer's context.
exports.handler = (event, context, callback) => {
  const policyContext = event && event.policyContext;
  const username = policyContext && policyContext.username ? policyContext.username : 'anonymous';
  const response = {
    title: `Notes for ${username}`,
    notes: [
      { title: 'note 1', contents: 'this is just a test note' },
      { title: 'about the sunlight', contents: 'sunlight is beautiful, but you need sunglasses sometimes' },
    ],
  };
  callback(null, response);
};

// The tutorial's notes function, as deployed to Lambda: callback style.
exports.handler = (event, context, callback) => {
  const username = event.policyContext && event.policyContext.username ? event.policyContext.username : 'anonymous';
  const response = {
    title: 'Notes for ' + username,
    notes: [
      { title: 'note 1', contents: 'this is just a test note' },
      { title: 'about the sunlight', contents: 'sunlight is beautiful, but you need sunglasses sometimes' },
    ],
  };
  console.log('listing notes for', username);
  callback(null, response);
};

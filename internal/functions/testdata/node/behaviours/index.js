// Handlers exercising the runtime's contract.
const greet = require('greet');

let count = 0;

exports.async = async (event) => ({ echo: event, greeting: greet('node') });

exports.counter = async () => {
  count++;
  return { count, pid: process.pid };
};

exports.throws = async () => {
  const e = new TypeError('bad input');
  throw e;
};

exports.callbackError = (event, context, callback) => callback(new Error('callback failure'));

exports.sync = () => {
  throw new RangeError('sync throw');
};

exports.context = (event, context, callback) => {
  callback(null, {
    awsRequestId: context.awsRequestId,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    remaining: context.getRemainingTimeInMillis(),
    waits: context.callbackWaitsForEmptyEventLoop,
    root: process.env.LAMBDA_TASK_ROOT,
    secret: process.env.COGNATE_TEST_SECRET || null,
    greeting: process.env.GREETING || null,
  });
};

// With callbackWaitsForEmptyEventLoop (the default) the answer waits for
// the timer; without it, it goes at once.
exports.waitsForTimer = (event, context, callback) => {
  setTimeout(() => console.log('timer fired'), 50);
  callback(null, 'done');
};
exports.noWait = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => console.log('late timer fired'), 3000);
  callback(null, 'early');
};

exports.done = (event, context) => context.done(null, { via: 'done' });

exports.sleep = (event) => new Promise((resolve) => setTimeout(() => resolve('late'), event.millis));

exports.exit = () => {
  console.error('about to exit');
  process.exit(7);
};

exports.big = async (event) => 'x'.repeat(event.size);

exports.log = async (event) => {
  console.log(event.message);
  console.error('stderr:', event.message);
  return 'logged';
};

exports.nothing = () => {};

'use strict';
// Cognate's Node.js runtime bootstrap: loads the handler named by _HANDLER
// from LAMBDA_TASK_ROOT and serves invocations from the Lambda Runtime API.
// Supports async handlers, callback(err, result), the legacy
// context.succeed/fail/done, and callbackWaitsForEmptyEventLoop.

const http = require('http');
const path = require('path');
const fs = require('fs');
const { pathToFileURL } = require('url');

const api = process.env.AWS_LAMBDA_RUNTIME_API || '';
const colon = api.lastIndexOf(':');
const apiHost = api.slice(0, colon);
const apiPort = Number(api.slice(colon + 1));
const agent = new http.Agent({ keepAlive: true });

function call(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: apiHost, port: apiPort, method, path: '/2018-06-01/runtime' + p, agent, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function named(type, message, cause) {
  const e = new Error(message);
  e.lambdaType = type;
  if (cause && cause.stack) e.stack = cause.stack;
  return e;
}

// errorDocument renders a thrown value the way Lambda's Node runtime does.
function errorDocument(err) {
  if (err instanceof Error || (err && typeof err === 'object' && typeof err.message === 'string')) {
    const stack = typeof err.stack === 'string' ? err.stack.split('\n') : [];
    return { errorType: err.lambdaType || err.name || 'Error', errorMessage: String(err.message), stackTrace: stack };
  }
  if (typeof err === 'string') return { errorType: 'string', errorMessage: err, stackTrace: [] };
  let message;
  try {
    message = JSON.stringify(err);
  } catch (e) {
    message = String(err);
  }
  return { errorType: typeof err, errorMessage: message === undefined ? String(err) : message, stackTrace: [] };
}

function postError(p, err) {
  const doc = errorDocument(err);
  return call('POST', p, JSON.stringify(doc), {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': doc.errorType,
  });
}

async function loadHandler() {
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const spec = process.env._HANDLER || '';
  const dot = spec.lastIndexOf('.');
  if (dot <= 0 || dot === spec.length - 1) {
    throw named('Runtime.MalformedHandlerName', `Bad handler ${spec}: expected module.function`);
  }
  const modName = spec.slice(0, dot);
  const fnName = spec.slice(dot + 1);
  const base = path.resolve(root, modName);
  const file = ['.js', '.cjs', '.mjs'].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (!file) {
    throw named('Runtime.ImportModuleError', `Error: Cannot find module '${modName}'`);
  }
  let mod;
  try {
    if (file.endsWith('.mjs')) {
      mod = await import(pathToFileURL(file).href);
    } else {
      try {
        mod = require(file);
      } catch (e) {
        if (!e || e.code !== 'ERR_REQUIRE_ESM') throw e;
        mod = await import(pathToFileURL(file).href);
      }
    }
  } catch (e) {
    if (e instanceof SyntaxError) throw named('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`, e);
    if (e && e.code === 'MODULE_NOT_FOUND') throw named('Runtime.ImportModuleError', `Error: ${e.message}`, e);
    throw e;
  }
  let fn = mod && mod[fnName];
  if (typeof fn !== 'function' && mod && mod.default) fn = mod.default[fnName];
  if (typeof fn !== 'function') {
    throw named('Runtime.HandlerNotFound', `${spec} is undefined or not exported`);
  }
  return fn;
}

// The invocation in progress, so that beforeExit and uncaught errors can
// settle it.
let current = null;

process.on('beforeExit', () => {
  const inv = current;
  if (!inv) return;
  if (inv.waitingForEmptyLoop) {
    inv.waitingForEmptyLoop();
  } else if (!inv.settled) {
    // The handler neither returned a promise nor called back and nothing is
    // left to run: Lambda answers null.
    inv.settle(null, null, false);
  }
});

function fatal(err) {
  const inv = current;
  if (inv && !inv.posted) {
    inv.posted = true;
    postError(`/invocation/${inv.id}/error`, err).finally(() => process.exit(1));
    return;
  }
  console.error(err);
  process.exit(1);
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', (reason) => {
  const err = reason instanceof Error ? reason : named('Runtime.UnhandledPromiseRejection', String(reason));
  fatal(err);
});

function runInvocation(handler, headers, body) {
  const id = headers['lambda-runtime-aws-request-id'];
  const deadline = Number(headers['lambda-runtime-deadline-ms']) || Date.now();
  if (headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = headers['lambda-runtime-trace-id'];
  else delete process.env._X_AMZN_TRACE_ID;
  let event;
  try {
    event = body.length ? JSON.parse(body.toString('utf8')) : null;
  } catch (e) {
    event = body.toString('utf8');
  }
  return new Promise((resolve) => {
    const inv = { id, settled: false, posted: false, waitingForEmptyLoop: null };
    current = inv;
    inv.settle = (err, result, waitForEmptyLoop) => {
      if (inv.settled) return;
      inv.settled = true;
      const done = () => resolve({ err, result });
      if (waitForEmptyLoop && context.callbackWaitsForEmptyEventLoop) inv.waitingForEmptyLoop = done;
      else done();
    };
    const fnName = process.env.AWS_LAMBDA_FUNCTION_NAME;
    const context = {
      awsRequestId: id,
      functionName: fnName,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      succeed: (result) => inv.settle(null, result, false),
      fail: (err) => inv.settle(err === undefined || err === null ? 'handled' : err, undefined, false),
      done: (err, result) => inv.settle(err, result, false),
    };
    if (headers['lambda-runtime-client-context']) {
      try {
        context.clientContext = JSON.parse(headers['lambda-runtime-client-context']);
      } catch (e) {
        context.clientContext = undefined;
      }
    }
    const callback = (err, result) => inv.settle(err, result, true);
    let ret;
    try {
      ret = handler(event, context, callback);
    } catch (e) {
      inv.settle(e, undefined, false);
      return;
    }
    if (ret && typeof ret.then === 'function') {
      ret.then(
        (result) => inv.settle(null, result, false),
        (err) => inv.settle(err === undefined || err === null ? new Error('rejected') : err, undefined, false),
      );
    }
  });
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    console.error(e && e.stack ? e.stack : e);
    try {
      await postError('/init/error', e);
    } finally {
      process.exit(1);
    }
  }
  for (;;) {
    const next = await call('GET', '/invocation/next');
    if (next.status !== 200) {
      console.error(`runtime api: /next answered ${next.status}`);
      process.exit(1);
    }
    const { err, result } = await runInvocation(handler, next.headers, next.body);
    const inv = current;
    current = null;
    if (inv.posted) continue;
    inv.posted = true;
    const id = inv.id;
    if (err !== null && err !== undefined) {
      await postError(`/invocation/${id}/error`, err);
      continue;
    }
    let payload;
    try {
      payload = JSON.stringify(result === undefined ? null : result);
    } catch (e) {
      await postError(`/invocation/${id}/error`, named('Runtime.MarshalError', `Unable to stringify response body: ${e.message}`));
      continue;
    }
    await call('POST', `/invocation/${id}/response`, payload, { 'Content-Type': 'application/json' });
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});

// Handlers probing the sandbox a function runs in.
const fs = require('fs');
const { spawn } = require('child_process');

// read tries each path and answers "read" or the error code.
exports.read = async (event) => {
  const out = {};
  for (const p of event.paths) {
    try {
      if (event.dir) fs.readdirSync(p);
      else fs.readFileSync(p);
      out[p] = 'read';
    } catch (e) {
      out[p] = e.code || String(e);
    }
  }
  return out;
};

exports.env = async () => ({ env: process.env, uid: process.getuid(), gid: process.getgid() });

// detach starts a grandchild in a session of its own (setsid, then the
// shell forks it and exits) and logs its pid; with hang it never answers.
exports.detach = async (event) => {
  const pid = await new Promise((resolve, reject) => {
    const sh = spawn('/bin/sh', ['-c', 'sleep 300 >/dev/null 2>&1 & echo $!'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    sh.stdout.on('data', (d) => { out += d; });
    sh.on('error', reject);
    sh.on('close', () => resolve(parseInt(out, 10)));
  });
  console.log(`detached child ${pid}`);
  if (event.code) process.exit(event.code);
  if (event.hang) await new Promise(() => setInterval(() => {}, 1000)); // never answers
  return { pid };
};

// alloc allocates (and touches) event.mb megabytes.
const kept = [];
exports.alloc = async (event) => {
  for (let i = 0; i < event.mb; i += 16) kept.push(Buffer.alloc(16 << 20, 1));
  return { allocated: kept.length * 16 };
};

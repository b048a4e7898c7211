// `require('rx-persistent-store')`: Node 20.19+ and 22.12+ load the ES module from CommonJS; an
// older Node gets told what to do instead of a bare ERR_REQUIRE_ESM. So does a Node that could,
// but was told not to, or whose require() is not its own (Jest's CommonJS runtime): upgrading Node
// is then no answer.
try {
  module.exports = require('./index.js');
} catch (error) {
  if ((error as { code?: unknown } | null)?.code !== 'ERR_REQUIRE_ESM') throw error;
  const node = process.versions.node;
  const [major = 0, minor = 0] = node.split('.').map(Number);
  const nodeCan = major >= 23 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
  throw new Error(
    nodeCan
      ? `rx-persistent-store is an ES module, and this require() could not load it although Node ${node} can: Node was run with --no-experimental-require-module, or the require() is a loader's own (Jest's CommonJS runtime cannot load an ES module before Node 24.9). Load it with import / await import('rx-persistent-store') (under Jest, run it in its ESM mode: NODE_OPTIONS=--experimental-vm-modules), or drop the flag.`
      : `rx-persistent-store is an ES module: require() loads it on Node 20.19+ and 22.12+ (unless run with --no-experimental-require-module), and this is Node ${node}. Upgrade Node, or load it with import / await import('rx-persistent-store').`,
    { cause: error },
  );
}

// `require('rx-persistent-store')`: Node 20.19+ and 22.12+ load the ES module from CommonJS; an
// older Node gets told what to do instead of a bare ERR_REQUIRE_ESM.
try {
  module.exports = require('./index.js');
} catch (error) {
  if ((error as { code?: unknown } | null)?.code !== 'ERR_REQUIRE_ESM') throw error;
  throw new Error(
    `rx-persistent-store is an ES module: require() loads it on Node 20.19+ and 22.12+ (unless run with --no-experimental-require-module), and this is Node ${process.versions.node}. Upgrade Node, or load it with import / await import('rx-persistent-store').`,
    { cause: error },
  );
}

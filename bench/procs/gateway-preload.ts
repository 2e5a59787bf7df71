// Imported first by gateway.ts: our gateway flattens @apollo/federation-internals' exports before
// @apollo/gateway loads (as gateway/src/server.ts does in production); the peers get the package as it is.
if (process.argv[2] === 'ours') require('@commons/gateway/src/federation-exports');

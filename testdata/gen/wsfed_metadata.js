// Writes the FederationMetadata document auth0's npm `wsfed` package serves, by calling its own metadata middleware
// (wsfed/lib/metadata, what require('wsfed').metadata exports; wsfed 6.0.0's index also loads its sign-in module,
// which needs `xtend`, a package wsfed does not declare) with a stand-in request and response. Run by
// testdata/gen/products.py.
//
// usage: node wsfed_metadata.js CERT_PEM ISSUER HOST ENDPOINT_PATH MEX_PATH OUT
// env:   NODE_PATH  a node_modules folder holding wsfed (a throwaway install, see generate.sh)
'use strict';
const fs = require('fs');
const metadata = require('wsfed/lib/metadata');

const [certPath, issuer, host, endpointPath, mexPath, out] = process.argv.slice(2);
const middleware = metadata({
  issuer,
  cert: fs.readFileSync(certPath),
  endpointPath,
  mexEndpoint: mexPath,
});
const req = { headers: { host }, protocol: 'https', originalUrl: '/FederationMetadata/2007-06/FederationMetadata.xml' };
const res = {
  set() {},
  send(body) {
    fs.writeFileSync(out, body);
  },
};
middleware(req, res);

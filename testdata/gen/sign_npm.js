// Produce a signed assertion with the npm `saml` package (v4, which signs via xml-crypto 2.x).
// usage: node sign_npm.js saml20|saml11 KEY CERT OUT
// The clock is pinned to 2026-01-15T10:00:00Z through moment.now (the package stamps "now").
'use strict';
const fs = require('fs');
const moment = require('moment');
const saml = require('saml');

const FIXED = Date.parse('2026-01-15T10:00:00Z');
moment.now = () => FIXED;

const [kind, keyPath, certPath, outPath] = process.argv.slice(2);
const common = {
  cert: fs.readFileSync(certPath),
  key: fs.readFileSync(keyPath),
  issuer: 'http://sts.contoso.test/adfs/services/trust',
  lifetimeInSeconds: 3600,
  audiences: 'urn:federation:MicrosoftOnline',
  nameIdentifier: 'bXlJbW11dGFibGVJZA==',
  signatureAlgorithm: 'rsa-sha256',
  digestAlgorithm: 'sha256',
  signatureNamespacePrefix: 'ds',
};
let xml;
if (kind === 'saml20') {
  xml = saml.Saml20.create(Object.assign({}, common, {
    uid: 'a7e1c0de0000000000000000000000npm',
    recipient: 'https://login.microsoftonline.com/login.srf',
    inResponseTo: '_5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f',
    nameIdentifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    authnContextClassRef: 'http://schemas.microsoft.com/claims/multipleauthn',
    sessionIndex: '_a7e1c0de0000000000000000000000npm',
    attributes: { IDPEmail: 'alice@contoso.test' },
  }));
} else if (kind === 'saml11') {
  // saml11 template hard-codes AuthenticationMethod=password; the MFA signal is carried by
  // the authnmethodsreferences attribute (name split at the last '/' into namespace + name).
  xml = saml.Saml11.create(Object.assign({}, common, {
    uid: 'b7e1c0de0000000000000000000000npm',
    attributes: {
      'http://schemas.xmlsoap.org/claims/UPN': 'alice@contoso.test',
      'http://schemas.microsoft.com/LiveID/Federation/2008/05/ImmutableID': 'bXlJbW11dGFibGVJZA==',
      'http://schemas.microsoft.com/claims/authnmethodsreferences': 'http://schemas.microsoft.com/claims/multipleauthn',
    },
  }));
} else {
  throw new Error('kind must be saml20 or saml11');
}
fs.writeFileSync(outPath, xml);

// Verifies a key-signed Sigstore bundle with sigstore-js, offline.
// usage: node verify-key-bundle.cjs BUNDLE PUBLIC_KEY_PEM TRUSTED_ROOT [ARTIFACT]
// Exit 0 and prints "verified" on success; exit 1 with the error otherwise.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toTrustMaterial, toSignedEntity } = require('@sigstore/verify');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

if (process.argv[2] === '--probe') {
  process.exit(0);
}
const [bundlePath, keyPath, rootPath, artifactPath] = process.argv.slice(2);
try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath));
  const material = bundle.verificationMaterial.content;
  if (material.$case !== 'publicKey') throw new Error('not a key-signed bundle');
  const hint = material.publicKey.hint;
  // The key is delivered out of band and looked up by the bundle's hint.
  const keys = (h) => {
    if (h !== hint) throw new Error(`unknown key hint ${h}`);
    return { publicKey, validFor: () => true };
  };
  const verifier = new Verifier(toTrustMaterial(root, keys), {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  const artifact = artifactPath ? fs.readFileSync(artifactPath) : undefined;
  verifier.verify(toSignedEntity(bundle, artifact));
  console.log('verified');
} catch (e) {
  console.error(`sigstore-js: ${e && e.message ? e.message : e}`);
  process.exit(1);
}

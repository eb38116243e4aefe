#!/usr/bin/env python3
"""Make a cosign key pair with the reference algorithm (cosign is not installable here).

cosign's `generate-key-pair` marshals the private key as PKCS#8 DER, encrypts it with the
go-tuf / securesystemslib `encrypted` package (scrypt N=32768 r=8 p=1 -> 32-byte key, NaCl
secretbox with a random 24-byte nonce, 32-byte random salt) and writes the JSON
{"kdf":{"name":"scrypt","params":{"N":..,"r":..,"p":..},"salt":b64},
 "cipher":{"name":"nacl/secretbox","nonce":b64},"ciphertext":b64}
as the body of a PEM block labelled `ENCRYPTED SIGSTORE PRIVATE KEY` (older releases:
`ENCRYPTED COSIGN PRIVATE KEY`). `cosign.pub` is the SPKI PEM.

usage: make_cosign_key.py OUT_DIR PASSPHRASE {p256,ed25519} {sigstore,cosign} [N]
(N: scrypt cost, 32768 = go-tuf legacy as older cosign wrote, 65536 = cosign 2.x)
writes OUT_DIR/cosign.key and OUT_DIR/cosign.pub
"""

import base64
import hashlib
import json
import os
import sys

import nacl.secret
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

R, P = 8, 1


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def main() -> None:
    out_dir, passphrase, alg, label = sys.argv[1:5]
    N = int(sys.argv[5]) if len(sys.argv) > 5 else 65536
    if alg == "p256":
        key = ec.generate_private_key(ec.SECP256R1())
    elif alg == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        raise SystemExit(f"unknown algorithm {alg}")
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    salt = os.urandom(32)
    box_key = hashlib.scrypt(
        passphrase.encode(), salt=salt, n=N, r=R, p=P, maxmem=256 * 1024 * 1024, dklen=32
    )
    nonce = os.urandom(24)
    sealed = nacl.secret.SecretBox(box_key).encrypt(pkcs8, nonce)
    doc = {
        "kdf": {"name": "scrypt", "params": {"N": N, "r": R, "p": P}, "salt": b64(salt)},
        "cipher": {"name": "nacl/secretbox", "nonce": b64(nonce)},
        "ciphertext": b64(sealed.ciphertext),
    }
    encoded = b64(json.dumps(doc, separators=(",", ":")).encode())
    body = "".join(encoded[i : i + 64] + "\n" for i in range(0, len(encoded), 64))
    pem_label = {
        "sigstore": "ENCRYPTED SIGSTORE PRIVATE KEY",
        "cosign": "ENCRYPTED COSIGN PRIVATE KEY",
    }[label]
    with open(os.path.join(out_dir, "cosign.key"), "w") as f:
        f.write(f"-----BEGIN {pem_label}-----\n{body}-----END {pem_label}-----\n")
    with open(os.path.join(out_dir, "cosign.pub"), "wb") as f:
        f.write(
            key.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
        )


if __name__ == "__main__":
    main()

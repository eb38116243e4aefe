"""DSSE interop with the Python reference (securesystemslib), driven by tests/it/python_interop.rs.

    dsse_interop.py verify ENVELOPE_JSON PUBLIC_PEM KEYID
        exit 0 and print the payload (UTF-8) when securesystemslib verifies the envelope with
        the public key registered under KEYID; exit 1 otherwise.
    dsse_interop.py sign PRIVATE_PEM KEYID PAYLOAD_TYPE PAYLOAD_FILE OUT_JSON
        sign PAYLOAD_FILE as a DSSE envelope with securesystemslib's CryptoSigner.
"""

import json
import sys

from cryptography.hazmat.primitives.serialization import (
    load_pem_private_key,
    load_pem_public_key,
)
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey


def verify(envelope_path, public_pem_path, keyid):
    with open(envelope_path, "rb") as f:
        env = Envelope.from_dict(json.load(f))
    with open(public_pem_path, "rb") as f:
        key = SSlibKey.from_crypto(load_pem_public_key(f.read()), keyid=keyid)
    try:
        env.verify([key], 1)
    except VerificationError as e:
        print(f"not verified: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(env.payload.decode("utf-8"))
    return 0


def sign(private_pem_path, keyid, payload_type, payload_path, out_path):
    with open(private_pem_path, "rb") as f:
        private_key = load_pem_private_key(f.read(), password=None)
    public = SSlibKey.from_crypto(private_key.public_key(), keyid=keyid)
    signer = CryptoSigner(private_key, public)
    with open(payload_path, "rb") as f:
        env = Envelope(f.read(), payload_type, {})
    env.sign(signer)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(env.to_dict(), f)
    return 0


def main(argv):
    if len(argv) == 4 and argv[0] == "verify":
        return verify(argv[1], argv[2], argv[3])
    if len(argv) == 6 and argv[0] == "sign":
        return sign(*argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

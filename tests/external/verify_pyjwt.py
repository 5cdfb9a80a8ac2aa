"""Verifies a JWT the way a Python resource server would: PyJWT's PyJWKClient fetches the
JWKS, jwt.decode checks signature, issuer and audience. Prints the claims as JSON.

usage: verify_pyjwt.py JWKS_URL TOKEN ISSUER AUDIENCE ALG
"""
import json
import sys

import jwt

jwks_url, token, issuer, audience, alg = sys.argv[1:6]
client = jwt.PyJWKClient(jwks_url, cache_keys=False)
key = client.get_signing_key_from_jwt(token)
claims = jwt.decode(
    token,
    key.key,
    algorithms=[alg],
    issuer=issuer,
    audience=audience,
    options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
)
print(json.dumps(claims))

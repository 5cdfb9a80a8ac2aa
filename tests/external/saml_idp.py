"""Fake-but-real SAML 2.0 Identity Provider for SP integration tests (pysaml2 + xmlsec1).

Setup: python3.11 -m venv .venv && .venv/bin/pip install -r requirements.txt   (needs /usr/bin/xmlsec1)
Run:  .venv/bin/python saml_idp.py [--port N] [--person EMAIL]   -> prints exactly one line
"READY http://127.0.0.1:PORT" on stdout once serving (everything else goes to stderr) and serves
until killed. Port 0 (default): the OS picks one. --person: who signs in (NameID and email) until
POST /next says otherwise; deploy/local/run.sh starts it this way as the newcomer's test IdP.
IdP entity id = http://127.0.0.1:PORT/metadata. Two fresh RSA-2048 keys + self-signed certs are
generated in a temp dir at start: the IdP signing key (in metadata) and an unpublished "attacker" key.

Endpoints
  GET  /metadata[?nocert=1]   IdP metadata (nocert=1: same without any KeyDescriptor)
  POST /sp                    body = SP EntityDescriptor XML; registered (kept; several allowed) -> 204
  POST /rotate                JSON {"entity_id": optional}: a new signing key and cert (a key rollover),
                              and the entity id changed when given; metadata and responses use them -> 204
  POST /next                  JSON settings for all following responses (missing keys -> defaults):
                              mode, name_id, email, given_name, family_name, groups, authn_context
  GET  /sso?SAMLRequest=..&RelayState=..  HTTP-Redirect AuthnRequest -> 200 HTML auto-POST form
  GET  /idp-initiated?sp=ENTITY&acs=URL[&RelayState=..]  same but unsolicited (no InResponseTo)
  GET  /last                  JSON {saml_response, relay_state, acs_url, request_id, mode}

Assertion content (all attributes NameFormat urn:oasis:names:tc:SAML:2.0:attrname-format:basic,
values xsi:type="xs:string"): "email", "givenName", "surname", "groups" (one AttributeValue per
group). NameID Format=emailAddress, value = name_id. The Response always carries Destination.
Signatures: RSA-SHA256 + SHA-256 digest, exclusive C14N, enveloped, Reference URI="#<ID>",
KeyInfo/X509Data with the signing cert. IDs are the "ID" attributes of samlp:Response/saml:Assertion.
Every Assertion declares its own namespaces (self-contained: survives encryption / moving).

Modes (SP must accept ok*, refuse the rest). "signed" without detail = Response AND Assertion signed.
  ok, ok_assertion_only, ok_response_only, unsigned
  other_key        both signed with the attacker key (attacker cert in KeyInfo)
  sha1             both signed with rsa-sha1 / sha1 digests by the real key
  wrap_sibling     unsigned evil assertion placed BEFORE the valid signed one; Response unsigned
  wrap_wrapper     unsigned evil assertion is the Response's assertion; the valid signed one sits in
                   the evil assertion's <saml:Advice>; Response unsigned
  nameid_altered   assertion signed (Response unsigned), then NameID text replaced by attacker@evil.test
  wrong_audience   Audience https://other-sp.example/metadata; no_audience: no AudienceRestriction
  wrong_recipient  Recipient and Response Destination = https://other-sp.example/acs
  expired          NotOnOrAfter (Conditions + SubjectConfirmationData) 10 min ago, instants 15 min ago
  other_request    InResponseTo=_someOtherRequestId123 (Response + SubjectConfirmationData)
  wrong_issuer     Issuer http://evil.example/idp (Response + Assertion), signed by the real key
  two_assertions_signed  two valid assertions (2nd NameID second.user@acme.test), each signed; Response signed
  failed_status    Responder/AuthnFailed, no assertion; Response signed
  encrypted        assertion signed, then EncryptedAssertion (AES-256-CBC data, RSA-OAEP-MGF1P/SHA-1
                   key transport) to the SP's use="encryption" (or unqualified) cert; Response signed
  encrypted_unsigned_assertion  as encrypted but the inner assertion is unsigned; Response signed
"""
import base64, datetime as dt, html, json, os, re, shutil, signal, sys, tempfile, threading, traceback, uuid, warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape, quoteattr

warnings.filterwarnings("ignore", module="saml2")  # pysaml2 imports deprecated CFB mode at import time
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, xmldsig
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_EMAILADDRESS
from saml2.server import Server
from saml2.sigver import RSA_OAEP_MGF1P, get_pem_wrapped_unwrapped, make_temp, pre_encryption_part, pre_signature_part

XMLSEC = "/usr/bin/xmlsec1"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
AES256_CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
SHA256 = (xmldsig.SIG_RSA_SHA256, xmldsig.DIGEST_SHA256)
SHA1 = (xmldsig.SIG_RSA_SHA1, xmldsig.DIGEST_SHA1)
EVIL = "attacker@evil.test"
OTHER_SP = "https://other-sp.example"
DEFAULTS = {"mode": "ok", "name_id": "jit.user@acme.test", "email": "jit.user@acme.test",
            "given_name": "Jit", "family_name": "User", "groups": ["crm-admins"],
            "authn_context": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}
MODES = {"ok", "ok_assertion_only", "ok_response_only", "unsigned", "other_key", "sha1", "wrap_sibling",
         "wrap_wrapper", "nameid_altered", "wrong_audience", "no_audience", "wrong_recipient", "expired",
         "other_request", "wrong_issuer", "two_assertions_signed", "failed_status", "encrypted",
         "encrypted_unsigned_assertion"}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def make_keypair(dirname, name):
    """RSA-2048 key + self-signed cert (PEM files); returns (key_path, cert_path, cert_base64_body)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subj).issuer_name(subj).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256()))
    kp, cp = os.path.join(dirname, name + ".key"), os.path.join(dirname, name + ".crt")
    with open(kp, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    with open(cp, "wb") as f:
        f.write(pem)
    body = "".join(pem.decode().strip().splitlines()[1:-1])
    return kp, cp, body


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")  # SAML xs:dateTime, always UTC


def new_id():
    return "_" + uuid.uuid4().hex  # IDs must be NCNames: never start with a digit


def strip_decl(xml):
    return re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", xml).strip()


class IdP:
    def __init__(self, base):
        self.base = base
        self.entity_id = base + "/metadata"
        self.tmp = tempfile.mkdtemp(prefix="saml_idp_")
        self.key, self.cert, self.cert_b64 = make_keypair(self.tmp, "idp")
        self.evil_key, _, self.evil_cert_b64 = make_keypair(self.tmp, "attacker")
        self.lock = threading.Lock()
        self.settings = dict(DEFAULTS)
        self.last = {}
        self.sps = []
        self.generation = 0
        self.configure()

    def rotate(self, entity_id=None):
        """A new signing key pair (and entity id, when given); registered SPs are kept."""
        self.generation += 1
        self.key, self.cert, self.cert_b64 = make_keypair(self.tmp, f"idp{self.generation}")
        if entity_id:
            self.entity_id = entity_id
        self.configure()
        for xml in self.sps:
            self.server.metadata.load("inline", xml)

    def configure(self):
        base = self.base
        conf = IdPConfig()
        conf.load({
            "entityid": self.entity_id,
            "xmlsec_binary": XMLSEC, "crypto_backend": "xmlsec1",
            "key_file": self.key, "cert_file": self.cert,
            # pysaml2 defaults to SHA-1; we never want that except in mode "sha1"
            "signing_algorithm": SHA256[0], "digest_algorithm": SHA256[1],
            "allow_unknown_attributes": True, "metadata": {},
            "service": {"idp": {
                "name": "Test IdP",
                "endpoints": {"single_sign_on_service": [(base + "/sso", BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                       "name_form": NAME_FORMAT_BASIC}},
                # AuthnRequest signatures are not checked: the harness tests the SP's response handling
                "want_authn_requests_signed": False,
            }},
        })
        # pysaml2 Server: AuthnRequest parsing (inflate/decode/Destination check), SP metadata store,
        # and its xmlsec1 crypto backend for signing/encryption. Responses are assembled by hand below
        # because most modes need exact control over fields that create_authn_response() decides itself.
        self.server = Server(config=conf)

    # ---------------------------------------------------------------- metadata
    def metadata(self, nocert=False):
        ed = entity_descriptor(self.server.config)
        ed.extensions = None  # pysaml2 adds an <alg:*> list (md5, dsa, ...): noise that could mislead an SP
        if nocert:
            for d in ed.idpsso_descriptor if isinstance(ed.idpsso_descriptor, list) else [ed.idpsso_descriptor]:
                d.key_descriptor = []
        return ed.to_string(nspair={"md": "urn:oasis:names:tc:SAML:2.0:metadata",
                                    "ds": xmldsig.NAMESPACE, "saml": NS_SAML})

    def register_sp(self, xml):
        self.sps.append(xml)
        self.server.metadata.load("inline", xml)

    def sp_enc_cert(self, sp):
        try:
            certs = self.server.metadata.certs(sp, "spsso", use="encryption")  # also returns use-less keys
        except KeyError:
            certs = []
        if not certs:
            raise ValueError(f"no encryption cert for SP {sp!r} (register its metadata via POST /sp)")
        return certs[0][1]

    # ---------------------------------------------------------------- XML building blocks
    def sig_template(self, ident, alg=SHA256, cert_b64=None):
        """pysaml2's <ds:Signature> template (exc-c14n, enveloped) with our algorithms, filled by xmlsec1."""
        sig = pre_signature_part(ident, public_key=cert_b64 or self.cert_b64, sign_alg=alg[0], digest_alg=alg[1])
        return strip_decl(sig.to_string(nspair={"ds": xmldsig.NAMESPACE}).decode())

    def sign(self, xml, node_name, ident, key=None):
        """xmlsec1 --sign of the <ds:Signature> template inside the element with ID=ident."""
        out = self.server.sec.sign_statement(xml, node_name, key_file=key or self.key, node_id=ident)
        return strip_decl(out)

    def assertion(self, p, signed, aid=None, advice=""):
        """One self-contained <saml:Assertion> string (optionally signed). p = parameters dict."""
        aid = aid or new_id()
        irt = f" InResponseTo={quoteattr(p['irt'])}" if p["irt"] else ""
        aud = ("<saml:AudienceRestriction><saml:Audience>%s</saml:Audience></saml:AudienceRestriction>"
               % escape(p["audience"])) if p["audience"] else ""
        attrs = [("email", [p["email"]]), ("givenName", [p["given_name"]]), ("surname", [p["family_name"]]),
                 ("groups", list(p["groups"]))]
        attr_xml = "".join(
            f'<saml:Attribute Name="{n}" NameFormat="{NAME_FORMAT_BASIC}">'
            + "".join(f'<saml:AttributeValue xsi:type="xs:string">{escape(v)}</saml:AttributeValue>' for v in vals)
            + "</saml:Attribute>" for n, vals in attrs)
        xml = (
            f'<saml:Assertion xmlns:saml="{NS_SAML}" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{aid}" Version="2.0" '
            f'IssueInstant="{ts(p["issued"])}">'
            f'<saml:Issuer>{escape(p["issuer"])}</saml:Issuer>'
            + (self.sig_template(aid, p["alg"], p["cert_b64"]) if signed else "") +
            f'<saml:Subject><saml:NameID Format="{NAMEID_FORMAT_EMAILADDRESS}">{escape(p["name_id"])}</saml:NameID>'
            f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData{irt} NotOnOrAfter="{ts(p["not_after"])}" '
            f'Recipient={quoteattr(p["recipient"])}/></saml:SubjectConfirmation></saml:Subject>'
            f'<saml:Conditions NotBefore="{ts(p["not_before"])}" NotOnOrAfter="{ts(p["not_after"])}">{aud}'
            f'</saml:Conditions>{advice}'
            f'<saml:AuthnStatement AuthnInstant="{ts(p["issued"])}" SessionIndex="{new_id()}">'
            f'<saml:AuthnContext><saml:AuthnContextClassRef>{escape(p["authn_context"])}'
            f'</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>'
            f'<saml:AttributeStatement>{attr_xml}</saml:AttributeStatement></saml:Assertion>')
        return self.sign(xml, NS_SAML + ":Assertion", aid, p["key"]) if signed else xml

    def response(self, p, body, signed, status=None):
        """<samlp:Response> around already-built assertion XML `body`; optionally signed (last)."""
        rid = new_id()
        irt = f" InResponseTo={quoteattr(p['irt'])}" if p["irt"] else ""
        status = status or '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
        xml = (f'<samlp:Response xmlns:samlp="{NS_SAMLP}" xmlns:saml="{NS_SAML}" ID="{rid}" Version="2.0" '
               f'IssueInstant="{ts(p["issued"])}" Destination={quoteattr(p["destination"])}{irt}>'
               f'<saml:Issuer>{escape(p["issuer"])}</saml:Issuer>'
               + (self.sig_template(rid, p["alg"], p["cert_b64"]) if signed else "")
               + f'<samlp:Status>{status}</samlp:Status>{body}</samlp:Response>')
        return self.sign(xml, NS_SAMLP + ":Response", rid, p["key"]) if signed else xml

    def encrypt(self, assertion_xml, sp):
        """Wrap in <saml:EncryptedAssertion> and let xmlsec1 (via pysaml2) replace the Assertion by
        <xenc:EncryptedData> (AES-256-CBC, session key RSA-OAEP-MGF1P to the SP cert)."""
        wrapped, unwrapped = get_pem_wrapped_unwrapped(self.sp_enc_cert(sp))
        certfile = make_temp(wrapped.encode(), suffix=".pem", decode=False)
        tpl = pre_encryption_part(msg_enc=AES256_CBC, key_enc=RSA_OAEP_MGF1P, encrypt_cert=unwrapped)
        doc = f'<saml:EncryptedAssertion xmlns:saml="{NS_SAML}">{assertion_xml}</saml:EncryptedAssertion>'
        xpath = "/*[local-name()='EncryptedAssertion']/*[local-name()='Assertion']"
        out = self.server.sec.crypto.encrypt_assertion(doc, certfile.name, tpl, key_type="aes-256", node_xpath=xpath)
        return strip_decl(out)

    # ---------------------------------------------------------------- the modes
    def build(self, s, sp, acs, request_id):
        """Returns the final Response XML for settings s, SP entity id sp, ACS URL acs."""
        mode = s["mode"]
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        p = dict(s, issuer=self.entity_id, audience=sp, recipient=acs, destination=acs, irt=request_id,
                 issued=now, not_before=now - dt.timedelta(minutes=1), not_after=now + dt.timedelta(minutes=5),
                 alg=SHA256, key=self.key, cert_b64=self.cert_b64)
        if mode == "other_key":
            p.update(key=self.evil_key, cert_b64=self.evil_cert_b64)
        elif mode == "sha1":
            p["alg"] = SHA1
        elif mode == "wrong_audience":
            p["audience"] = OTHER_SP + "/metadata"
        elif mode == "no_audience":
            p["audience"] = None
        elif mode == "wrong_recipient":
            p["recipient"] = p["destination"] = OTHER_SP + "/acs"
        elif mode == "expired":
            p.update(issued=now - dt.timedelta(minutes=15), not_before=now - dt.timedelta(minutes=15),
                     not_after=now - dt.timedelta(minutes=10))
        elif mode == "other_request":
            p["irt"] = "_someOtherRequestId123"
        elif mode == "wrong_issuer":
            p["issuer"] = "http://evil.example/idp"
        evil = dict(p, name_id=EVIL, email=EVIL, given_name="Evil", family_name="Attacker")

        if mode == "ok_assertion_only":
            return self.response(p, self.assertion(p, True), False)
        if mode == "ok_response_only":
            return self.response(p, self.assertion(p, False), True)
        if mode == "unsigned":
            return self.response(p, self.assertion(p, False), False)
        if mode == "wrap_sibling":  # evil first: naive SPs take assertions[0] but verify "some" signature
            return self.response(p, self.assertion(evil, False) + self.assertion(p, True), False)
        if mode == "wrap_wrapper":  # the signed original hides in the evil assertion's Advice
            return self.response(p, self.assertion(evil, False, advice=f"<saml:Advice>{self.assertion(p, True)}"
                                                                       "</saml:Advice>"), False)
        if mode == "nameid_altered":  # edit after signing: the digest no longer matches
            a = self.assertion(p, True)
            a2 = re.sub(r"(<saml:NameID [^>]*>)[^<]*(</saml:NameID>)", lambda m: m[1] + EVIL + m[2], a, count=1)
            assert a2 != a
            return self.response(p, a2, False)
        if mode == "two_assertions_signed":
            second = dict(p, name_id="second.user@acme.test", email="second.user@acme.test")
            return self.response(p, self.assertion(p, True) + self.assertion(second, True), True)
        if mode == "failed_status":
            st = ('<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder">'
                  '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/></samlp:StatusCode>'
                  '<samlp:StatusMessage>Authentication failed</samlp:StatusMessage>')
            return self.response(p, "", True, status=st)
        if mode == "encrypted":
            return self.response(p, self.encrypt(self.assertion(p, True), sp), True)
        if mode == "encrypted_unsigned_assertion":
            return self.response(p, self.encrypt(self.assertion(p, False), sp), True)
        # ok, other_key, sha1, wrong_*, no_audience, expired, other_request: both signed
        return self.response(p, self.assertion(p, True), True)

    def respond(self, sp, acs, request_id, relay_state):
        with self.lock:
            s = dict(self.settings)
        xml = self.build(s, sp, acs, request_id)
        b64 = base64.b64encode(xml.encode()).decode()
        with self.lock:
            self.last = {"saml_response": b64, "relay_state": relay_state, "acs_url": acs,
                         "request_id": request_id, "mode": s["mode"]}
        log(f"[idp] mode={s['mode']} sp={sp} acs={acs} in_response_to={request_id}")
        return ("<!DOCTYPE html><html><head><title>SAML POST</title></head>"
                "<body>"  # submitted once, by the script below (an extra onload= would POST twice)
                f'<form method="post" action="{html.escape(acs, quote=True)}">'
                f'<input type="hidden" name="SAMLResponse" value="{html.escape(b64, quote=True)}">'
                f'<input type="hidden" name="RelayState" value="{html.escape(relay_state, quote=True)}">'
                '<noscript><button type="submit">Continue</button></noscript></form>'
                "<script>document.forms[0].submit();</script></body></html>")


class Handler(BaseHTTPRequestHandler):
    idp: IdP = None

    def log_message(self, fmt, *args):  # default goes to stderr already; keep it but prefix
        log("[http] " + fmt % args)

    def send(self, code, body=b"", ctype="text/plain; charset=utf-8"):
        body = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        if code != 204:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if code != 204:
            self.wfile.write(body)

    def guarded(self, fn):
        try:
            fn()
        except Exception as e:  # report instead of hanging the test; details to stderr
            traceback.print_exc(file=sys.stderr)
            self.send(500, f"{type(e).__name__}: {e}\n")

    def do_GET(self):
        self.guarded(self._get)

    def do_POST(self):
        self.guarded(self._post)

    def _get(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        idp = self.idp
        if u.path == "/metadata":
            self.send(200, idp.metadata(nocert=q.get("nocert") == "1"), "application/samlmetadata+xml")
        elif u.path == "/sso":
            if "SAMLRequest" not in q:
                return self.send(400, "missing SAMLRequest\n")
            # pysaml2 inflates/decodes and checks Version, Destination (must be our /sso) and IssueInstant
            req = idp.server.parse_authn_request(q["SAMLRequest"], BINDING_HTTP_REDIRECT).message
            sp = req.issuer.text.strip() if req.issuer is not None else None
            if not sp:
                return self.send(400, "AuthnRequest without Issuer\n")
            acs = req.assertion_consumer_service_url
            if not acs:  # fall back to the registered SP metadata
                acs = idp.server.metadata.assertion_consumer_service(sp, BINDING_HTTP_POST)[0]["location"]
            self.send(200, idp.respond(sp, acs, req.id, q.get("RelayState", "")), "text/html; charset=utf-8")
        elif u.path == "/idp-initiated":
            if not q.get("sp") or not q.get("acs"):
                return self.send(400, "need ?sp=ENTITY_ID&acs=URL\n")
            self.send(200, idp.respond(q["sp"], q["acs"], None, q.get("RelayState", "")),
                      "text/html; charset=utf-8")
        elif u.path == "/last":
            with idp.lock:
                self.send(200, json.dumps(idp.last), "application/json")
        else:
            self.send(404, "not found\n")

    def _post(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        u = urlparse(self.path)
        if u.path == "/sp":
            self.idp.register_sp(body)
            self.send(204)
        elif u.path == "/rotate":
            with self.idp.lock:
                self.idp.rotate(json.loads(body or "{}").get("entity_id"))
            self.send(204)
        elif u.path == "/next":
            s = dict(DEFAULTS)
            s.update(json.loads(body or "{}"))
            if s["mode"] not in MODES:
                return self.send(400, f"unknown mode {s['mode']!r}; known: {sorted(MODES)}\n")
            with self.idp.lock:
                self.idp.settings = s
            self.send(204)
        else:
            self.send(404, "not found\n")


def main():
    import argparse
    args = argparse.ArgumentParser()
    args.add_argument("--port", type=int, default=0)  # 0: the OS picks a free one
    args.add_argument("--person")
    opts = args.parse_args()
    if opts.person:
        DEFAULTS.update(name_id=opts.person, email=opts.person, given_name="Sam", family_name="Person")
    httpd = ThreadingHTTPServer(("127.0.0.1", opts.port), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    Handler.idp = IdP(base)
    log(f"[idp] entity id {Handler.idp.entity_id}, keys in {Handler.idp.tmp}")
    print(f"READY {base}", flush=True)  # socket is already listening, so the URL is usable now
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that `finally` removes the keys on kill
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(Handler.idp.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

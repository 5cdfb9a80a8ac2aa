// Passkeys, the browser side (WebAuthn): the only script of the service's pages, served
// from /assets/passkeys.js (the CSP allows same-origin scripts, nothing inline). It asks
// the service for options, turns their base64url fields into the bytes the browser wants,
// runs the ceremony, and posts the answer with the page's form, which the server checks.
(() => {
  "use strict";
  const fromB64 = (s) => {
    const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    return Uint8Array.from(b, (c) => c.charCodeAt(0)).buffer;
  };
  const toB64 = (buf) => {
    let s = "";
    for (const byte of new Uint8Array(buf)) s += String.fromCharCode(byte);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const withIds = (list) => (list || []).map((c) => ({ ...c, id: fromB64(c.id) }));

  const creation = (o) => ({
    ...o.publicKey,
    challenge: fromB64(o.publicKey.challenge),
    user: { ...o.publicKey.user, id: fromB64(o.publicKey.user.id) },
    excludeCredentials: withIds(o.publicKey.excludeCredentials),
  });
  const request = (o) => ({
    ...o.publicKey,
    challenge: fromB64(o.publicKey.challenge),
    allowCredentials: withIds(o.publicKey.allowCredentials),
  });
  const registered = (c) => ({
    id: c.id,
    rawId: toB64(c.rawId),
    type: c.type,
    response: {
      attestationObject: toB64(c.response.attestationObject),
      clientDataJSON: toB64(c.response.clientDataJSON),
      transports: c.response.getTransports ? c.response.getTransports() : undefined,
    },
    extensions: c.getClientExtensionResults(),
  });
  const asserted = (c) => ({
    id: c.id,
    rawId: toB64(c.rawId),
    type: c.type,
    response: {
      authenticatorData: toB64(c.response.authenticatorData),
      clientDataJSON: toB64(c.response.clientDataJSON),
      signature: toB64(c.response.signature),
      userHandle: c.response.userHandle ? toB64(c.response.userHandle) : null,
    },
    extensions: c.getClientExtensionResults(),
  });

  async function options(url, form) {
    const r = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": form.elements.csrf.value },
    });
    if (!r.ok) throw new Error("options " + r.status);
    return r.json();
  }
  function say(text) {
    const status = document.getElementById("passkey-status");
    if (status) status.textContent = text;
  }
  function send(form, answer) {
    form.elements.credential.value = JSON.stringify(answer);
    form.submit();
  }
  const failed = (e) => {
    if (e && e.name === "AbortError") return;
    console.warn("passkey: " + (e && e.name) + ": " + (e && e.message));
    say("The passkey did not work. Try again, or use another way to sign in.");
  };
  if (!window.PublicKeyCredential) return;

  // Sign-in: a button, and passkeys offered in the email field's autofill (conditional UI).
  const signin = document.getElementById("passkey-signin");
  if (signin) {
    let running = null;
    const run = async (conditional) => {
      if (running) running.abort();
      const ctl = new AbortController();
      running = ctl;
      const o = await options("/signin/passkey/options", signin);
      const ask = { publicKey: request(o), signal: ctl.signal };
      if (conditional) ask.mediation = "conditional";
      const c = await navigator.credentials.get(ask);
      if (c) send(signin, asserted(c));
    };
    const button = document.getElementById("passkey-button");
    button.hidden = false;
    button.addEventListener("click", () => run(false).catch(failed));
    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then((yes) => {
        if (yes) run(true).catch(() => {});
      });
    }
  }

  // A passkey as the second factor.
  const second = document.getElementById("passkey-second-factor");
  if (second) {
    const button = document.getElementById("passkey-button");
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        const o = await options("/signin/mfa/passkey/options", second);
        const c = await navigator.credentials.get({ publicKey: request(o) });
        if (c) send(second, asserted(c));
      } catch (e) {
        failed(e);
      }
    });
  }

  // Adding a passkey to the account.
  const add = document.getElementById("passkey-add");
  if (add) {
    add.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!add.reportValidity()) return;
      try {
        const o = await options("/account/passkeys/options", add);
        const c = await navigator.credentials.create({ publicKey: creation(o) });
        if (c) send(add, registered(c));
      } catch (e) {
        failed(e);
      }
    });
  }
})();
